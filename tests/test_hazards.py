"""The hazard ledger on the case kernel: who may take each step, the 五落实 of a major hazard,
acceptance with photos, deadlines on the Chinese working calendar, 催办 / 督办 (supervision's) /
挂牌督办 / escalation,
and the link to the petition that reported a hazard."""

import ast
from datetime import date
from pathlib import Path

import pytest
from conftest import at, sign_in
from django.urls import reverse
from prevention import PLAN, HazardDriver, enterprises, hazard_fields, photo

from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.hazards import credit, services
from xinfang.hazards.choices import Level, ListingLevel, PhotoStage, Status
from xinfang.hazards.models import Hazard
from xinfang.hazards.services import TransitionError
from xinfang.org.models import Role, User
from xinfang.petitions.choices import Status as MatterStatus
from xinfang.supervision import reminders, supervisions
from xinfang.supervision.common import SupervisionError
from xinfang.supervision.models import Reminder, Supervision


@pytest.fixture
def e(world):
    return enterprises(world)


@pytest.fixture
def d(world):
    return HazardDriver(world)


# ---------------------------------------------------------------- the register


@pytest.mark.parametrize(
    "code, problem",
    [
        ("91350100M000100Y43", ""),
        ("91350100M000100Y44", "校验位不正确"),
        ("91350100M00010OY43", "不能含有「O」"),
        ("9135010", "应为18位"),
    ],
)
def test_credit_codes_are_checked_by_their_check_character(code, problem):
    found = credit.problem(credit.normalize(code))
    assert (problem in found) if problem else found == ""


def test_credit_codes_are_normalised_as_typed():
    assert credit.normalize(" ９１３５０１００ｍ000100y43 ") == "91350100M000100Y43"


def test_enterprises_are_seen_by_their_territory_and_supervising_unit(world, e):
    from xinfang.hazards.models import Enterprise

    def seen(username):
        return set(Enterprise.objects.visible_to(world.users[username]).values_list("name", flat=True))

    assert seen("hank") == {e.chem.name, e.site.name}  # 东城区住建局 supervises both
    assert seen("tom") == {e.chem.name}  # 东湖街道 covers 湖滨社区 only
    assert seen("nora") == {e.market.name}
    assert seen("dave") == {e.chem.name, e.site.name}  # 东城区信访局: the district's territory
    assert seen("hugo") == set() and seen("ann") == set()


def test_a_contact_is_encrypted_at_rest(world, e):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT contact_name, contact_phone FROM hazards_enterprise WHERE id = %s", [e.chem.pk])
        name, phone = cur.fetchone()
    assert "周建国" not in name and "13912345678" not in phone
    assert e.chem.contact(full=False) == {"name": "周**", "phone": "139****5678"}


# ---------------------------------------------------------------- transitions by role


def test_a_general_hazard_from_registration_to_striking_off(world, e, d):
    h = d.register(e.chem, actor=world.tom)  # a township's grid report of an enterprise it covers
    assert h.holder_unit == world.units.d1_dept and h.status == Status.REGISTERED
    told = Notification.objects.filter(kind="register").values_list("recipient_user__username", flat=True)
    assert set(told) == {"hank", "hope"}  # the supervising unit is told
    h = d.do(h, "notify")
    assert h.status == Status.RECTIFYING and h.due_step == "hazard_rectify"
    h = d.do(h, "record_progress", files=[photo("整改中.png")])
    h = d.do(h, "request_acceptance")
    assert h.applied_on == d.now.date() and h.rectify_due == date(2026, 12, 3)
    h = d.do(h, "accept", files=[photo()])
    assert h.status == Status.ACCEPTED and h.rectified_on_time is True
    h = d.do(h, "close")
    assert (h.status, h.closed_on) == (Status.CLOSED, d.now.date())
    assert [p.stage for p in h.photos.order_by("pk")] == [PhotoStage.PROGRESS, PhotoStage.AFTER]
    actions = list(h.events.values_list("action", flat=True))
    assert actions == ["register", "notify", "record_progress", "request_acceptance", "accept", "close"]


