"""The allowed moves of a hazard, as data for the case kernel (xinfang/cases/workflow.py).

登记 → 下达整改通知 (一般隐患: 整改中; 重大隐患: 待报治理方案 → 审定治理方案（五落实）→ 治理中)
→ 申请验收 → 验收 (合格 → 销号; 不合格 → back to 整改中/治理中 with a new deadline).

The hazard is held throughout by the unit that supervises the enterprise; its inspectors (承办人)
and head (单位负责人) act on it."""

from xinfang.cases.workflow import Workflow
from xinfang.cases.workflow import transition as _t
from xinfang.org.models import Role

from .choices import Status as S

R = Role
STAFF = [R.HANDLER, R.UNIT_HEAD]
WORKING = [S.RECTIFYING, S.PLAN_PENDING, S.GOVERNING]

TRANSITIONS = {
    t.name: t
    for t in [
        _t("notify", "下达整改通知", [S.REGISTERED], [S.RECTIFYING, S.PLAN_PENDING], STAFF, "holder"),
        _t("record_progress", "记录整改进展", WORKING, [None], STAFF, "holder"),
        _t("record_plan", "登记治理方案", [S.PLAN_PENDING], [None], STAFF, "holder"),
        _t(
            "approve_plan", "审定治理方案（五落实）", [S.PLAN_PENDING], [S.GOVERNING], [R.UNIT_HEAD], "holder"
        ),
        _t("order_stoppage", "责令停产停业", WORKING, [None], [R.UNIT_HEAD], "holder"),
        _t(
            "request_acceptance",
            "申请验收",
            [S.RECTIFYING, S.GOVERNING],
            [S.ACCEPTANCE_PENDING],
            STAFF,
            "holder",
        ),
        _t("accept", "验收合格", [S.ACCEPTANCE_PENDING], [S.ACCEPTED], STAFF, "holder"),
        _t("reject", "验收不合格", [S.ACCEPTANCE_PENDING], [S.RECTIFYING, S.GOVERNING], STAFF, "holder"),
        _t("close", "销号", [S.ACCEPTED], [S.CLOSED], [R.UNIT_HEAD], "holder"),
        _t("revoke", "撤销登记", [S.REGISTERED], [S.REVOKED], [R.UNIT_HEAD], "holder"),
    ]
}

STEP_OF_STATUS = {
    S.REGISTERED: "hazard_notice",
    S.RECTIFYING: "hazard_rectify",
    S.PLAN_PENDING: "hazard_plan",
    S.GOVERNING: "hazard_govern",
    S.ACCEPTANCE_PENDING: "hazard_acceptance",
    S.ACCEPTED: "hazard_closeout",
}
# The steps the enterprise works to (the deadline of the 整改通知); overdue there is 超期未整改.
RECTIFY_STEPS = {"hazard_rectify", "hazard_plan", "hazard_govern"}

WORKFLOW = Workflow(
    transitions=TRANSITIONS,
    step_of_status=STEP_OF_STATUS,
    other_labels={
        "register": "登记隐患",
        "supervise": "督办",
        "instruct": "领导批示",
        "list": "挂牌督办",
        "escalate": "升级督办并约谈",
        "link_petition": "关联信访事项",
    },
)
