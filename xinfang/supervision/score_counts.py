"""The counts behind unit scoring (考核), taken from the database: computed from the handling
records, never typed in. scorecard.py turns them into rates and points.

Each measure is one GROUP BY over an indexed column, so scoring every unit for a year reads each
relevant row once. `matters_behind` lists the matters behind any one count (the drill-down).

Definitions, for a period [start, end] judged on `today`:
- a step (转送交办 and 受理告知 for 及时受理; 处理意见, 复查, 复核 for 按期办结) belongs to the period
  whose dates contain its deadline; it counts for the unit that was responsible (MatterEvent.unit,
  recorded by the write path) as on time or late, or, still undone with its deadline passed, for
  the unit now holding the matter (not while a hearing pauses its clock: the stored due date is
  then provisional);
- ratings count in the period they were given, for the handling unit; a rating window whose end
  falls in the period and has passed unrated counts against the handling unit;
- a repeat petition counts against the unit that handled the matter petitioned again (or that
  registered it, if it was never dispatched), in the period it was received;
- a 包案 case counts for its responsible unit if it was open at some time in the period, and as
  resolved if it was resolved within the period.
"""

from collections import defaultdict
from dataclasses import fields
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from xinfang.core import clock
from xinfang.petitions.choices import Rating
from xinfang.petitions.models import Matter, MatterEvent

from .models import CaseOwnership, ScoreScheme
from .scorecard import PARTS, Counts, Weights

TIMELY_STEPS = ["dispatch", "acceptance"]
REPLY_STEPS = ["handling", "review_decision", "rereview_decision"]
GOOD_RATINGS = [Rating.SATISFIED, Rating.BASICALLY]


def active_weights() -> Weights:
    scheme = ScoreScheme.objects.filter(active=True).first()
    if scheme is None:
        return Weights()
    return Weights(**{f: float(getattr(scheme, f)) for f in Weights.__dataclass_fields__})


def _received_in(start: date, end: date) -> Q:
    """Received on a day of [start, end]: from the first day's midnight up to, not including, the
    midnight after the last (a matter received at midnight belongs to one period only)."""
    tz = timezone.get_current_timezone()
    return Q(
        received_at__gte=datetime.combine(start, time.min, tz),
        received_at__lt=datetime.combine(end + timedelta(days=1), time.min, tz),
    )


def _passed(start, end, today):
    """Deadlines in the period that have already passed on `today`: (start, last) or None."""
    last = min(end, today - timedelta(days=1))
    return (start, last) if last >= start else None


def _groups(start: date, end: date, today: date):
    """Every count of the scheme, defined once for the scores and for their drill-down: a list of
    (rows counted, the expression naming the unit they count for, {part: condition}). Parts that
    share their rows are one query. Deadlines that have not passed yet count nowhere."""
    passed = _passed(start, end, today)
    events = MatterEvent.objects.filter(due_on__range=(start, end))
    on_time = {True: Q(on_time=True), False: Q(on_time=False)}
    groups = [
        (
            events.filter(step__in=TIMELY_STEPS),
            F("unit"),
            {"timely_on": on_time[True], "timely_late": on_time[False]},
        ),
        (
            events.filter(step__in=REPLY_STEPS),
            F("unit"),
            {"reply_on": on_time[True], "reply_late": on_time[False]},
        ),
        (
            Matter.objects.filter(rated_on__range=(start, end)),
            F("handling_unit"),
            {
                "rated": Q(),
                "satisfied": Q(rating__in=GOOD_RATINGS),
                "unsatisfied": ~Q(rating__in=GOOD_RATINGS),
            },
        ),
        (
            Matter.objects.filter(_received_in(start, end), repeat_of__isnull=False),
            Coalesce("repeat_of__handling_unit", "repeat_of__registering_unit"),
            {"repeats": Q()},
        ),
        (
            Matter.objects.filter(_received_in(start, end), handling_unit__isnull=False),
            F("handling_unit"),
            {"petitions": Q()},
        ),
        (
            CaseOwnership.objects.filter(started_on__lte=end).exclude(resolved_on__lt=start),
            F("unit"),
            {
                "owned": Q(),
                "owned_resolved": Q(resolved_on__range=(start, end)),
                "owned_open": ~Q(resolved_on__range=(start, end)),
            },
        ),
    ]
    if passed:
        for steps, part in ((TIMELY_STEPS, "timely_open"), (REPLY_STEPS, "reply_open")):
            still_open = Matter.objects.filter(due_step__in=steps, due_date__range=passed, clock_paused=False)
            groups.append((still_open, F("holder_unit"), {part: Q()}))
        unrated = Matter.objects.filter(rating="", rating_due__range=passed)
        groups.append((unrated, F("handling_unit"), {"unrated_expired": Q()}))
    return groups


COUNTED = {f.name for f in fields(Counts)}


def unit_counts(start: date, end: date, today: date | None = None) -> dict[int, Counts]:
    """{unit id: Counts} for every unit with anything to count in the period."""
    counts = defaultdict(Counts)
    for rows, unit, parts in _groups(start, end, today or clock.today()):
        tallies = {part: Count("id", filter=cond) for part, cond in parts.items() if part in COUNTED}
        for row in rows.values(unit_key=unit).annotate(**tallies):
            if row["unit_key"] is None:
                continue
            c = counts[row["unit_key"]]
            for part in tallies:
                setattr(c, part, getattr(c, part) + row[part])
    return dict(counts)


def cached_unit_counts(start: date, end: date) -> dict[int, Counts]:
    """unit_counts for the period, kept ten minutes: the ranking and the dashboard read it often,
    the records change slowly and a big city's year is a million matters."""
    today = clock.today()
    key = f"xinfang:scores:{start}:{end}:{today}"
    counts = cache.get(key)
    if counts is None:
        counts = unit_counts(start, end, today)
        cache.set(key, counts, 600)
    return counts


def matters_behind(part: str, unit_id: int, start: date, end: date, today: date | None = None):
    """The matters behind one count of `unit_counts` (same definitions), as a queryset."""
    if part not in PARTS:
        raise KeyError(part)
    for rows, unit, parts in _groups(start, end, today or clock.today()):
        if part in parts:
            chosen = rows.alias(unit_key=unit).filter(parts[part], unit_key=unit_id)
            if rows.model is Matter:
                return chosen
            return Matter.objects.filter(pk__in=chosen.values("matter_id"))
    return Matter.objects.none()  # a deadline part whose deadlines have not passed yet
