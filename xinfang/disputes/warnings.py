"""Early warning from dispute counts: a surge of one type of dispute in one town (欠薪 before 春节)
found by the detector petition warnings use (xinfang/intelligence/surge.py), against each series'
own history, weekday and (lunar) season, with sensitive periods tightening the threshold. Each
warning is stored once and told to the town's and its government's leaders."""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count

from xinfang.cases.notices import staff_notices
from xinfang.core import clock
from xinfang.core.dates import cn_date
from xinfang.core.outbox import enqueue
from xinfang.intelligence import surge
from xinfang.org.models import Role, Unit

from .models import Dispute, DisputeType, DisputeWarning
from .stats import township_of


def series(first: date, last: date) -> dict:
    """(top type id, township id) → {day: disputes screened}."""
    rows = (
        Dispute.objects.filter(screened_on__gte=first, screened_on__lte=last)
        .order_by()
        .values("type_top", "division", "screened_on")
        .annotate(n=Count("pk"))
    )
    rows = list(rows)
    towns = township_of({r["division"] for r in rows})
    out = {}
    for r in rows:
        key = (r["type_top"], towns[r["division"]].pk)
        day = out.setdefault(key, {})
        day[r["screened_on"]] = day.get(r["screened_on"], 0) + r["n"]
    return out


def _sensitive(first, last):
    from xinfang.analytics.models import SensitivePeriod

    return [
        surge.SensitivePeriod(p.first, p.last, p.tighten, p.name)
        for p in SensitivePeriod.objects.filter(first__lte=last, last__gte=first)
    ]


def scan(today: date | None = None) -> list[DisputeWarning]:
    """Look at yesterday and raise what is unusual."""
    today = today or clock.today()
    day = today - timedelta(days=1)
    first = day - timedelta(days=surge.history_days())
    found = surge.detect_counts(series(first, day), day, _sensitive(day - timedelta(days=6), day))
    types = {t.pk: t for t in DisputeType.objects.filter(parent=None)}
    from xinfang.org.models import Division

    raised, seen = [], set()
    for s in found:  # most severe first: one warning per type and town a day
        if s.key in seen:
            continue
        seen.add(s.key)
        type_id, town_id = s.key
        town = Division.objects.get(pk=town_id)
        span = "当日" if s.period == "day" else "近一周"
        what = f"{town.name}「{types[type_id].name}」类矛盾纠纷"
        title = f"{what}{span}排查数异常：{s.observed}件（预期{s.low}～{s.high}件）"
        detail = (
            f"{cn_date(s.first)}至{cn_date(s.last)}，{what}排查登记{s.observed}件，按其自身历史预期约"
            f"{s.expected:.1f}件，正常范围{s.low}～{s.high}件。请及早研判，防止矛盾集中激化。"
        )
        if s.tightened:
            detail += "处于敏感时期，预警阈值已收紧。"
        try:
            with transaction.atomic():
                warning = DisputeWarning.objects.create(
                    raised_on=today, dispute_type_id=type_id, division=town, first=s.first, last=s.last,
                    observed=s.observed, expected=s.expected, high=s.high, title=title, detail=detail,
                    fingerprint=f"{type_id}:{town_id}:{s.last}",
                )  # fmt: skip
                units = list(Unit.objects.filter(divisions=town)) + list(
                    Unit.objects.filter(divisions=town.parent)
                )
                enqueue(staff_notices(units, kind="dispute_warning", subject=title[:200], body=detail,
                                      roles=[Role.LEADER, Role.UNIT_HEAD, Role.SUPERVISOR]))  # fmt: skip
        except IntegrityError:
            continue
        raised.append(warning)
    return raised
