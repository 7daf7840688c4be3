"""The counts behind unit scoring, straight from the records (DESIGN §4: never typed in).

Each measure is one GROUP BY over an indexed column, so scoring every unit for a year reads each
relevant row once. `matters_behind` lists the matters behind any one count (the drill-down).

Definitions, for a period [start, end] judged on `today`:
- a step (转送交办 and 受理告知 for 及时受理; 处理意见, 复查, 复核 for 按期答复) belongs to the period
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
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from xinfang.petitions.choices import Rating
from xinfang.petitions.models import Matter, MatterEvent

from .models import CaseOwnership, ScoreScheme
from .scorecard import Counts, Weights

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


def unit_counts(start: date, end: date, today: date | None = None) -> dict[int, Counts]:
    """{unit id: Counts} for every unit with anything to count in the period."""
    today = today or timezone.localdate()
    counts = defaultdict(Counts)

    def put(rows, **columns):
        for row in rows:
            unit = row["unit_key"]
            if unit is None:
                continue
            c = counts[unit]
            for attr, column in columns.items():
                setattr(c, attr, getattr(c, attr) + row[column])

    passed = _passed(start, end, today)
    for steps, prefix in ((TIMELY_STEPS, "timely"), (REPLY_STEPS, "reply")):
        put(
            MatterEvent.objects.filter(step__in=steps, due_on__range=(start, end))
            .values(unit_key=F("unit"))
            .annotate(on=Count("id", filter=Q(on_time=True)), late=Count("id", filter=Q(on_time=False))),
            **{f"{prefix}_on": "on", f"{prefix}_late": "late"},
        )
        if passed:
            put(
                Matter.objects.filter(due_step__in=steps, due_date__range=passed, clock_paused=False)
                .values(unit_key=F("holder_unit"))
                .annotate(n=Count("id")),
                **{f"{prefix}_open": "n"},
            )
    put(
        Matter.objects.filter(rated_on__range=(start, end))
        .values(unit_key=F("handling_unit"))
        .annotate(rated=Count("id"), good=Count("id", filter=Q(rating__in=GOOD_RATINGS))),
        rated="rated",
        satisfied="good",
    )
    if passed:
        put(
            Matter.objects.filter(rating="", rating_due__range=passed)
            .values(unit_key=F("handling_unit"))
            .annotate(n=Count("id")),
            unrated_expired="n",
        )
    received = _received_in(start, end)
    put(
        Matter.objects.filter(received, repeat_of__isnull=False)
        .values(unit_key=Coalesce("repeat_of__handling_unit", "repeat_of__registering_unit"))
        .annotate(n=Count("id")),
        repeats="n",
    )
    put(
        Matter.objects.filter(received, handling_unit__isnull=False)
        .values(unit_key=F("handling_unit"))
        .annotate(n=Count("id")),
        petitions="n",
    )
    put(
        CaseOwnership.objects.filter(started_on__lte=end)
        .exclude(resolved_on__lt=start)
        .values(unit_key=F("unit"))
        .annotate(n=Count("id"), done=Count("id", filter=Q(resolved_on__range=(start, end)))),
        owned="n",
        owned_resolved="done",
    )
    return dict(counts)


def matters_behind(part: str, unit_id: int, start: date, end: date, today: date | None = None):
    """The matters behind one count of `unit_counts` (same definitions), as a queryset."""
    today = today or timezone.localdate()
    passed = _passed(start, end, today) or (date.max, date.min)  # an empty range
    received = _received_in(start, end)
    events = MatterEvent.objects.filter(unit_id=unit_id, due_on__range=(start, end))
    owned = CaseOwnership.objects.filter(unit_id=unit_id, started_on__lte=end).exclude(resolved_on__lt=start)
    by_events = {
        "timely_on": events.filter(step__in=TIMELY_STEPS, on_time=True),
        "timely_late": events.filter(step__in=TIMELY_STEPS, on_time=False),
        "reply_on": events.filter(step__in=REPLY_STEPS, on_time=True),
        "reply_late": events.filter(step__in=REPLY_STEPS, on_time=False),
    }
    if part in by_events:
        return Matter.objects.filter(pk__in=by_events[part].values("matter_id"))
    if part in {"owned", "owned_resolved", "owned_open"}:
        if part == "owned_resolved":
            owned = owned.filter(resolved_on__range=(start, end))
        elif part == "owned_open":
            owned = owned.exclude(resolved_on__range=(start, end))
        return Matter.objects.filter(pk__in=owned.values("matter_id"))
    rated = Matter.objects.filter(handling_unit_id=unit_id, rated_on__range=(start, end))
    direct = {
        "timely_open": Matter.objects.filter(
            holder_unit_id=unit_id, due_step__in=TIMELY_STEPS, due_date__range=passed, clock_paused=False
        ),
        "reply_open": Matter.objects.filter(
            holder_unit_id=unit_id, due_step__in=REPLY_STEPS, due_date__range=passed, clock_paused=False
        ),
        "satisfied": rated.filter(rating__in=GOOD_RATINGS),
        "unsatisfied": rated.exclude(rating__in=GOOD_RATINGS),
        "rated": rated,
        "unrated_expired": Matter.objects.filter(
            handling_unit_id=unit_id, rating="", rating_due__range=passed
        ),
        "repeats": Matter.objects.filter(received, repeat_of__isnull=False).filter(
            Q(repeat_of__handling_unit_id=unit_id)
            | Q(repeat_of__handling_unit__isnull=True, repeat_of__registering_unit_id=unit_id)
        ),
        "petitions": Matter.objects.filter(received, handling_unit_id=unit_id),
    }
    if part not in direct:
        raise KeyError(part)
    return direct[part]
