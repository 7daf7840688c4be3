"""Statistics of grid events for a period: by grid, type and unit — 上报数, 按期处置率, 核查通过率,
平均处置时长 (days from 分拨 to the unit's 处置反馈)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Count, F, Q

from xinfang.cases.scoping import stats_divisions

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


COUNTS = {
    "reported": Count("pk"),
    "handled": Count("pk", filter=Q(handled_in_time__isnull=False)),
    "in_time": Count("pk", filter=Q(handled_in_time=True)),
    "rounds": Count("pk", filter=Q(verify_rounds__gt=0)),
    "failures": Count("pk", filter=Q(verify_failures__gt=0)),
}


def _days(qs):
    return qs.filter(handled_on__isnull=False, dispatched_on__isnull=False).aggregate(
        d=Avg(F("handled_on") - F("dispatched_on"))
    )["d"]


def _as_days(value):
    if value is None:
        return None
    return value.total_seconds() / 86400 if hasattr(value, "total_seconds") else value / 86_400_000_000


def period(user, first: date, last: date):
    qs = GridEvent.objects.filter(reported_at__date__gte=first, reported_at__date__lte=last)
    ids = stats_divisions(user)
    return qs if ids is None else qs.filter(division_id__in=ids)


def report(user, first: date, last: date) -> dict:
    qs = period(user, first, last)
    total = qs.aggregate(**COUNTS)
    out = {"total": Row("合计", **total, days=_as_days(_days(qs)))}
    names = {
        "grid": dict(Grid.objects.values_list("pk", "name")),
        "kind": dict(Kind.choices),
    }
    for column in ("grid", "kind", "handling_unit"):
        rows = []
        for r in qs.order_by().values(column).annotate(**COUNTS):
            key = r.pop(column)
            if column == "handling_unit":
                from xinfang.org.models import Unit

                label = Unit.objects.filter(pk=key).values_list("name", flat=True).first() or "未分拨"
            else:
                label = names[column].get(key, "未选网格")
            rows.append(Row(label, **r, days=_as_days(_days(qs.filter(**{column: key})))))
        out[column] = sorted(rows, key=lambda r: -r.reported)
    return out
