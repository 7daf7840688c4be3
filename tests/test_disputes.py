"""The dispute ledger on the case kernel: its workflow and who may take each step, scoping by
division and unit, deadlines and escalation on the Chinese calendar, links to petition matters,
campaigns, statistics and exports, the 台账 import."""

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import at, sign_in
from disputes_helpers import PARTIES, PDF, assess, attempt, pdf, phone_photo, register, wage_type
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from xinfang.cases.engine import TransitionError
from xinfang.core import clock, crypto
from xinfang.core.models import Notification
from xinfang.core.workbook import Book
from xinfang.disputes import campaigns, ledger, services, stats
from xinfang.disputes import warnings as dispute_warnings
from xinfang.disputes.choices import Status
from xinfang.disputes.models import Dispute, DisputeEvent, DisputeType, MatterLink, Party
from xinfang.disputes.workflow import TRANSITIONS
from xinfang.petitions.choices import Status as MatterStatus
from xinfang.petitions.models import Category

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def walk(world, to):
    """A dispute of 东湖街道 (registered by tom) moved through the real write path to `to`."""
    d = register(world)
    if to == Status.REGISTERED:
        return d
    d = assess(world, d)
    if to == Status.MEDIATING:
        return d
    d = attempt(world, d)
    if to == Status.TRANSFERRED:
        return services.perform(d.pk, world.tom, "fail", next_channel="litigation", note="双方分歧大")
    d = services.perform(d.pk, world.tom, "resolve", files=[pdf()])
    if to == Status.RESOLVED:
        return d
    d = services.perform(d.pk, world.tom, "follow_up", note="工资已全部发放，工人满意。")
    if to == Status.FOLLOWED_UP:
        return d
    return services.perform(d.pk, world.tina, "close")


def test_a_dispute_from_screening_to_closing(world):
    d = register(world, now=at(2026, 11, 20))
    assert d.status == Status.REGISTERED and d.holder_unit == world.units.t1
    assert d.type_top.name == "劳资/欠薪" and d.due_step == "dispute_assess"
    d = assess(world, d, now=at(2026, 11, 20, 15))
    assert (d.status, d.risk, d.due_step) == (Status.MEDIATING, "general", "dispute_resolve")
    assert [row.user for row in d.leaders.all()] == [world.tina]
    with pytest.raises(TransitionError, match="请先记录调解过程"):
        services.perform(d.pk, world.tom, "resolve", files=[pdf()])
    attempt(world, d)
    with pytest.raises(TransitionError, match="请上传调解协议"):
        services.perform(d.pk, world.tom, "resolve")
    d = services.perform(d.pk, world.tom, "resolve", files=[pdf()])
    assert d.status == Status.RESOLVED and d.outcome == "success" and d.due_step == "dispute_follow_up"
    assert d.files.get().agreement
    with pytest.raises(TransitionError, match="不能「销号」"):
        services.perform(d.pk, world.tina, "close")
    d = services.perform(d.pk, world.tom, "follow_up", note="工资已发放。", stable=True)
    d = services.perform(d.pk, world.tom, "follow_up", note="春节前再次回访，未反复。")
    assert d.follow_ups.count() == 2
    d = services.perform(d.pk, world.tina, "close")
    assert d.status == Status.CLOSED and d.closed_on == clock.today() and d.due_date is None
    actions = list(d.events.values_list("action", flat=True))
    assert actions == ["register", "assess", "attempt", "resolve", "follow_up", "follow_up", "close"]


def test_types_and_categories_have_two_levels_only(world):
    neighbours = DisputeType.objects.create(name="邻里纠纷")
    noise = DisputeType.objects.create(name="噪音", parent=neighbours)
    with pytest.raises(ValidationError) as refused:
        DisputeType(name="夜间施工", parent=noise).full_clean()
    assert refused.value.message_dict["parent"] == ["矛盾纠纷类型只有两级：上级必须是一级矛盾纠纷类型"]
    assert str(noise) == "邻里纠纷／噪音" and noise.top == neighbours == neighbours.top
    with pytest.raises(ValidationError) as refused:
        Category(name="第三级", parent=world.category).full_clean()
    assert refused.value.message_dict["parent"] == ["内容分类只有两级：上级必须是一级内容分类"]