@pytest.mark.parametrize(
    "action, allowed, refused",
    [
        ("notify", {"hank", "hope"}, {"tom", "tina", "dan", "dave", "dina", "nora", "sam", "leo"}),
        ("revoke", {"hope"}, {"hank", "tina", "dina"}),
    ],
)
def test_only_the_supervising_unit_acts_and_only_in_its_roles(world, e, d, action, allowed, refused):
    params = {"note": "登记重复。", "requirements": "立即整改。"}
    for username in refused:
        h = d.register(e.chem)
        with pytest.raises(TransitionError):
            services.perform(h.pk, world.users[username], action, now=d.now, **params)
        assert Hazard.objects.get(pk=h.pk).status == Status.REGISTERED
    for username in allowed:
        h = d.register(e.chem)
        assert (
            services.perform(h.pk, world.users[username], action, now=d.now, **params).status
            != Status.REGISTERED
        )


def test_striking_off_and_plan_approval_are_for_the_unit_head(world, e, d):
    h = d.do(d.register(e.chem, level=Level.MAJOR), "notify")
    with pytest.raises(TransitionError, match="只能由单位负责人办理"):
        d.do(h, "approve_plan", actor=world.hank)
    h = d.do(h, "approve_plan", actor=world.hope)
    h = d.do(h, "request_acceptance")
    h = d.do(h, "accept", files=[photo()])
    with pytest.raises(TransitionError, match="只能由单位负责人办理"):
        d.do(h, "close", actor=world.hank)


def test_acceptance_needs_photos_of_the_result_and_a_rejection_sets_a_new_deadline(world, e, d):
    h = d.do(d.do(d.register(e.chem), "notify"), "request_acceptance", days=10)
    with pytest.raises(TransitionError, match="整改后的现场照片"):
        d.do(h, "accept")
    h = Hazard.objects.get(pk=h.pk)
    assert h.status == Status.ACCEPTANCE_PENDING and not h.photos.exists()
    h = d.do(h, "reject", days=2)
    assert h.status == Status.RECTIFYING
    assert h.step_started_on == d.now.date() and h.due_date == date(
        2026, 12, 16
    )  # 30 days from the rejection
    assert h.events.get(action="reject").data["due"] == "2026-12-16"
    # A photo sent with the request counts as the after-photo.
    h = d.do(h, "request_acceptance", files=[photo("复查前.png")])
    assert d.do(h, "accept").status == Status.ACCEPTED


def test_a_late_rectification_is_recorded_as_late(world, e, d):
    h = d.do(d.register(e.chem), "notify")
    h = d.do(h, "request_acceptance", days=35)  # the 30 days ran out on 2026-12-03
    h = d.do(h, "accept", files=[photo()])
    assert h.rectified_on_time is False
    assert h.events.get(action="request_acceptance").on_time is False


def test_a_partial_stoppage_is_recorded_and_lifted_on_acceptance(world, e, d):
    h = d.do(
        d.register(e.chem, level=Level.MAJOR), "notify", stoppage="partial", stoppage_scope="二号仓库停用"
    )
    assert (h.stoppage, h.stoppage_scope) == ("partial", "二号仓库停用")
    with pytest.raises(TransitionError, match="停产停业范围"):
        d.do(
            d.do(d.register(e.chem), "notify"),
            "order_stoppage",
            actor=world.hope,
            stoppage="full",
            note="危险",
        )
    h = d.do(h, "approve_plan")
    h = d.do(h, "request_acceptance")
    h = d.do(h, "accept", files=[photo()])
    assert h.stoppage == "" and h.events.get(action="accept").data["lifted"] == "partial"


# ---------------------------------------------------------------- 五落实


@pytest.mark.parametrize(
    "missing, named",
    [
        ("plan_person", "责任"),
        ("plan_unit", "责任"),
        ("plan_measures", "措施"),
        ("plan_funds", "资金"),
        ("plan_deadline", "时限"),
        ("plan_contingency", "预案"),
    ],
)
def test_a_major_hazards_plan_is_approved_only_with_all_five(world, e, d, missing, named):
    h = d.do(d.register(e.chem, level=Level.MAJOR), "notify")
    assert h.status == Status.PLAN_PENDING and h.due_step == "hazard_plan"
    plan = {k: v for k, v in PLAN.items() if k != missing}
    with pytest.raises(TransitionError, match=f"五落实.*尚缺：{named}") as refused:
        d.do(h, "approve_plan", **{**{k: "" for k in PLAN}, **plan})
    assert len(str(refused.value).split("尚缺：")[1].split("、")) == 1
    h = Hazard.objects.get(pk=h.pk)
    assert h.status == Status.PLAN_PENDING and h.plan_approved_on is None
    # Recorded in parts, the plan is approved once the last part comes.
    h = d.do(h, "record_plan", **plan)
    h = d.do(h, "approve_plan", **{missing: PLAN[missing]})
    assert h.status == Status.GOVERNING and h.plan_approved_on == d.now.date()


