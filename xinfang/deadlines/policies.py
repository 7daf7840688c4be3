"""Deadline policies: each workflow step gets N days, calendar or working. Plain Python, no Django.

The national defaults follow 《信访工作条例》 (2022), whose "日" are calendar days except the one
explicit "5 个工作日"; the Zhejiang set follows Zhejiang's local rules (register and decide within 5
working days, handle in 30 days, extend by up to 60). Deployments edit their own sets in the admin
pages (PolicyRule rows override these).
"""

from .engine import Period

# step -> (label, article of the regulation). Admins may set these per policy set in the admin
# pages (PolicyRule's choices).
PETITION_STEPS = {
    "dispatch": ("登记后转送、交办", "第22条"),
    "acceptance": ("告知受理情况", "第23条"),
    "jurisdiction_dispute": ("提出管辖异议", "第23条"),
    "handling": ("办理并出具处理意见", "第34条"),
    "extension_max": ("延长办理期限（上限）", "第34条"),
    "rating": ("评价", "第21条"),
    "review_request": ("申请复查", "第35条"),
    "review_decision": ("作出复查意见", "第35条"),
    "rereview_request": ("申请复核", "第36条"),
    "rereview_decision": ("作出复核意见", "第36条"),
    # 矛盾纠纷排查化解 (xinfang/disputes) and 网格事件 (xinfang/grid): no national statute sets these;
    # the defaults are the usual local practice and each jurisdiction edits its own. They are
    # calendar days (an end on a rest day moves to the next working day, 调休 included), so that
    # intake never stops at a year's end whose next year's holidays are not entered yet; a
    # jurisdiction that counts working days sets them so in its policy set.
    "dispute_assess": ("矛盾纠纷研判", "排查化解工作规范"),
    "dispute_resolve": ("矛盾纠纷化解", "排查化解工作规范"),
    "dispute_follow_up": ("化解后回访", "排查化解工作规范"),
    # 网格事件 (xinfang/grid), as city grid platforms run them.
    "event_accept": ("网格事件受理", "网格化服务管理规范"),
    "event_handle": ("网格事件处置", "网格化服务管理规范"),
    "event_handle_urgent": ("网格紧急事件处置", "网格化服务管理规范"),
    "event_verify": ("网格事件核查", "网格化服务管理规范"),
}

# Steps of the prevention ledgers: 安全生产隐患排查治理 and 重大决策社会稳定风险评估. They follow the
# built-in periods (PREVENTION below) unless a policy set names its own (PolicyRule's choices are
# every step of STEPS).
HAZARD_STEPS = {
    "hazard_notice": ("隐患登记后下达整改通知", "隐患排查治理"),
    "hazard_rectify": ("一般隐患限期整改", "隐患排查治理"),
    "hazard_plan": ("重大隐患报送治理方案", "隐患排查治理"),
    "hazard_govern": ("重大隐患限期治理", "隐患排查治理"),
    "hazard_acceptance": ("整改验收", "隐患排查治理"),
    "hazard_closeout": ("验收合格后销号", "隐患排查治理"),
}
ASSESSMENT_STEPS = {
    "assessment_plan": ("制定评估方案", "社会稳定风险评估"),
    "assessment_hearing": ("听取意见", "社会稳定风险评估"),
    "assessment_analysis": ("分析论证并确定风险等级", "社会稳定风险评估"),
    "assessment_report": ("形成评估报告", "社会稳定风险评估"),
    "assessment_decision": ("作出决策", "社会稳定风险评估"),
    "assessment_followup": ("实施后跟踪评估", "社会稳定风险评估"),
}
STEPS = PETITION_STEPS | HAZARD_STEPS | ASSESSMENT_STEPS

NATIONAL = {
    "dispatch": Period(15),
    "acceptance": Period(15),
    "jurisdiction_dispute": Period(5, working=True),
    "handling": Period(60),
    "extension_max": Period(30),
    # The regulation sets no rating window; 30 days matches the review window so that a petitioner
    # who is still deciding whether to ask for review can also still rate.
    "rating": Period(30),
    "review_request": Period(30),
    "review_decision": Period(30),
    "rereview_request": Period(30),
    "rereview_decision": Period(30),
    "dispute_assess": Period(5),
    "dispute_resolve": Period(30),
    "dispute_follow_up": Period(15),
    "event_accept": Period(1),
    "event_handle": Period(7),
    "event_handle_urgent": Period(1),
    "event_verify": Period(3),
}

ZHEJIANG = NATIONAL | {
    "dispatch": Period(5, working=True),
    "acceptance": Period(5, working=True),
    "handling": Period(30),
    "extension_max": Period(60),
}

# The prevention ledgers' periods, the same in every built-in set (a set may still name its own).
# They stay out of the sets above, whose rows the first migration wrote.
PREVENTION = {
    # A hazard found is put on notice within three working days; a general one is put right within
    # 30 days; a major one needs its governance plan (五落实) within 15 days and is removed within
    # 90 days; acceptance is checked within five working days of the request, and an accepted
    # hazard is struck off (销号) within five more.
    "hazard_notice": Period(3, working=True),
    "hazard_rectify": Period(30),
    "hazard_plan": Period(15),
    "hazard_govern": Period(90),
    "hazard_acceptance": Period(5, working=True),
    "hazard_closeout": Period(5, working=True),
    # A major decision's assessment: the plan within 15 days, views heard over 30 days, analysis
    # and grading in 20 days, the report within ten working days; the organ decides within 30 days
    # of the report, and an implemented decision is followed up for 180 days.
    "assessment_plan": Period(15),
    "assessment_hearing": Period(30),
    "assessment_analysis": Period(20),
    "assessment_report": Period(10, working=True),
    "assessment_decision": Period(30),
    "assessment_followup": Period(180),
}

POLICY_SETS = {
    "national": ("全国默认（《信访工作条例》）", NATIONAL),
    "zhejiang": ("浙江省", ZHEJIANG),
}


def builtin_policy(name: str) -> dict[str, Period]:
    try:
        return PREVENTION | dict(POLICY_SETS[name][1])
    except KeyError:
        raise KeyError(f"没有名为「{name}」的期限规则集；可用：{'、'.join(POLICY_SETS)}") from None
