"""Statistics of grid events for a period: by grid, type and unit — 上报数, 按期处置率, 核查通过率,
平均处置时长 (days from 分拨 to the unit's 处置反馈). One GROUP BY per dimension over the period's
events (a range on the indexed reported_at)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

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
    "days": Avg(HANDLING, filter=Q(handled_on__isnull=False, dispatched_on__isnull=False)),
}


def _row(label, values) -> Row:
    values = dict(values)
    days = values.pop("days")
    if days is not None:
        days = days.total_seconds() / 86400 if isinstance(days, timedelta) else days / 86_400_000_000
    return Row(label, **{k: values.get(k) or 0 for k in COUNTS if k != "days"}, days=days)


def period(user, first: date, last: date):
    qs = GridEvent.objects.filter(
        reported_at__gte=clock.local_datetime(first),
        reported_at__lt=clock.local_datetime(last + timedelta(days=1)),
    )
    ids = stats_divisions(user)
    return qs if ids is None else qs.filter(division_id__in=ids)


def report(user, first: date, last: date) -> dict:
    qs = period(user, first, last).order_by()
    out = {"total": _row("合计", qs.aggregate(**COUNTS))}
    groups = {
        column: list(qs.values(column).annotate(**COUNTS)) for column in ("grid", "kind", "handling_unit")
    }
    names = {
        "grid": dict(
            Grid.objects.filter(pk__in=[r["grid"] for r in groups["grid"]]).values_list("pk", "name")
        ),
        "kind": dict(Kind.choices),
        "handling_unit": dict(
            Unit.objects.filter(pk__in=[r["handling_unit"] for r in groups["handling_unit"]]).values_list(
                "pk", "name"
            )
        ),
    }
    empty = {"grid": "未选网格", "kind": "其他", "handling_unit": "未分拨"}
    for column, rows in groups.items():
        out[column] = sorted(
            (_row(names[column].get(r[column], empty[column]), {k: r[k] for k in COUNTS}) for r in rows),
            key=lambda r: -r.reported,
        )
    return out
