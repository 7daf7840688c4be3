"""Every allowed and every forbidden transition of the table, through the one write path."""

from datetime import date

import pytest
from conftest import Driver, at

from xinfang.core.models import Notification
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter, MatterEvent
from xinfang.petitions.promises import cn_date
from xinfang.petitions.services import StaleMatter, TransitionError, perform
from xinfang.petitions.workflow import TRANSITIONS

ALL_STATUSES = list(Status)
PAIRS = [(s, name) for s in ALL_STATUSES for name in TRANSITIONS]
ALLOWED = [(s, n) for s, n in PAIRS if s in TRANSITIONS[n].sources]
FORBIDDEN = [(s, n) for s, n in PAIRS if s not in TRANSITIONS[n].sources]

# Actions that need a precondition beyond the status before they are allowed.
SETUP = {
    "end_hearing": lambda d, m: d.do(m, "start_hearing"),
}


def _relay(driver, status):
    """A matter forwarded by the city bureau to 东城区信访局, whose dispatcher passes it on."""
    w = driver.w
    matter = driver.do(driver.register(), "forward", unit=w.units.d1_bureau)
    return matter, w.dave, {"unit": w.units.t1}


# (status, action) pairs whose matter and actor differ from the driver's main path.
SPECIAL = {
    ("dispatched", "forward"): _relay,
    ("dispatched", "assign"): _relay,
}


def _prepare(driver, status, action):
    if (status, action) in SPECIAL:
        return SPECIAL[(status, action)](driver, status)
    matter = driver.to(status)
    if action in SETUP:
        matter = SETUP[action](driver, matter)
    return matter, None, {}


def _expected_targets(status, name):
    t = TRANSITIONS[name]
    return {status if target is None else target for target in t.targets}


@pytest.mark.parametrize(("status", "action"), ALLOWED, ids=[f"{s}-{a}" for s, a in ALLOWED])
def test_allowed_transition(driver, status, action):
    matter, actor, params = _prepare(driver, status, action)
    days = 45 if action == "close" else 1  # close only after the petitioner's window has run out
    before = matter.events.count()
    result = driver.do(matter, action, actor=actor, days=days, **params)
    assert result.status in _expected_targets(status, action)
    assert result.version == matter.version + 1
    event = result.events.order_by("-id").first()
    assert result.events.count() == before + 1
    assert event.action == action and event.from_status == status and event.to_status == result.status


@pytest.mark.parametrize(("status", "action"), FORBIDDEN, ids=[f"{s}-{a}" for s, a in FORBIDDEN])
def test_forbidden_transition(driver, status, action):
    matter = driver.to(status)
    actor = driver.w.bob
    with pytest.raises(TransitionError, match="不能"):
        perform(matter.pk, actor, action, now=driver.tick(), **driver.params_for(action))
    matter.refresh_from_db()
    assert matter.status == status


@pytest.mark.parametrize(("status", "action"), ALLOWED, ids=[f"{s}-{a}" for s, a in ALLOWED])
def test_allowed_transition_refused_for_other_roles(driver, status, action):
    """Each allowed transition is refused to every persona whose role the table does not list."""
    matter, _, params = _prepare(driver, status, action)
    t = TRANSITIONS[action]
    for user in driver.w.users.values():
        if user.role in t.roles:
            continue
        with pytest.raises(TransitionError):
            perform(matter.pk, user, action, now=driver.tick(0), **(driver.params_for(action) | params))
    matter.refresh_from_db()
    assert matter.status == status


def test_reviewed_unit_cannot_decide_its_own_review(driver):
    matter = driver.to(Status.REVIEW_REQUESTED)
    # hope heads 东城区住建局, whose reply is under review; 东城区人民政府 holds the review.
    with pytest.raises(TransitionError, match="回避"):
        driver.do(matter, "decide_review", actor=driver.w.hope)


def test_review_redo_sends_matter_back_with_a_new_handling_period(driver):
    matter = driver.to(Status.REVIEW_REQUESTED)
    matter = driver.do(matter, "decide_review", decision="redo")
    assert matter.status == Status.HANDLING
    assert matter.holder_unit == driver.w.units.d1_dept
    assert matter.step_started_on == driver.now.date()
    assert matter.due_step == "handling"


def test_rereview_closes_and_a_new_filing_is_not_accepted(driver):
    final = driver.to(Status.CLOSED)
    assert final.rereview_decided_on == driver.now.date()
    driver.tick()
    again = driver.register(repeat_of=final)
    assert again.status == Status.NOT_ACCEPTED
    assert again.finality_flag
    assert "不再受理" in again.events.get().note


def test_events_are_append_only(driver):
    matter = driver.to(Status.DISPATCHED)
    event = matter.events.first()
    event.note = "改写历史"
    with pytest.raises(Exception, match="只能追加"):
        event.save()
    with pytest.raises(Exception, match="只能追加"):
        event.delete()
    assert MatterEvent.objects.get(pk=event.pk).note == ""


def test_stale_version_is_refused_and_nothing_is_lost(driver):
    matter = driver.to(Status.HANDLING)
    version = matter.version
    perform(
        matter.pk,
        driver.w.hope,
        "extend",
        expected_version=version,
        now=driver.tick(),
        days=10,
        note="现场勘查",
    )
    with pytest.raises(StaleMatter):
        perform(
            matter.pk,
            driver.w.hope,
            "extend",
            expected_version=version,
            now=driver.tick(),
            days=5,
            note="再次",
        )
    matter.refresh_from_db()
    assert matter.extension_days == 10
    assert matter.version == version + 1


