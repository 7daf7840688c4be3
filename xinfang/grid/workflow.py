"""The allowed moves of a grid event, as city grid platforms run them, as data for the case kernel:
上报 → 受理 (or 不予受理: invalid, duplicate) → 分拨 to a unit with a deadline → 处置 (the unit says
what it did) → 核查 on the spot by the reporter or the centre (not passed: back to the unit) → 结案;
or, once accepted, 转为矛盾纠纷 (xinfang/disputes) or 转为信访事项.

The centre is the town or street unit responsible for the grid; its 交办员, 承办人 and 负责人 act for it."""

from xinfang.cases.workflow import Workflow
from xinfang.cases.workflow import transition as _t
from xinfang.org.models import Role

from .choices import Status as S

R = Role
CENTRE = [R.DISPATCHER, R.HANDLER, R.UNIT_HEAD]
UNIT = [R.HANDLER, R.UNIT_HEAD]
REPORTERS = [R.GRID_WORKER, R.INFORMANT]

OPEN_STATUSES = [S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLED, S.VERIFIED]

TRANSITIONS = {
    t.name: t
    for t in [
        _t("accept", "受理", [S.REPORTED], [S.ACCEPTED], CENTRE, "holder"),
        _t("reject", "不予受理", [S.REPORTED], [S.REJECTED], CENTRE, "holder"),
        _t("dispatch", "分拨", [S.ACCEPTED], [S.DISPATCHED], CENTRE, "holder"),
        _t("handle", "处置反馈", [S.DISPATCHED], [S.HANDLED], UNIT, "holder"),
        _t("verify", "现场核查（中心）", [S.HANDLED], [S.VERIFIED, S.DISPATCHED], CENTRE, "holder"),
        _t("confirm", "现场核查（上报人）", [S.HANDLED], [S.VERIFIED, S.DISPATCHED], REPORTERS, "reporter"),
        _t("close", "结案", [S.VERIFIED], [S.CLOSED], CENTRE, "holder"),
        # Taken by the disputes app's and the petition bureau's write paths, which create the new case.
        _t("to_dispute", "转为矛盾纠纷", [S.ACCEPTED], [S.TO_DISPUTE], CENTRE, "holder"),
        _t("to_matter", "转为信访事项", [S.ACCEPTED], [S.TO_MATTER], [R.REGISTRAR, R.DISPATCHER], "scope"),
    ]
}

STEP_OF_STATUS = {
    S.REPORTED: "event_accept",
    S.DISPATCHED: "event_handle",
    S.HANDLED: "event_verify",
}


def _urgent_step(event, step):
    return "event_handle_urgent" if step == "event_handle" and event.urgent else step


WORKFLOW = Workflow(
    transitions=TRANSITIONS,
    step_of_status=STEP_OF_STATUS,
    other_labels={"register": "上报"},
    step_override=_urgent_step,
)