def test_mediation_that_fails_names_where_it_went(world):
    d = attempt(world, assess(world, register(world)))
    with pytest.raises(TransitionError, match="调解不成的原因"):
        services.perform(d.pk, world.tom, "fail", next_channel="arbitration")
    d = services.perform(d.pk, world.tom, "fail", next_channel="arbitration", next_reference="青劳仲案〔2026〕18号",
                         note="公司拒绝调解")  # fmt: skip
    assert (d.status, d.outcome, d.next_channel) == (Status.TRANSFERRED, "failed", "arbitration")
    assert d.next_reference == "青劳仲案〔2026〕18号"


def test_an_agreement_photographed_on_a_phone_is_kept_without_its_metadata(world):
    d = attempt(world, assess(world, register(world)))
    d = services.perform(d.pk, world.tom, "resolve", files=[phone_photo("协议第1页.jpg"), pdf()])
    photo, paper = d.files.order_by("pk")
    assert photo.agreement and photo.content_type == "image/jpeg"
    with photo.file.open("rb") as f:
        assert dict(Image.open(f).getexif()) == {}
    with paper.file.open("rb") as f:
        assert f.read() == PDF  # a PDF is stored as it came


def test_parties_are_encrypted_at_rest(world):
    d = register(world)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, id_number, phone FROM disputes_party WHERE case_id = %s ORDER BY id", [d.pk]
        )
        stored = cur.fetchall()
    assert all(crypto.is_ciphertext(v) for v in stored[0])
    assert "张建国" not in str(stored)
    assert [p.name for p in Party.objects.filter(case=d)] == ["张建国", "青溪宏达建筑有限公司"]


# Who may take each step of a dispute held by 东湖街道办 (t1: tom 承办人, tina 负责人), by status.
MAY = {
    ("assess", Status.REGISTERED): {"tina"},
    ("escalate", Status.REGISTERED): {"tina"},
    ("attempt", Status.MEDIATING): {"tom", "tina"},
    ("resolve", Status.MEDIATING): {"tom", "tina"},
    ("fail", Status.MEDIATING): {"tom", "tina"},
    ("escalate", Status.MEDIATING): {"tina"},
    ("follow_up", Status.RESOLVED): {"tom", "tina"},
    ("follow_up", Status.TRANSFERRED): {"tom", "tina"},
    ("follow_up", Status.FOLLOWED_UP): {"tom", "tina"},
    ("close", Status.FOLLOWED_UP): {"tina"},
}


@pytest.mark.parametrize("status", [Status.REGISTERED, Status.MEDIATING, Status.RESOLVED, Status.TRANSFERRED,
                                    Status.FOLLOWED_UP, Status.CLOSED])  # fmt: skip
def test_every_transition_allowed_and_refused_by_role(world, status):
    d = walk(world, status)
    for action, t in TRANSITIONS.items():
        allowed = MAY.get((action, status), set())
        for username, user in world.users.items():
            assert services.can_perform(user, d, t) == (username in allowed), (action, status, username)


def test_refusals_say_why(world):
    d = register(world)
    t = TRANSITIONS["assess"]
    with pytest.raises(TransitionError, match="只能由交办员、单位负责人办理"):
        services.perform(d.pk, world.tom, "assess", risk="general", leaders=[world.tina])
    with pytest.raises(TransitionError, match="不在您的工作范围内"):
        services.perform(d.pk, world.hope, "assess", risk="general", leaders=[world.tina])
    with pytest.raises(TransitionError, match="没有办理信访事项的权限"):
        services.perform(d.pk, world.gwen, "assess", risk="general", leaders=[world.tina])
    with pytest.raises(TransitionError, match="请勾选风险因素"):
        services.perform(d.pk, world.tina, "assess", risk="major", leaders=[world.tina])
    with pytest.raises(TransitionError, match="包案领导"):
        services.perform(d.pk, world.tina, "assess", risk="general")
    assert not services.can_perform(world.dina, d, t)  # 区信访局 sees it (属地) but does not hold it
    with pytest.raises(TransitionError, match="只有登记员、交办员、承办人和单位负责人"):
        register(world, actor=world.gwen)


# ---------------------------------------------------------------- scoping

SEES_T1_DISPUTE = {"alice", "bob", "carol", "sam", "leo", "dan", "dave", "dina", "qian", "tom", "tina"}