def test_notifications_are_queued_and_delivered_after_commit(
    driver, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level("INFO", logger="xinfang.notifications")
    matter = driver.to(Status.DISPATCHED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        matter = driver.do(matter, "accept")
    notes = Notification.objects.filter(matter=matter, kind="accept")
    assert [n.recipient_contact for n in notes.filter(audience="petitioner")] == ["13800138000"]
    assert {n.state for n in notes} == {Notification.State.PENDING}  # nothing is sent before commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert {n.state for n in notes.all()} == {Notification.State.SENT}
    promised = (
        f"已由「东城区住房和城乡建设局」受理，应于{cn_date(matter.due_date)}前办结并向您出具书面处理意见"
    )
    assert promised in caplog.text


def test_anonymous_matter_gets_no_petitioner_notice(driver):
    matter = driver.to(Status.DISPATCHED, anonymous=True, petitioners=[])
    driver.do(matter, "accept")
    assert not Notification.objects.filter(matter=matter, audience="petitioner").exists()
    event = matter.events.get(action="accept")
    assert event.data["notice_required"] is False


def test_on_time_flag_is_recorded(driver):
    matter = driver.register()
    matter = driver.do(matter, "assign", days=20)  # dispatch is due within 15 days
    assert matter.events.get(action="assign").on_time is False
    matter = driver.do(matter, "accept", days=2)
    assert matter.events.get(action="accept").on_time is True


def test_collective_visit_refuses_more_than_five_representatives(driver):
    people = [
        {"name": f"代表{i}", "id_number": "", "phone": f"1390000000{i}", "address": ""} for i in range(6)
    ]
    with pytest.raises(TransitionError, match="不得超过5人"):
        driver.register(is_collective=True, headcount=40, petitioners=people)
    assert not Matter.objects.exists()
    matter = driver.register(is_collective=True, headcount=40, petitioners=people[:5])
    assert matter.headcount == 40 and matter.petitioners.count() == 5


def test_accusation_cannot_be_dispatched_to_the_accused_unit(driver):
    w = driver.w
    matter = driver.register(nature="accusation", complained_unit=w.units.d1_dept, request_type="report")
    with pytest.raises(TransitionError, match="工作范围"):  # the bureau sees it only once screened
        driver.do(matter, "assign", unit=w.units.discipline)
    driver.screen(matter, units=[w.units.d1_dept])
    with pytest.raises(TransitionError, match="被检举控告的单位"):
        driver.do(matter, "assign", unit=w.units.d1_dept)
    matter = driver.do(matter, "assign", unit=w.units.discipline, actor=w.bob)
    assert matter.handling_unit == w.units.discipline


def test_unknown_holiday_schedule_refuses_working_day_deadline(world):
    from xinfang.deadlines.models import PolicySet

    d = Driver(world, start=at(2026, 12, 27))
    matter = d.register()
    assert (
        matter.due_date == date(2027, 1, 11) and matter.due_provisional
    )  # 15 calendar days, weekend rule only
    world.divisions.d1.policy_set = PolicySet.objects.get(name="zhejiang")  # dispatch within 5 working days
    world.divisions.d1.save()
    with pytest.raises(TransitionError, match="2027年"):
        d.register()
    assert Matter.objects.count() == 1


def test_dispute_window_needs_only_the_days_already_gone(world):
    d = Driver(world, start=at(2026, 12, 27))
    matter = d.do(d.register(), "assign")  # 2026-12-28; the window's end lies in 2027
    matter = d.do(matter, "dispute")  # 2026-12-29: one working day has passed
    assert matter.status == Status.REGISTERED


def test_relay_dispatch_and_dispute_return_to_the_relaying_bureau(driver):
    w = driver.w
    matter = driver.do(driver.register(), "forward", unit=w.units.d1_bureau)
    matter = driver.do(matter, "assign", actor=w.dave, unit=w.units.t1)
    assert matter.holder_unit == w.units.t1 and matter.status == Status.DISPATCHED
    matter = driver.do(matter, "dispute", actor=w.tom)
    assert matter.holder_unit == w.units.d1_bureau  # back to the bureau that assigned it


def test_dispute_only_within_five_working_days(driver):
    matter = driver.register()
    matter = driver.do(matter, "assign")  # 2025-03-04 (Tue): window ends 2025-03-11 (Tue)
    with pytest.raises(TransitionError, match="5个工作日"):
        driver.do(matter, "dispute", days=8)  # 2025-03-12
    matter = driver.do(matter, "dispute", days=-1)  # 2025-03-11, the last day
    assert matter.status == Status.REGISTERED and matter.holder_unit == driver.w.units.city_bureau


def test_division_policy_set_applies_to_its_subtree(world):
    from xinfang.deadlines.models import PolicySet

    world.divisions.d1.policy_set = PolicySet.objects.get(name="zhejiang")
    world.divisions.d1.save()
    d = Driver(world, start=at(2025, 9, 26))
    matter = d.register()  # division 湖滨社区 lies under 东城区
    assert matter.policy_set == "zhejiang"
    assert matter.due_date == date(2025, 10, 10)  # 5 working days: 9-28 (调休), 9-29, 9-30, 10-9, 10-10
    other = d.register(division=world.divisions.d2)
    assert other.policy_set == "national" and other.due_date == date(
        2025, 10, 11
    )  # a 调休 Saturday: a working day
