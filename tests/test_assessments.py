"""Stability risk assessments of major decisions on the case kernel: each step recorded and dated,
who takes it, the rules of hearing, analysis, grading and the report (a high risk recommended to go
ahead needs its reason), the organ's decision against the recommendation, follow-up with the
petitions that arose, the statistics, and the report as a 公文."""

import io
from datetime import date, timedelta

import pytest
from conftest import at, sign_in
from django.urls import reverse
from docx import Document
from prevention import assessment_fields, hearing_record

from xinfang.assessments import rules, services
from xinfang.assessments.choices import Recommendation, RiskLevel, Status
from xinfang.assessments.models import Assessment
from xinfang.assessments.services import TransitionError
from xinfang.petitions.choices import Status as MatterStatus

HEARING = {
    "method": "forum",
    "reached": 120,
    "views": 86,
    "supported": 70,
    "objected": 30,
    "summary": "多数居民支持改造，部分居民对补偿标准和过渡安置有意见。",
}
ANALYSIS = {
    "legality": "项目符合国有土地上房屋征收与补偿的法定程序。",
    "rationality": "补偿标准不低于同类房屋市场价格。",
    "feasibility": "安置房源和资金已落实。",
    "controllability": "已建立信访维稳工作专班和包户责任制。",
}
RISK = {
    "description": "少数被征收户对补偿标准不满，可能集体上访。",
    "likelihood": "medium",
    "impact": "medium",
    "mitigation": "一户一策做好解释，依法公开补偿方案。",
}
REPORT = {
    "recommendation": "implement",
    "mitigation": "公开补偿标准，设立现场接待点，落实包户责任。",
    "emergency_plan": "发生群体性聚集时，属地街道和公安按预案处置。",
}


class Walker:
    def __init__(self, world):
        self.w = world
        self.now = at(2026, 10, 9)

    def step(self, a, action, actor=None, days=1, **params):
        self.now += timedelta(days=days)
        actor = actor or (self.w.hope if action in {"grade", "issue_report", "close"} else self.w.hank)
        if action == "decide":
            actor = actor if actor is not self.w.hope else self.w.leo
        return services.perform(a.pk, actor, action, now=self.now, **params)

    def register(self, **overrides):
        return services.register_assessment(
            self.w.hank, fields=assessment_fields(self.w, **overrides), now=self.now
        )

    def to_report(self, level="medium", **report):
        a = self.register()
        a = self.step(a, "set_plan", plan_text="问卷、座谈、听证相结合，十月底前完成。")
        a = self.step(a, "record_hearing", record=hearing_record(), **HEARING)
        a = self.step(a, "finish_hearing")
        a = self.step(a, "record_risk", **RISK)
        a = self.step(a, "finish_analysis", **ANALYSIS)
        a = self.step(a, "grade", risk_level=level, level_basis="约四分之一受访群众反对，反映较强烈。")
        return self.step(a, "issue_report", **(REPORT | report))


@pytest.fixture
def walk(world):
    return Walker(world)


def test_an_assessment_from_plan_to_follow_up(world, walk, driver):
    a = walk.to_report()
    assert a.status == Status.DECIDING and a.holder_unit == world.units.d1_gov  # with the organ to decide
    assert a.report_on == walk.now.date()
    with pytest.raises(TransitionError, match="只能由领导、单位负责人办理"):
        walk.step(a, "decide", actor=world.hank, decision="implement", note="x")
    with pytest.raises(TransitionError, match="东城区人民政府"):
        walk.step(a, "decide", actor=world.hope, decision="implement", note="x")  # not the organ
    leader = world.units.d1_gov  # 东城区人民政府 has no leader in the test world: give it one
    from xinfang.org.models import Role, User

    mayor = User.objects.create_user("mayor", unit=leader, role=Role.LEADER)
    a = walk.step(
        a, "decide", actor=mayor, decision="adjust", note="区政府常务会议研究，调整补偿方案后实施。"
    )
    assert (a.status, a.holder_unit, a.against_recommendation) == (Status.TRACKING, world.units.d1_dept, True)
    a = walk.step(a, "record_followup", findings="拆迁过程平稳，有两户提出信访。")
    matter = driver.to(MatterStatus.DISPATCHED)
    services.link_case(a.pk, world.hank, "matter", matter.display_code, now=walk.now)
    with pytest.raises(TransitionError, match="已关联过"):
        services.link_case(a.pk, world.hank, "matter", matter.code)
    elsewhere = driver.to(MatterStatus.REGISTERED, division=world.divisions.d2)  # not 东城区住建局's to see
    with pytest.raises(TransitionError, match="没有找到"):
        services.link_case(a.pk, world.hank, "matter", elsewhere.code)
    a = walk.step(a, "close", actor=world.hope)
    assert a.status == Status.CLOSED and a.closed_on == walk.now.date()
    actions = list(a.events.values_list("action", flat=True))
    assert actions == [
        "register", "set_plan", "record_hearing", "finish_hearing", "record_risk", "finish_analysis",
        "grade", "issue_report", "decide", "record_followup", "link_case", "close",
    ]  # fmt: skip
    # Each step is dated and waits on its own deadline.
    dated = dict(a.events.values_list("action", "at"))
    assert dated["set_plan"] < dated["record_hearing"] < dated["decide"]