def test_scoping_by_division_and_unit(world):
    d = register(world)
    elsewhere = register(world, actor=world.nora, division=world.divisions.d2, title="南山区物业纠纷")
    seen = {u for u, user in world.users.items() if Dispute.objects.visible_to(user).filter(pk=d.pk).exists()}
    assert seen == SEES_T1_DISPUTE
    seen_d2 = {
        u
        for u, user in world.users.items()
        if Dispute.objects.visible_to(user).filter(pk=elsewhere.pk).exists()
    }
    # 南山区住建局 registered it; the city sees its whole territory; 东城区 nothing of 南山区.
    assert seen_d2 == {"alice", "bob", "carol", "sam", "leo", "nick", "nora"}
    # 研判 hands it to 东城区住建局 (属事): from then on that unit sees it, and keeps seeing it.
    assess(world, d, unit=world.units.d1_dept)
    assert Dispute.objects.visible_to(world.hank).filter(pk=d.pk).exists()
    assert not Dispute.objects.visible_to(world.nora).filter(pk=d.pk).exists()


def test_pages_follow_the_scope(client, world):
    d = register(world)
    for username, expected in [
        ("tina", 200),
        ("dave", 200),
        ("nora", 404),
        ("hugo", 404),
        ("gwen", 403),
        ("ann", 403),
    ]:
        client.logout()
        sign_in(client, username)
        assert client.get(reverse("disputes:detail", args=[d.pk])).status_code == expected, username
    client.logout()
    sign_in(client, "tina")
    page = client.get(reverse("disputes:detail", args=[d.pk])).content.decode()
    assert "张建国" in page and "13800138000" in page  # 负责人 works with the parties in full
    client.logout()
    sign_in(client, "sam")
    page = client.get(reverse("disputes:detail", args=[d.pk])).content.decode()
    assert "张某某" in page and "13800138000" not in page  # 督查员: masked


# ---------------------------------------------------------------- deadlines on the Chinese calendar


def test_assessment_ticks_group_and_sensitive_period_in_advance(client, world):
    from xinfang.analytics.models import SensitivePeriod
    from xinfang.disputes.forms import AssessForm

    many, few = register(world, headcount=12), register(world, headcount=2)

    def ticked(d):
        return AssessForm(dispute=d, user=world.tina, initial={"version": d.version}).initial["reasons"]

    assert (ticked(many), ticked(few)) == (["group"], [])
    today = clock.today()
    SensitivePeriod.objects.create(name="春节", first=today.replace(day=1), last=today)
    assert (ticked(many), ticked(few)) == (["group", "sensitive"], ["sensitive"])
    clock.travel_to(datetime(2026, 12, 1, 9, tzinfo=TZ))  # the period is over
    assert ticked(few) == []
    # The page shows them ticked; the assessor may clear them.
    clock.travel_to(datetime(2026, 11, 23, 9, tzinfo=TZ))
    sign_in(client, "tina")
    page = client.get(reverse("disputes:act", args=[many.pk, "assess"])).content.decode()
    assert 'value="group" id="id_reasons_0" checked' in page and "已按涉及人数和敏感时期预先勾选" in page
    d = services.perform(many.pk, world.tina, "assess", risk="general", reasons=[], leaders=[world.tina])
    assert d.risk_reasons == []


def test_assessment_deadline_over_national_day_and_its_make_up_saturday(world):
    # Registered Friday 2025-09-26: 5 days end on 10-01, a holiday (10-01 … 10-08): 10-09.
    d = register(world, now=at(2025, 9, 26), screened_on=date(2025, 9, 26))
    assert (d.due_step, d.due_date) == ("dispute_assess", date(2025, 10, 9))
    # Registered on the holiday Monday 10-06: 5 days end on Saturday 10-11, a 调休 working day.
    d = register(world, now=at(2025, 10, 6), screened_on=date(2025, 10, 6))
    assert d.due_date == date(2025, 10, 11)


def test_registration_at_a_years_end_whose_next_year_is_not_entered(world):
    # The holidays of 2027 are not known yet: the deadline is an estimate, registration goes on.
    d = register(world, now=at(2026, 12, 29), screened_on=date(2026, 12, 29))
    assert (d.due_date, d.due_provisional) == (date(2027, 1, 4), True)


def test_resolution_deadline_ending_in_spring_festival_moves_to_the_first_working_day(world):
    # 30 calendar days from 2026-01-19 end on Wednesday 02-18, inside 春节 (02-15 … 02-23).
    d = register(world, now=at(2026, 1, 16), screened_on=date(2026, 1, 16))
    d = assess(world, d, now=at(2026, 1, 19))
    assert (d.due_step, d.due_date) == ("dispute_resolve", date(2026, 2, 24))


