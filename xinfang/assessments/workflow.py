"""The steps of a stability risk assessment, as data for the case kernel:

制定评估方案 → 听取意见 (公示, 问卷, 走访, 座谈, 听证, each recorded) → 分析论证 (合法性、合理性、
可行性、可控性, and the risks found) → 确定风险等级 → 评估报告 (to the deciding organ) → 决策 (by
the organ) → 跟踪 (after implementation) → 完成.

The unit responsible for the assessment (评估主体) holds it, except while the deciding organ
decides."""

from xinfang.cases.workflow import Workflow
from xinfang.cases.workflow import transition as _t
from xinfang.org.models import Role

from .choices import Status as S

R = Role
STAFF = [R.HANDLER, R.UNIT_HEAD]

TRANSITIONS = {
    t.name: t
    for t in [
        _t("set_plan", "制定评估方案", [S.PLANNING], [S.HEARING], STAFF, "holder"),
        _t("record_hearing", "记录听取意见", [S.HEARING], [None], STAFF, "holder"),
        _t("finish_hearing", "完成听取意见", [S.HEARING], [S.ANALYSING], STAFF, "holder"),
        _t("record_risk", "记录风险点", [S.ANALYSING], [None], STAFF, "holder"),
        _t("finish_analysis", "完成分析论证", [S.ANALYSING], [S.GRADING], STAFF, "holder"),
        _t("grade", "确定风险等级", [S.GRADING], [S.REPORTING], [R.UNIT_HEAD], "holder"),
        _t("issue_report", "出具评估报告", [S.REPORTING], [S.DECIDING], [R.UNIT_HEAD], "holder"),
        _t("decide", "记录决策", [S.DECIDING], [S.TRACKING, S.CLOSED], [R.LEADER, R.UNIT_HEAD], "holder"),
        _t("record_followup", "记录跟踪情况", [S.TRACKING], [None], STAFF, "holder"),
        _t("close", "结束跟踪", [S.TRACKING], [S.CLOSED], [R.UNIT_HEAD], "holder"),
    ]
}

STEP_OF_STATUS = {
    S.PLANNING: "assessment_plan",
    S.HEARING: "assessment_hearing",
    S.ANALYSING: "assessment_analysis",
    S.GRADING: "assessment_analysis",
    S.REPORTING: "assessment_report",
    S.DECIDING: "assessment_decision",
    S.TRACKING: "assessment_followup",
}

WORKFLOW = Workflow(
    transitions=TRANSITIONS,
    step_of_status=STEP_OF_STATUS,
    other_labels={
        "register": "登记评估事项",
        "link_case": "关联实施后引发的信访或矛盾纠纷",
        "supervise": "督办",
        "instruct": "领导批示",
    },
)