def test_each_step_refuses_what_is_missing(world, walk):
    a = walk.register()
    with pytest.raises(TransitionError, match="评估方案"):
        walk.step(a, "set_plan", plan_text="")
    a = walk.step(a, "set_plan", plan_text="方案")
    with pytest.raises(TransitionError, match="至少记录一次听取意见"):
        walk.step(a, "finish_hearing")
    with pytest.raises(TransitionError, match="记录材料"):
        walk.step(a, "record_hearing", **HEARING)
    with pytest.raises(TransitionError, match="支持和反对的人数之和不能超过覆盖人数"):
        walk.step(a, "record_hearing", record=hearing_record(), **(HEARING | {"objected": 60}))
    a = walk.step(a, "record_hearing", record=hearing_record(), **HEARING)
    assert a.hearings.get().name == "座谈会纪要.pdf"
    a = walk.step(a, "finish_hearing")
    with pytest.raises(TransitionError, match="至少记录一个风险点"):
        walk.step(a, "finish_analysis", **ANALYSIS)
    a = walk.step(a, "record_risk", **RISK)
    with pytest.raises(TransitionError, match="可控性分析"):
        walk.step(a, "finish_analysis", **(ANALYSIS | {"controllability": ""}))


def test_a_high_risk_recommended_to_go_ahead_needs_its_reason(world, walk):
    with pytest.raises(TransitionError, match="须写明理由"):
        walk.to_report(level="high", recommendation="implement")
    a = Assessment.objects.get()
    assert a.status == Status.REPORTING and a.recommendation == ""
    a = walk.step(
        a,
        "issue_report",
        **(REPORT | {"recommendation": "adjust", "go_ahead_reason": "民生急需，调整方案后风险可控。"}),
    )
    assert a.go_ahead_reason.startswith("民生急需")
    # Not needed for a postponement, nor for a medium risk.
    assert not rules.needs_reason(RiskLevel.HIGH, Recommendation.POSTPONE)
    assert not rules.needs_reason(RiskLevel.MEDIUM, Recommendation.IMPLEMENT)


@pytest.mark.parametrize(
    "reached, supported, objected, level",
    [
        (100, 20, 60, "high"),
        (100, 70, 15, "low"),
        (100, 70, 30, "medium"),
        (100, 40, 20, "medium"),
        (0, 0, 0, ""),
    ],
)
def test_the_level_the_views_point_to(reached, supported, objected, level):
    assert rules.suggested_level(reached, supported, objected) == level


def test_a_decision_not_to_go_ahead_closes_the_assessment(world, walk):
    from xinfang.org.models import Role, User

    mayor = User.objects.create_user("mayor", unit=world.units.d1_gov, role=Role.LEADER)
    a = walk.to_report(recommendation="postpone")
    a = walk.step(a, "decide", actor=mayor, decision="postpone", note="暂缓实施。")
    assert (a.status, a.against_recommendation) == (Status.CLOSED, False)


def test_the_report_is_a_gongwen_built_from_the_records(client, world, walk):
    from test_documents import check_layout, text_of

    a = walk.to_report(
        level="high", recommendation="adjust", go_ahead_reason="民生急需，调整补偿方案后风险可控。"
    )
    sign_in(client, "hank")
    response = client.get(reverse("assessments:report", args=[a.pk]))
    doc = Document(io.BytesIO(response.content))
    check_layout(doc)
    text = text_of(doc)
    assert doc.paragraphs[0].text == "东湖片区旧城改造项目社会稳定风险评估报告"
    assert "东城区人民政府：" in text and a.display_code in text
    assert "覆盖120人" in text and "表示反对的30人（25.0%）" in text and "座谈会" in text
    assert ANALYSIS["controllability"] in text and RISK["description"] in text
    assert "风险等级为高风险" in text and "大规模群体性事件" in text
    assert "建议决策机关对该决策事项调整后实施" in text and "民生急需" in text
    assert REPORT["emergency_plan"] in text
    assert f"{world.units.d1_dept.name}\n{walk.now.year}年{walk.now.month}月{walk.now.day}日" in text
    client.logout()
    sign_in(client, "nora")
    assert client.get(reverse("assessments:report", args=[a.pk])).status_code == 404


def test_statistics_by_type_level_and_what_arose_afterwards(client, world, walk, driver):
    from xinfang.org.models import Role, User

    mayor = User.objects.create_user("mayor", unit=world.units.d1_gov, role=Role.LEADER)
    a = walk.to_report(recommendation="postpone")
    a = walk.step(a, "decide", actor=mayor, decision="implement", note="按原方案实施。")
    b = walk.to_report(level="low")
    walk.step(walk.register(title="公交票价调整", decision_type="price"), "set_plan", plan_text="方案")
    arose = driver.to(MatterStatus.DISPATCHED)
    services.link_case(a.pk, world.hank, "matter", arose.code)
    sign_in(client, "sam")
    detail = client.get(reverse("assessments:detail", args=[a.pk])).content.decode()
    assert f'href="{reverse("petitions:detail", args=[arose.pk])}"' in detail  # the type's own page
    page = client.get(reverse("assessments:statistics"))
    table = page.context["table"]
    assert [(label, cells) for label, cells, _ in table.rows] == [
        ("征地拆迁", [0, 1, 1, 0]),
        ("价格调整", [0, 0, 0, 1]),
    ]
    assert page.context["against_count"] == 1 and page.context["against"] == [a]
    assert page.context["linked"] == [("信访事项", 1)]
    assert (
        b.title
        in client.get(reverse("assessments:list"), {"tab": "all", "risk_level": "low"}).content.decode()
    )
    client.logout()
    sign_in(client, "ann")  # figures only
    page = client.get(reverse("assessments:statistics"))
    assert page.context["against_count"] == 1 and page.context["against"] == []
    assert a.title not in page.content.decode()


def test_the_steps_wait_on_deadlines_of_the_policy(world, walk):
    a = walk.register()
    assert (a.due_step, a.due_date) == (
        "assessment_plan",
        date(2026, 10, 26),
    )  # 15 days: 10月24日 is a Saturday