def test_overdue_dispute_goes_to_the_level_above_once(world):
    d = register(world, now=at(2026, 1, 16), screened_on=date(2026, 1, 16))
    d = assess(world, d, now=at(2026, 1, 19))
    clock.travel_to(datetime(2026, 2, 24, 12, tzinfo=TZ))
    assert services.sweep()["overdue"] == 0  # the last day itself is not late
    clock.travel_to(datetime(2026, 2, 25, 9, tzinfo=TZ))
    counts = services.sweep()
    assert counts["overdue"] == 1
    d.refresh_from_db()
    assert d.escalated_to == world.units.d1_gov and d.escalated_on == date(2026, 2, 25)
    assert d.events.filter(action="auto_escalate").count() == 1
    assert d.unit_links.filter(unit=world.units.d1_gov).exists()
    assert (
        Notification.objects.filter(
            kind="reminder_overdue", recipient_user__in=[world.tom, world.tina]
        ).count()
        == 2
    )
    assert services.sweep()["overdue"] == 0  # once
    assert d.events.filter(action="auto_escalate").count() == 1
    # The sweep's 超期 reminders are 催办 of the supervision app, as for matters.
    from xinfang.supervision.models import Reminder

    assert Reminder.objects.filter(case_type="dispute", case_id=d.pk, kind="overdue").count() == 1


def test_major_risk_goes_to_the_level_above_and_its_leader(world):
    from conftest import _user

    from xinfang.org.models import Role
    from xinfang.supervision.models import SupervisedCase

    d = register(world)
    d = assess(world, d, risk="major", reasons=["group", "criminal"])
    assert d.escalated_to == world.units.d1_gov
    # 东城区人民政府 has no leader in this world: the notices go out, no 督办 is issued.
    assert not SupervisedCase.objects.filter(case_type="dispute").exists()
    lily = _user("lily", world.units.d1_gov, Role.LEADER)
    other = assess(world, register(world, title="另一起群体性欠薪"), risk="major", reasons=["group"])
    sup = SupervisedCase.objects.get(case_type="dispute", case_id=other.pk).supervision
    assert (sup.issued_by, sup.level, sup.reasons) == (lily, "red", ["other"])
    assert [t.unit for t in sup.tasks.all()] == [world.units.t1]
    event = d.events.get(action="assess")
    assert event.data["escalated_to"] == "东城区人民政府" and event.data["reason"] == "研判为重大风险"
    city = register(world, actor=world.hugo, title="市住建局管辖的征地补偿纠纷")
    with pytest.raises(TransitionError, match="只能由交办员、单位负责人办理"):
        services.perform(city.pk, world.hugo, "escalate", note="涉及多个部门")


def test_manual_escalation_of_a_city_unit_tells_the_city_leader(world):
    from conftest import _user

    from xinfang.org.models import Role

    head = _user("hans", world.units.housing, Role.UNIT_HEAD)
    d = register(world, actor=world.hugo, title="征地补偿纠纷")
    d = services.perform(d.pk, head, "escalate", note="涉及多个部门，请市政府协调。")
    assert d.escalated_to == world.units.city_gov
    told = set(
        Notification.objects.filter(kind="dispute_escalated").values_list(
            "recipient_user__username", flat=True
        )
    )
    assert told == {"leo"}
    with pytest.raises(TransitionError, match="已上报上一级"):
        services.perform(d.pk, head, "escalate", note="再次上报")


# ---------------------------------------------------------------- petition matters


def test_dispute_becomes_a_matter_and_both_pages_show_the_link(client, world):
    d = attempt(world, assess(world, register(world)))
    d = services.perform(d.pk, world.tom, "fail", next_channel="petition", note="调解不成，当事人要求信访")
    with pytest.raises(TransitionError, match="只有登记员、交办员可以登记"):
        services.to_matter(d.pk, world.tina, category=world.category, channel="visit")
    matter = services.to_matter(d.pk, world.dave, category=world.category, channel="visit")
    assert matter.status == MatterStatus.REGISTERED
    assert [p.name for p in matter.petitioners.all()] == ["张建国"]
    link = MatterLink.objects.get(case=d)
    assert (link.matter, link.kind) == (matter, "became")
    sign_in(client, "dave")
    page = client.get(reverse("disputes:detail", args=[d.pk])).content.decode()
    assert matter.display_code in page
    matter_page = client.get(reverse("petitions:detail", args=[matter.pk])).content.decode()
    assert reverse("disputes:matter_panel", args=[matter.pk]) in matter_page
    panel = client.get(reverse("disputes:matter_panel", args=[matter.pk])).content.decode()
    assert d.number in panel and "双方当事人、社区调解员" not in panel and "人民调解" in panel


