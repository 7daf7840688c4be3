"""Statistics of grid events for a period: by grid, type and unit — 上报数, 按期处置率, 核查通过率,
平均处置时长 (days from 分拨 to the unit's 处置反馈). One GROUP BY over the period's events (a range
on reported_at, read from the covering index), folded by dimension."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum

from xinfang.cases.scoping import stats_divisions
from xinfang.core import clock
from xinfang.org.models import Unit

from .choices import Kind
from .models import Grid, GridEvent


@dataclass
class Row:
    label: str
    reported: int
    handled: int
    in_time: int
    rounds: int
    failures: int
    days: float | None

    @staticmethod
    def pct(a, b):
        return "—" if not b else f"{a / b * 100:.1f}%"

    @property
    def in_time_rate(self):
        return self.pct(self.in_time, self.handled)

    @property
    def pass_rate(self):
        return self.pct(self.rounds - self.failures, self.rounds)

    @property
    def days_text(self):
        return "—" if self.days is None else f"{self.days:.1f}天"


HANDLING = ExpressionWrapper(F("handled_on") - F("dispatched_on"), output_field=DurationField())
COUNTS = {
    "reported": Count("pk"),
    "handled": Count("pk", filter=Q(handled_in_time__isnull=False)),
    "in_time": Count("pk", filter=Q(handled_in_time=True)),
    "rounds": Count("pk", filter=Q(verify_rounds__gt=0)),
    "failures": Count("pk", filter=Q(verify_failures__gt=0)),
    # 平均处置时长 is folded from a sum and a count (an average of groups is not their average).
    "timed": Count("pk", filter=Q(handled_on__isnull=False, dispatched_on__isnull=False)),
    "time": Sum(HANDLING, filter=Q(handled_on__isnull=False, dispatched_on__isnull=False)),
}
DIMENSIONS = ("grid", "kind", "handling_unit")


def _days(value) -> float:
    """A sum of handling times as days: a duration, or microseconds where the database sums
    date differences as numbers."""
    return value.total_seconds() / 86400 if isinstance(value, timedelta) else value / 86_400_000_000


def _row(label, acc) -> Row:
    days = acc["time"] / acc["timed"] if acc["timed"] else None
    return Row(
        label, **{k: acc[k] for k in ("reported", "handled", "in_time", "rounds", "failures")}, days=days
    )


def period(user, first: date, last: date):
    qs = GridEvent.objects.filter(
        reported_at__gte=clock.local_datetime(first),
        reported_at__lt=clock.local_datetime(last + timedelta(days=1)),
    )
    ids = stats_divisions(user)
    return qs if ids is None else qs.filter(division_id__in=ids)


def report(user, first: date, last: date) -> dict:
    """The period's events by grid, type and unit, and in all: one GROUP BY over the three (few
    groups: a grid's events go to the few units of its town), folded here."""
    qs = period(user, first, last).order_by()
    total = dict.fromkeys(COUNTS, 0)
    folded = {column: {} for column in DIMENSIONS}
    for cell in qs.values(*DIMENSIONS).annotate(**COUNTS):
        cell["time"] = _days(cell["time"]) if cell["time"] is not None else 0
        for acc in [total] + [folded[c].setdefault(cell[c], dict.fromkeys(COUNTS, 0)) for c in DIMENSIONS]:
            for k in COUNTS:
                acc[k] += cell[k]
    names = {
        "grid": dict(Grid.objects.filter(pk__in=folded["grid"]).values_list("pk", "name")),
        "kind": dict(Kind.choices),
        "handling_unit": dict(Unit.objects.filter(pk__in=folded["handling_unit"]).values_list("pk", "name")),
    }
    empty = {"grid": "未选网格", "kind": "其他", "handling_unit": "未分拨"}
    out = {"total": _row("合计", total)}
    for column, groups in folded.items():
        out[column] = sorted(
            (_row(names[column].get(key, empty[column]), acc) for key, acc in groups.items()),
            key=lambda r: -r.reported,
        )
    return out