def test_the_plans_time_limit_stays_within_the_period_of_governance(world, e, d):
    h = d.do(d.register(e.chem, level=Level.MAJOR), "notify")
    with pytest.raises(TransitionError, match="不能晚于重大隐患限期治理的期限（2027年2月2日）"):
        d.do(h, "approve_plan", plan_deadline=date(2027, 3, 1))
    with pytest.raises(TransitionError, match="资金」应大于零"):
        d.do(h, "approve_plan", plan_funds=0)


# ---------------------------------------------------------------- the Chinese calendar


def test_putting_on_notice_counts_working_days_over_the_national_day_holiday(world, e):
    clock.travel_to(at(2026, 9, 30))
    d = HazardDriver(world, start=at(2026, 9, 30))
    h = d.register(e.chem, found_on=date(2026, 9, 30))
    # 10月1日至7日放假; 10月8日、9日, and Saturday 10月10日 (调休上班) are the three working days.
    assert (h.due_step, h.due_date) == ("hazard_notice", date(2026, 10, 10))


def test_acceptance_counts_the_spring_festival_makeup_saturday(world, e):
    clock.travel_to(at(2026, 2, 13))
    d = HazardDriver(world, start=at(2026, 2, 11))
    h = d.do(d.register(e.chem, found_on=date(2026, 2, 11)), "notify")
    h = d.do(h, "request_acceptance")  # Friday 2月13日
    # 2月14日 (Saturday, 调休上班), then 2月24日–27日 after the holiday of 2月15日–23日.
    assert (h.due_step, h.due_date) == ("hazard_acceptance", date(2026, 2, 27))


def test_a_calendar_day_deadline_ending_in_the_holiday_moves_to_the_next_working_day(world, e):
    clock.travel_to(at(2026, 9, 8))
    d = HazardDriver(world, start=at(2026, 9, 7))
    h = d.do(d.register(e.chem, found_on=date(2026, 9, 7)), "notify", days=0)
    assert h.due_date == date(2026, 10, 8)  # 30 days end on 10月7日, a holiday


# ---------------------------------------------------------------- 催办, 挂牌督办, escalation


def test_the_sweeper_reminds_the_supervising_unit_and_supervision_records_the_reminder(world, e, d):
    h = d.do(d.register(e.chem), "notify")
    assert h.due_date == date(2026, 12, 3)
    clock.travel_to(at(2026, 12, 4))
    counts = services.sweep()
    assert counts["overdue"] == 1
    told = Notification.objects.filter(kind="reminder_overdue").values_list(
        "recipient_user__username", flat=True
    )
    assert set(told) == {"hank", "hope"}
    [reminder] = Reminder.objects.about(Hazard.objects.get(pk=h.pk))
    assert (reminder.kind, reminder.unit, reminder.due_on) == ("overdue", world.units.d1_dept, h.due_date)
    assert services.sweep()["overdue"] == 0  # once per step