def test_a_repeat_petitioners_matter_shows_the_dispute_behind_the_first(client, world, driver):
    first = driver.register()
    d = attempt(world, assess(world, register(world)))
    services.link_matter(d.pk, world.dave, first)
    with pytest.raises(TransitionError, match="已与本矛盾纠纷关联"):
        services.link_matter(d.pk, world.dave, first)
    again = driver.register()
    from xinfang.petitions.services import link_repeat

    link_repeat(again.pk, world.alice, first)
    sign_in(client, "alice")
    panel = client.get(reverse("disputes:matter_panel", args=[again.pk])).content.decode()
    assert d.number in panel and "王调解" in panel  # the mediation history of the dispute behind it
    client.logout()
    sign_in(client, "nick")  # 南山区: sees neither
    assert client.get(reverse("disputes:matter_panel", args=[again.pk])).status_code == 404


def test_petitions_never_import_the_disputes_app():
    root = Path(__file__).resolve().parent.parent / "xinfang"
    for app in ("petitions", "cases", "org", "core", "deadlines", "audit"):
        for path in (root / app).rglob("*.py"):
            text = path.read_text()
            assert "xinfang.disputes" not in text and "xinfang.grid" not in text, path


# ---------------------------------------------------------------- campaigns


def test_campaign_zero_reports_count_and_the_dashboard_names_who_has_not_reported(world):
    from conftest import _unit

    from xinfang.org.models import Role, Unit

    t2 = _unit("西岭镇人民政府", Unit.Kind.TOWNSHIP, world.units.d1_gov, [world.divisions.other_township])
    from conftest import _user

    t2_head = _user("wei", t2, Role.UNIT_HEAD)
    c = campaigns.create(world.dave, name="春节前矛盾纠纷集中排查", first=date(2026, 11, 16), last=date(2026, 11, 30),
                         units=[world.units.t1, t2, world.units.d1_dept])  # fmt: skip
    with pytest.raises(campaigns.CampaignError, match="请报送零报告"):
        campaigns.submit(world.tina, c, zero=False)
    register(world, campaign=c, source="campaign")
    with pytest.raises(campaigns.CampaignError, match="不能报送零报告"):
        campaigns.submit(world.tina, c, zero=True)
    campaigns.submit(world.tina, c, zero=False)
    campaigns.submit(t2_head, c, zero=True, note="本镇未排查出矛盾纠纷")
    with pytest.raises(campaigns.CampaignError, match="已报送过"):
        campaigns.submit(t2_head, c, zero=True)
    with pytest.raises(campaigns.CampaignError, match="不在该集中排查的报送范围内"):
        campaigns.submit(world.nora, c, zero=True)
    lines = campaigns.dashboard(c)
    # Who has not reported comes first.
    assert (lines[0].unit.name, lines[0].report, lines[0].found) == ("东城区住房和城乡建设局", None, 0)
    assert {(line.unit.name, line.report.zero, line.found) for line in lines[1:]} == {
        ("东湖街道办事处", False, 1),
        ("西岭镇人民政府", True, 0),
    }


def test_campaign_units_are_told_and_the_organiser_reminds_those_not_reported(client, world):
    def told(subject_start):
        rows = Notification.objects.filter(kind="dispute_campaign", subject__startswith=subject_start)
        return set(rows.values_list("recipient_user__username", flat=True))

    c = campaigns.create(world.dave, name="两会前矛盾纠纷集中排查", first=date(2026, 11, 16), last=date(2026, 11, 30),
                         units=[world.units.t1, world.units.d1_dept])  # fmt: skip
    assert told("集中排查") == {"tom", "tina", "hank", "hope"}
    campaigns.submit(world.tina, c, zero=True)
    with pytest.raises(campaigns.CampaignError, match="只有组织单位"):
        campaigns.remind(world.tina, c)
    sign_in(client, world.dave.username)
    page = client.get(reverse("disputes:campaign", args=[c.pk])).content.decode()
    assert "向1个未报送单位催报" in page
    response = client.post(reverse("disputes:campaign_remind", args=[c.pk]), follow=True)
    assert "已向1个未报送单位催报" in response.content.decode()
    assert told("催报") == {"hank", "hope"}
    body = Notification.objects.filter(subject__startswith="催报").first().body
    assert "报送截止日期为2026年11月30日" in body
    campaigns.submit(world.hope, c, zero=True)
    with pytest.raises(campaigns.CampaignError, match="均已报送"):
        campaigns.remind(world.dave, c)


