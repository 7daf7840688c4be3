"""The allowed transitions of a matter under the regulation (《信访工作条例》), as data for the
case kernel (xinfang/cases/workflow.py). "reviewer": a user of the unit now responsible who, while a
review or re-review is under way, is not in the unit whose decision is reviewed."""

from xinfang.cases.workflow import Workflow
from xinfang.cases.workflow import transition as _t
from xinfang.org.models import Role

from .choices import Status as S

R = Role


OPEN_STATUSES = [
    S.REGISTERED,
    S.DISPATCHED,
    S.HANDLING,
    S.REPLY_PENDING,
    S.REPLIED,
    S.REVIEW_REQUESTED,
    S.REVIEWED,
    S.REREVIEW_REQUESTED,
]

# 公开听证 pauses the clock of handling, review and re-review (WORKFLOW.pausable).
HEARING_STATUSES = [S.HANDLING, S.REVIEW_REQUESTED, S.REREVIEW_REQUESTED]

TRANSITIONS = {
    t.name: t
    for t in [
        # A bureau that received a matter from above may pass it on (市 → 区 → 街道).
        _t("forward", "转送", [S.REGISTERED, S.DISPATCHED], [S.DISPATCHED], [R.DISPATCHER], "holder"),
        _t("assign", "交办", [S.REGISTERED, S.DISPATCHED], [S.DISPATCHED], [R.DISPATCHER], "holder"),
        _t("handle_directly", "直接办理", [S.REGISTERED], [S.HANDLING], [R.DISPATCHER], "holder"),
        _t(
            "refer",
            "告知通过其他法定途径解决",
            [S.REGISTERED, S.DISPATCHED],
            [S.REFERRED],
            [R.DISPATCHER, R.HANDLER, R.UNIT_HEAD],
            "holder",
        ),
        _t(
            "not_accept",
            "不予受理",
            [S.REGISTERED, S.DISPATCHED],
            [S.NOT_ACCEPTED],
            [R.DISPATCHER, R.UNIT_HEAD],
            "holder",
        ),
        _t("accept", "受理", [S.DISPATCHED], [S.HANDLING], [R.HANDLER, R.UNIT_HEAD], "holder"),
        _t(
            "dispute",
            "提出管辖异议",
            [S.DISPATCHED],
            [S.REGISTERED],
            [R.HANDLER, R.UNIT_HEAD],
            "holder",
            public=False,
        ),
        _t("extend", "延长办理期限", [S.HANDLING, S.REPLY_PENDING], [None], [R.UNIT_HEAD], "holder"),
        _t(
            "submit_reply",
            "提交处理意见书",
            [S.HANDLING],
            [S.REPLY_PENDING],
            [R.HANDLER, R.UNIT_HEAD],
            "holder",
            public=False,
        ),
        _t(
            "return_reply", "退回修改", [S.REPLY_PENDING], [S.HANDLING], [R.UNIT_HEAD], "holder", public=False
        ),
        _t("approve_reply", "审签并送达处理意见书", [S.REPLY_PENDING], [S.REPLIED], [R.UNIT_HEAD], "holder"),
        _t("rate", "记录评价", [S.REPLIED], [None], [R.REGISTRAR, R.DISPATCHER], "scope"),
        _t(
            "request_review",
            "受理复查申请",
            [S.REPLIED],
            [S.REVIEW_REQUESTED],
            [R.REGISTRAR, R.DISPATCHER],
            "scope",
        ),
        _t(
            "decide_review",
            "出具复查意见",
            [S.REVIEW_REQUESTED],
            [S.REVIEWED, S.HANDLING],
            [R.UNIT_HEAD],
            "reviewer",
        ),
        _t(
            "request_rereview",
            "受理复核申请",
            [S.REVIEWED],
            [S.REREVIEW_REQUESTED],
            [R.REGISTRAR, R.DISPATCHER],
            "scope",
        ),
        _t("start_hearing", "举行听证（暂停计时）", HEARING_STATUSES, [None], [R.UNIT_HEAD], "reviewer"),
        _t("end_hearing", "听证结束（恢复计时）", HEARING_STATUSES, [None], [R.UNIT_HEAD], "reviewer"),
        _t(
            "decide_rereview",
            "出具复核意见",
            [S.REREVIEW_REQUESTED],
            [S.CLOSED, S.HANDLING],
            [R.UNIT_HEAD],
            "reviewer",
        ),
        _t("close", "申请期限届满，办结", [S.REPLIED, S.REVIEWED], [S.CLOSED], [R.DISPATCHER], "scope"),
        _t("withdraw", "信访人撤回", OPEN_STATUSES, [S.WITHDRAWN], [R.REGISTRAR, R.DISPATCHER], "scope"),
    ]
}

# Which deadline a matter waits on in each status, and whether it binds staff (lights, reminders)
# or is a window for the petitioner (the matter closes itself when it passes).
STEP_OF_STATUS = {
    S.REGISTERED: "dispatch",
    S.DISPATCHED: "acceptance",
    S.HANDLING: "handling",
    S.REPLY_PENDING: "handling",
    S.REPLIED: "review_request",
    S.REVIEW_REQUESTED: "review_decision",
    S.REVIEWED: "rereview_request",
    S.REREVIEW_REQUESTED: "rereview_decision",
}
PETITIONER_WINDOWS = {"review_request", "rereview_request"}

WORKFLOW = Workflow(
    transitions=TRANSITIONS,
    step_of_status=STEP_OF_STATUS,
    windows=frozenset(PETITIONER_WINDOWS),
    # Hearing (听证) time is not counted: art. 36 for re-review; local hearing rules for handling
    # and review.
    pausable=frozenset({"handling", "review_decision", "rereview_decision"}),
    restarting=frozenset({"extend", "start_hearing", "end_hearing"}),
    extended_step="handling",
    window_end="close",
    other_labels={
        "register": "登记",
        "link_repeat": "标记重复信访",
        "screen_accused": "核定被反映对象",
        "hand_up_screening": "移交上级核定",
        "supervise": "督办",
        "instruct": "领导批示",
        "take_ownership": "领导包案",
        "resolve_ownership": "包案化解",
    },
)
step_of = WORKFLOW.step_of