def test_supervisors_remind_supervise_list_and_escalate_an_overdue_major_hazard(world, e, d):
    h = d.do(d.register(e.chem, level=Level.MAJOR), "notify")
    # 催办 and 督办 are supervision's, on the hazard as on any case type.
    with pytest.raises(SupervisionError):
        reminders.remind(world.hank, h, "请加快")
    reminders.remind(world.sam, h, "请三日内报送治理方案", now=d.now)
    told = Notification.objects.get(kind="supervision", recipient_user=world.hope)
    assert "请三日内报送治理方案" in told.body and h.display_code in told.body
    sup = supervisions.issue(
        world.sam,
        kind=Supervision.Kind.SUPERVISE,
        cases=[h],
        text="请督促企业按期报送治理方案。",
        due_on=date(2026, 12, 10),
        level="yellow",
        reasons=["overdue"],
        now=d.now,
    )
    assert list(Supervision.objects.about(h)) == [sup] and sup.tasks.get().unit == world.units.d1_dept
    assert Hazard.objects.get(pk=h.pk).events.get(action="supervise").label == "督办"
    due = date(2026, 12, 31)
    h = services.list_for_supervision(h.pk, world.sam, requirement="按期完成治理", due_on=due, now=d.now)
    assert (h.listed_level, h.listed_by) == (ListingLevel.CITY, world.units.city_gov)
    with pytest.raises(TransitionError, match="已由青溪市人民政府挂牌督办"):
        services.list_for_supervision(h.pk, world.leo, requirement="再次", due_on=due, now=d.now)
    with pytest.raises(TransitionError, match="未超过整改期限"):
        services.escalate(
            h.pk, world.sam, interviewed="企业主要负责人", held_on=d.now.date(), summary="约谈", now=d.now
        )
    clock.travel_to(at(2026, 11, 25))
    assert h.due_date < clock.today()  # 15 days to send the plan ran out on 11月18日
    h = services.escalate(
        h.pk,
        world.sam,
        interviewed="企业主要负责人、区住建局分管负责人",
        held_on=clock.today(),
        summary="限期报送治理方案。",
    )
    assert h.escalated_to == world.units.city_gov
    event = h.events.get(action="escalate")
    assert event.data["interviewed"].startswith("企业主要负责人") and event.public is False
    # The district's own supervisors are not the level above 东城区住建局's government.
    district = User.objects.create_user("sid", unit=world.units.d1_bureau, role=Role.SUPERVISOR)
    with pytest.raises(TransitionError, match="升级督办由青溪市人民政府作出"):
        services.escalate(h.pk, district, interviewed="x", held_on=clock.today(), summary="x")


def test_only_a_major_hazard_is_listed(world, e, d):
    h = d.do(d.register(e.chem), "notify")
    with pytest.raises(TransitionError, match="只有重大隐患"):
        services.list_for_supervision(h.pk, world.sam, requirement="x", due_on=date(2026, 12, 31), now=d.now)


# ---------------------------------------------------------------- the petition behind a hazard


def test_a_hazard_from_a_petition_shows_on_the_petition_with_a_citation_for_the_reply(
    client, world, e, driver
):
    matter = driver.to(MatterStatus.DISPATCHED)
    d = HazardDriver(world)
    h = d.register(e.chem, petition=matter, source="petition")
    sign_in(client, "hank")
    panel = client.get(reverse("hazards:matter_panel", args=[matter.pk])).content.decode()
    assert h.display_code in panel and "答复时可引用" not in panel
    h = d.do(d.do(d.do(h, "notify"), "request_acceptance"), "accept", files=[photo()])
    panel = client.get(reverse("hazards:matter_panel", args=[matter.pk])).content.decode()
    assert "答复时可引用的整改情况" in panel and "验收合格" in panel and h.display_code in panel
    page = client.get(reverse("petitions:detail", args=[matter.pk])).content.decode()
    assert reverse("hazards:matter_panel", args=[matter.pk]) in page
    client.logout()
    sign_in(client, "nora")  # neither the matter nor the hazard is hers
    assert client.get(reverse("hazards:matter_panel", args=[matter.pk])).status_code == 404


def test_petitions_import_nothing_of_the_hazard_ledger():
    root = Path(__file__).resolve().parent.parent / "xinfang" / "petitions"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.startswith("xinfang.hazards") for n in names), path


def test_registration_checks_the_enterprise_and_the_date(world, e, d):
    with pytest.raises(TransitionError, match="不在您的工作范围内"):
        services.register_hazard(world.nora, fields=hazard_fields(e.chem), now=d.now)
    with pytest.raises(TransitionError, match="发现日期不能晚于今天"):
        services.register_hazard(
            world.hank, fields=hazard_fields(e.chem, found_on=date(2026, 12, 1)), now=d.now
        )
    with pytest.raises(TransitionError, match="登记员、交办员、承办人和单位负责人"):
        services.register_hazard(world.sam, fields=hazard_fields(e.chem), now=d.now)