# ---------------------------------------------------------------- statistics and exports


def _statistics_world(world):
    """November 2026: 3 disputes (2 wage, 1 neighbour; 1 resolved); October: 1; November 2025: 2."""
    from xinfang.disputes.models import DisputeType

    neighbour = DisputeType.objects.get(parent__name="邻里", name="噪声扰民")
    a = walk(world, Status.RESOLVED)  # screened 2026-11-20
    register(world, screened_on=date(2026, 11, 2))
    register(world, screened_on=date(2026, 11, 5), dispute_type=neighbour, source="grid")
    register(world, screened_on=date(2026, 10, 15))
    register(world, screened_on=date(2025, 11, 3))
    register(world, screened_on=date(2025, 11, 4))
    register(world, actor=world.nora, division=world.divisions.d2, screened_on=date(2026, 11, 6))
    return a


def test_statistics_by_type_division_risk_and_source_with_year_and_month_comparisons(world):
    _statistics_world(world)
    rep = stats.report(world.dina, date(2026, 11, 1), date(2026, 11, 30))  # 东城区: 南山区's one not counted
    assert (rep.total.screened, rep.total.resolved, rep.total.rate_text) == (3, 1, "33.3%")
    assert [(r.label, r.screened, r.resolved) for r in rep.by["type"]] == [
        ("劳资/欠薪", 2, 1),
        ("邻里", 1, 0),
    ]
    assert [(r.label, r.screened) for r in rep.by["division"]] == [("东湖街道", 3)]
    assert {r.label: r.screened for r in rep.by["source"]} == {"日常排查": 2, "网格上报": 1}
    assert {r.label: r.screened for r in rep.by["risk"]} == {"一般": 1, "未研判": 2}
    assert (rep.previous.screened, rep.year_before.screened) == (1, 2)  # 环比 October, 同比 November 2025
    assert (rep.mom, rep.yoy) == ("+200.0%", "+50.0%")
    city = stats.report(world.leo, date(2026, 11, 1), date(2026, 11, 30))
    assert city.total.screened == 4


def test_monthly_table_and_summary(world):
    _statistics_world(world)
    data = stats.monthly_xlsx(world.dina, date(2026, 11, 1))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["情况表", "乡镇（街道）", "纠纷类型", "风险等级", "来源", "网格"]
    rows = list(book["纠纷类型"].iter_rows(values_only=True))
    assert rows[0] == ("纠纷类型", "排查数", "化解数", "化解率", "调解不成", "重大风险", "化解中")
    assert rows[1][:3] == ("劳资/欠薪", 2, 1) and rows[-1][:3] == ("合计", 3, 1)
    assert abs(rows[-1][3] - 1 / 3) < 1e-9
    docx = stats.monthly_docx(world.dina, date(2026, 11, 1))
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    assert "矛盾纠纷排查化解情况（2026年11月）" in xml and "共排查矛盾纠纷3件" in xml and "化解率33.3%" in xml


def test_statistics_pages_and_downloads(client, world):
    _statistics_world(world)
    sign_in(client, "dina")
    page = client.get(reverse("disputes:stats") + "?from=2026-11-01&to=2026-11-30").content.decode()
    assert "33.3%" in page and "劳资/欠薪" in page
    r = client.get(reverse("disputes:monthly_xlsx") + "?month=2026-11")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    r = client.get(reverse("disputes:export") + "?tab=all")
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    sheet = book.active
    assert sheet.max_row == 1 + 6  # 东城区's six disputes
    assert any("张建国" in str(c) for row in sheet.iter_rows(values_only=True) for c in row)


