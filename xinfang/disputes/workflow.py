"""The allowed moves of a dispute, as data for the case kernel: 排查登记 → 研判 (risk, unit and
leaders) → 化解中 (attempts) → 化解 or 未化解-转办 → 回访 (one at least) → 销号. 上报上级 may happen
while the dispute is open (and happens by itself for 重大 risk and when the deadline passes)."""

from xinfang.cases.workflow import Workflow
from xinfang.cases.workflow import transition as _t
from xinfang.org.models import Role

from .choices import Status as S

R = Role
REGISTRARS = {R.REGISTRAR, R.DISPATCHER, R.HANDLER, R.UNIT_HEAD}
DECIDERS = [R.DISPATCHER, R.UNIT_HEAD]
WORKERS = [R.DISPATCHER, R.HANDLER, R.UNIT_HEAD]

TRANSITIONS = {
    t.name: t
    for t in [
        _t("assess", "研判", [S.REGISTERED], [S.MEDIATING], DECIDERS, "holder"),
        _t("attempt", "记录调解", [S.MEDIATING], [None], WORKERS, "holder"),
        _t("resolve", "调解成功", [S.MEDIATING], [S.RESOLVED], WORKERS, "holder"),
        _t("fail", "调解不成，转办", [S.MEDIATING], [S.TRANSFERRED], WORKERS, "holder"),
        _t(
            "follow_up",
            "回访",
            [S.RESOLVED, S.TRANSFERRED, S.FOLLOWED_UP],
            [S.FOLLOWED_UP],
            WORKERS,
            "holder",
        ),
        _t("close", "销号", [S.FOLLOWED_UP], [S.CLOSED], DECIDERS, "holder"),
        _t("escalate", "上报上级", [S.REGISTERED, S.MEDIATING], [None], DECIDERS, "holder"),
    ]
}

STEP_OF_STATUS = {
    S.REGISTERED: "dispute_assess",
    S.MEDIATING: "dispute_resolve",
    S.RESOLVED: "dispute_follow_up",
    S.TRANSFERRED: "dispute_follow_up",
}

WORKFLOW = Workflow(
    transitions=TRANSITIONS,
    step_of_status=STEP_OF_STATUS,
    other_labels={
        "register": "排查登记",
        "auto_escalate": "自动上报上级",
        "link_matter": "关联信访事项",
        "to_matter": "转为信访事项",
    },
)
