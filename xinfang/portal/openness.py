"""信访公开: what the public may read of petition work, per handling unit and month — how many
matters it received, how many of its replies came on time, how satisfied petitioners were and how
many rated. Only counts: no person, no matter text.

检举控告 are left out of every unit's figures (a count per unit would point at who is accused, and
where); the page gives the month's total for the whole area, and only from MIN_SHOWN up."""

from dataclasses import dataclass
from datetime import date, time

from django.db.models import Count, Q

from xinfang.core import clock
from xinfang.petitions.choices import Nature, Rating
from xinfang.petitions.models import Matter, MatterEvent

MIN_SHOWN = 5
MONTHS_SHOWN = 12
GOOD = [Rating.SATISFIED, Rating.BASICALLY]


@dataclass
class Row:
    unit: str
    received: int = 0
    replies: int = 0  # handling steps completed in the month
    on_time: int = 0
    due_rating: int = 0  # replies whose rating window ended in the month
    rated: int = 0
    good: int = 0

    @staticmethod
    def rate(part, whole):
        return f"{100 * part / whole:.1f}%" if whole else "无数据"

    @property
    def on_time_rate(self):
        return self.rate(self.on_time, self.replies)

    @property
    def satisfaction(self):
        return self.rate(self.good, self.rated)

    @property
    def participation(self):
        return self.rate(self.rated, self.due_rating)


def months(today: date | None = None) -> list[date]:
    """The first days of the last MONTHS_SHOWN complete months, the latest first."""
    today = today or clock.today()
    y, m = today.year, today.month
    out = []
    for _ in range(MONTHS_SHOWN):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append(date(y, m, 1))
    return out


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def figures(first: date) -> dict:
    """The month starting on `first`: a row per handling unit, the total, and the accusations."""
    end = next_month(first)
    since, until = clock.local_datetime(first, time(0)), clock.local_datetime(end, time(0))
    open_matters = Matter.objects.exclude(nature=Nature.ACCUSATION)
    rows: dict[int, Row] = {}

    def row(pk, name):
        return rows.setdefault(pk, Row(unit=name))

    received = (
        open_matters.filter(received_at__gte=since, received_at__lt=until, handling_unit__isnull=False)
        .values("handling_unit", "handling_unit__name")
        .annotate(n=Count("pk"))
    )
    for r in received:
        row(r["handling_unit"], r["handling_unit__name"]).received = r["n"]
    replies = (
        MatterEvent.objects.filter(step="handling", on_time__isnull=False, at__gte=since, at__lt=until)
        .exclude(matter__nature=Nature.ACCUSATION)
        .filter(unit__isnull=False)
        .values("unit", "unit__name")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(on_time=True)))
    )
    for r in replies:
        x = row(r["unit"], r["unit__name"])
        x.replies, x.on_time = r["n"], r["ok"]
    rating = (
        open_matters.filter(rating_due__gte=first, rating_due__lt=end, handling_unit__isnull=False)
        .values("handling_unit", "handling_unit__name")
        .annotate(
            n=Count("pk"),
            rated=Count("pk", filter=~Q(rating="")),
            good=Count("pk", filter=Q(rating__in=GOOD)),
        )
    )
    for r in rating:
        x = row(r["handling_unit"], r["handling_unit__name"])
        x.due_rating, x.rated, x.good = r["n"], r["rated"], r["good"]
    listed = sorted(rows.values(), key=lambda x: (-x.received, x.unit))
    total = Row(unit="合计")
    for x in listed:
        for f in ("received", "replies", "on_time", "due_rating", "rated", "good"):
            setattr(total, f, getattr(total, f) + getattr(x, f))
    accusations = Matter.objects.filter(
        nature=Nature.ACCUSATION, received_at__gte=since, received_at__lt=until
    ).count()
    return {
        "rows": listed,
        "total": total,
        "accusations": accusations if accusations >= MIN_SHOWN else None,
    }
