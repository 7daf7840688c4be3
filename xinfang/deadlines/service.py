"""The Django side of deadlines: build the calendar and policies from the database.

Both are read on every transition, so they are cached per process. A cached copy is trusted for
REFRESH_SECONDS, then the tables' fingerprint (row count and last change) is checked again; a save
in this process clears the cache at once (signals below). Another process sees an admin's edit
within REFRESH_SECONDS.
"""

import time
from datetime import date

from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .engine import Deadline, Pause, Period, WorkCalendar, compute_deadline
from .models import CalendarDay, PolicyRule, PolicySet, ScheduleYear
from .policies import builtin_policy

REFRESH_SECONDS = 5.0

_cache = {"checked_at": -1e9, "fingerprint": None, "calendar": None, "policies": {}}


def _fingerprint():
    parts = []
    for model in (CalendarDay, ScheduleYear, PolicyRule):
        agg = model.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        parts += [agg["n"], agg["t"]]
    parts.append(PolicySet.objects.count())
    return tuple(parts)


def _fresh():
    """Drop cached copies if the reference tables changed since they were built."""
    now = time.monotonic()
    if now - _cache["checked_at"] < REFRESH_SECONDS:
        return
    fingerprint = _fingerprint()
    if fingerprint != _cache["fingerprint"]:
        _cache.update(fingerprint=fingerprint, calendar=None, policies={})
    _cache["checked_at"] = now


def clear_cache(**_):
    _cache.update(checked_at=-1e9, fingerprint=None, calendar=None, policies={})


for _model in (CalendarDay, ScheduleYear, PolicyRule, PolicySet):
    receiver(post_save, sender=_model, dispatch_uid=f"deadline-cache-save-{_model.__name__}")(clear_cache)
    receiver(post_delete, sender=_model, dispatch_uid=f"deadline-cache-delete-{_model.__name__}")(clear_cache)


def current_calendar() -> WorkCalendar:
    """The calendar with admin overrides."""
    _fresh()
    if _cache["calendar"] is None:
        overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
        years = ScheduleYear.objects.values_list("year", flat=True)
        _cache["calendar"] = WorkCalendar(overrides, entered_years=years)
    return _cache["calendar"]


def policy(name: str) -> dict[str, Period]:
    """Policy set `name`: its database rules over the national defaults."""
    _fresh()
    if name not in _cache["policies"]:
        _cache["policies"][name] = _load_policy(name)
    return dict(_cache["policies"][name])


def _load_policy(name: str) -> dict[str, Period]:
    rules = builtin_policy("national")
    try:
        rules.update(builtin_policy(name))
    except KeyError:
        if not PolicySet.objects.filter(name=name).exists():
            raise
    for step, days, working in PolicyRule.objects.filter(policy_set__name=name).values_list(
        "step", "days", "working"
    ):
        rules[step] = Period(days, working)
    return rules


def deadline_for(step: str, start: date, policy_name: str, *, extension_days=0, pauses=()) -> Deadline:
    period = policy(policy_name)[step]
    extension = Period(extension_days, period.working) if extension_days else None
    pause_objs = tuple(Pause(a, b) for a, b in pauses)
    return compute_deadline(start, period, current_calendar(), extension=extension, pauses=pause_objs)