def test_a_surge_of_wage_disputes_in_one_town_raises_one_warning(world):
    from xinfang.cases import plan

    # A quiet history: one 欠薪 dispute a week in 东湖街道 for 60 weeks, then 9 on one January day.
    day = date(2026, 1, 20)
    with plan.bulk(world.tom):
        for week in range(60):
            screened = date.fromordinal(day.toordinal() - 7 * (week + 1))
            register(world, screened_on=screened, now=at(2026, 1, 21))
        for _ in range(9):
            register(world, screened_on=day, now=at(2026, 1, 21))
    raised = dispute_warnings.scan(date(2026, 1, 21))
    assert [(w.dispute_type.name, w.division.name, w.observed) for w in raised] == [
        ("劳资/欠薪", "东湖街道", 9)
    ]
    assert dispute_warnings.scan(date(2026, 1, 21)) == []  # each warning once


# ---------------------------------------------------------------- 台账 import


def _ledger(rows, header=None):
    book = Book()
    sheet = book.sheet(
        "台账",
        header or ["编号", "排查日期", "纠纷类型", "属地", "纠纷概要", "当事人姓名", "人数", "风险等级"],
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = [
    ["TZ-1", "2026-11-02", "劳资/欠薪／拖欠工资", "湖滨社区", "工地欠薪", "张三、宏达公司", "12", "较大"],
    ["TZ-2", "2026年11月3日", "邻里", "990101001001", "噪声扰民", "李四、王五", "2", ""],
]


def test_import_reports_each_bad_row_in_chinese_and_writes_nothing(world):
    bad = GOOD + [
        ["TZ-3", "2026-13-01", "劳资/欠薪", "湖滨社区", "日期错", "赵六", "1", ""],
        ["TZ-4", "2026-11-04", "打架", "火星", "类型地点错", "", "1", "特大"],
        ["TZ-1", "2026-11-02", "劳资/欠薪／拖欠工资", "湖滨社区", "工地欠薪", "张三、宏达公司", "12", "较大"],
    ]
    result = ledger.run_import(world.tom, _ledger(bad), "台账.xlsx")
    messages = sorted((e.row, e.column, e.message) for e in result.errors)
    assert messages == [
        (4, "排查日期", "「2026-13-01」不是有效的日期或时间"),
        (5, "发生地", "系统中找不到区划「火星」"),
        (5, "当事人", "请至少填写一方当事人"),
        (5, "纠纷类型", "没有名为「打架」的纠纷类型"),
        (5, "风险等级", "「特大」不是可识别的风险等级，可填：重大、较大、一般"),
        (6, "", "与第2行重复"),
    ]
    assert result.written == 0 and "一行都没有导入" in result.refused
    assert not Dispute.objects.exists()


def test_import_is_idempotent_and_uses_the_bulk_plans(world):
    result = ledger.run_import(world.tom, _ledger(GOOD), "台账.xlsx")
    assert (result.total, result.written, result.skipped, result.errors) == (2, 2, 0, [])
    d = Dispute.objects.get(ledger_number="TZ-1")
    assert (d.risk, d.headcount, d.division, str(d.dispute_type)) == (
        "larger",
        12,
        world.divisions.village,
        "劳资/欠薪／拖欠工资",
    )
    assert [p.kind for p in d.parties.all()] == ["person", "organisation"]
    assert d.events.get().note == "由台账导入（台账.xlsx 第2行）"
    noisy = Dispute.objects.get(ledger_number="TZ-2")
    assert str(noisy.dispute_type) == "邻里／相邻通行采光"  # a first-level name takes its first item
    again = ledger.run_import(world.tom, _ledger(GOOD), "台账.xlsx")
    assert (again.written, again.skipped) == (0, 2)
    assert Dispute.objects.count() == 2
    assert DisputeEvent.objects.count() == 2


def test_import_refuses_a_file_without_the_required_columns(world):
    result = ledger.run_import(world.tom, _ledger([["x"]], header=["编号"]), "台账.xlsx")
    assert result.refused.startswith(
        "文件中找不到这些必填列：「排查日期」、「纠纷类型」、「发生地」、「纠纷概要」、「当事人」。"
    )


def test_import_page(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sign_in(client, "tom")
    upload = SimpleUploadedFile("台账.xlsx", _ledger(GOOD))
    page = client.post(reverse("disputes:import"), {"file": upload}).content.decode()
    assert "新登记2件" in page
    assert Dispute.objects.count() == 2
    assert PARTIES  # the shared parties are not touched by the import
    assert wage_type().parent.name == "劳资/欠薪"
