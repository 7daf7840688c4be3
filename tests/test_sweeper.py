"""The deadline sweeper and concurrent transitions."""

import threading
from datetime import date

import pytest
from conftest import Driver, at
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from xinfang.cases.models import ReminderLevel
from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter
from xinfang.petitions.services import perform, sweep
from xinfang.supervision.models import Reminder


def test_reminders_fire_once_at_warning_and_once_when_overdue(world):
    d = Driver(world, start=at(2025, 9, 16))
    matter = d.register()  # dispatch due 2025-10-09 (15 days end on National Day, roll to the 9th)
    assert matter.due_date == date(2025, 10, 9)
    assert matter.warn_date == date(2025, 9, 27)  # 11 of 15 days used (70%)

    assert sweep(date(2025, 9, 26)) == {"warning": 0, "overdue": 0, "closed": 0}
    assert sweep(date(2025, 9, 27))["warning"] == 1
    assert Matter.objects.get(pk=matter.pk).reminded_level == ReminderLevel.WARNING
    assert sweep(date(2025, 9, 28))["warning"] == 0  # once
    reminders = Notification.objects.filter(matter=matter, kind="reminder_warning")
    assert {n.recipient_user for n in reminders} == {
        world.bob,
        world.carol,
    }  # the bureau's dispatcher and head
    assert sweep(date(2025, 10, 9))["overdue"] == 0  # the last day is still on time
    assert sweep(date(2025, 10, 10))["overdue"] == 1
    assert sweep(date(2025, 10, 11))["overdue"] == 0
    body = Notification.objects.filter(matter=matter, kind="reminder_overdue").first().body
    assert "2025年10月9日" in body and "超期" in body


def test_new_step_resets_reminders(world):
    d = Driver(world, start=at(2025, 9, 16))
    matter = d.register()
    sweep(date(2025, 10, 10))
    matter.refresh_from_db()
    assert matter.reminded_level == ReminderLevel.OVERDUE
    matter = d.do(matter, "assign", days=25)  # 2025-10-11, a 调休 Saturday
    assert matter.reminded_level == ReminderLevel.NONE and matter.due_step == "acceptance"
    assert matter.due_date == date(2025, 10, 27)  # 10-26 is a Sunday


def test_expired_review_window_closes_the_matter(world):
    d = Driver(world)
    matter = d.to(Status.REPLIED)
    delivered = matter.reply_delivered_on
    assert sweep(matter.due_date)["closed"] == 0
    counts = sweep(date.fromordinal(matter.due_date.toordinal() + 1))
    assert counts["closed"] == 1
    matter.refresh_from_db()
    assert matter.status == Status.CLOSED and matter.closed_on > delivered
    event = matter.events.order_by("-id").first()
    assert event.action == "close" and event.actor is None


def test_hearing_pauses_the_clock_and_sweeper(world):
    d = Driver(world)
    matter = d.to(Status.REREVIEW_REQUESTED)
    due_before = matter.due_date
    matter = d.do(matter, "start_hearing")
    assert matter.clock_paused
    assert sweep(date.fromordinal(due_before.toordinal() + 5))["overdue"] == 0
    matter = d.do(matter, "end_hearing", days=10)
    assert not matter.clock_paused
    assert (matter.due_date - due_before).days >= 11  # 11 hearing days not counted (plus rest-day roll)


def test_sweep_command_prints_counts(world, capsys):
    Driver(world, start=at(2025, 9, 16)).register()
    call_command("sweep", today="2025-10-10")
    assert "超期提醒 1 件" in capsys.readouterr().out


def test_sweep_command_acts_on_the_given_day_throughout(world, capsys):
    """`xinfang sweep --today` weeks after the product's clock: the reminders and the closing of
    matters whose 复查（复核） window ran out are all judged on that day (closing used to check the
    clock's day, and the command failed after writing its reminders)."""
    day = date(2026, 12, 20)
    assert (day - clock.today()).days >= 20
    overdue = Driver(world, start=at(2026, 11, 20)).register()
    warned = Driver(world, start=at(2026, 12, 9)).register()
    review_over = Driver(world, start=at(2026, 11, 10)).to(Status.REPLIED)
    rereview_over = Driver(world, start=at(2026, 11, 10)).to(Status.REVIEWED)
    review_open = Driver(world, start=at(2026, 11, 20)).to(Status.REPLIED)
    assert overdue.due_date < day and warned.warn_date == day < warned.due_date
    assert clock.today() <= review_over.due_date < day and clock.today() <= rereview_over.due_date < day
    assert review_open.due_date > day

    call_command("sweep", today=day.isoformat())

    assert capsys.readouterr().out.strip() == "临期提醒 1 件，超期提醒 1 件，期限届满办结 2 件"
    for matter, kind in [(overdue, "overdue"), (warned, "warning")]:
        assert Notification.objects.filter(matter=matter, kind=f"reminder_{kind}").exists()
        reminder = Reminder.objects.about(matter).get()
        assert reminder.kind == kind and timezone.localdate(reminder.at) == day
    for matter in (review_over, rereview_over):
        matter.refresh_from_db()
        assert (matter.status, matter.closed_on) == (Status.CLOSED, day)
        event = matter.events.order_by("-id").first()
        assert (event.action, event.actor, timezone.localdate(event.at)) == ("close", None, day)
    review_open.refresh_from_db()
    assert review_open.status == Status.REPLIED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_extensions_are_serialised_not_lost(world):
    """Two unit heads extend the same matter at once: both land, one after the other."""
    d = Driver(world)
    matter = d.to(Status.HANDLING)
    start = threading.Barrier(2)
    errors = []

    def extend(days):
        try:
            start.wait()
            perform(matter.pk, world.hope, "extend", now=d.now, days=days, note=f"延长{days}日")
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=extend, args=(n,)) for n in (10, 15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    matter = Matter.objects.get(pk=matter.pk)
    assert matter.extension_days == 25
    assert matter.events.filter(action="extend").count() == 2
    assert matter.version == Matter.objects.get(pk=matter.pk).version
