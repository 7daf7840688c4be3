"""The Django side of deadlines: build the calendar and policies from the database."""

from datetime import date
from functools import lru_cache

from django.db.models import Count, Max

from .engine import Deadline, Pause, Period, WorkCalendar, compute_deadline
from .models import CalendarDay, PolicySet, ScheduleYear
from .policies import builtin_policy


@lru_cache(maxsize=4)
def _calendar_for(fingerprint) -> WorkCalendar:
    overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
    years = ScheduleYear.objects.values_list("year", flat=True)
    return WorkCalendar(overrides, entered_years=years)


def current_calendar() -> WorkCalendar:
    """The calendar with admin overrides; rebuilt only when the override tables change."""
    days = CalendarDay.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    years = ScheduleYear.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return _calendar_for((days["n"], days["t"], years["n"], years["t"]))


def policy(name: str) -> dict[str, Period]:
    """Policy set `name`: its database rules over the national defaults."""
    rules = builtin_policy("national")
    try:
        rules.update(builtin_policy(name))
    except KeyError:
        if not PolicySet.objects.filter(name=name).exists():
            raise
    for step, days, working in PolicySet.objects.filter(name=name).values_list(
        "rules__step", "rules__days", "rules__working"
    ):
        if step:
            rules[step] = Period(days, working)
    return rules


def deadline_for(step: str, start: date, policy_name: str, *, extension_days=0, pauses=()) -> Deadline:
    period = policy(policy_name)[step]
    extension = Period(extension_days, period.working) if extension_days else None
    pause_objs = tuple(Pause(a, b) for a, b in pauses)
    return compute_deadline(start, period, current_calendar(), extension=extension, pauses=pause_objs)
