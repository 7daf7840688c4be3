"""Early warning (预警): the daily scan that turns the records into warnings, who sees them, and
their acknowledgement. The statistics are plain Python (xinfang.intelligence.surge / topics);
this module feeds them from the column store and the records and stores what they find.

Keys of the volume checks: second-level category × county-level division (a matter registered at
city level counts for the city). Repeat and collective petitions are checked as rising trends per
county-level division. Topics are found over the whole deployment from the last 7 days' titles
and contents against the 8 weeks before.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xinfang.cases.notices import staff_notices
from xinfang.core import clock
from xinfang.core.dates import cn_date
from xinfang.core.outbox import enqueue
from xinfang.intelligence import surge, topics
from xinfang.org.models import Division, Role, Unit
from xinfang.petitions.models import Matter

from . import snapshot
from .frame import Filter, day_number
from .models import SensitivePeriod, Warning

COUNTY_LEVEL = 3
TOPIC_RECENT_DAYS = 7
TOPIC_BASELINE_WEEKS = 8
TOPIC_MAX_RECENT = 20_000
TOPIC_MAX_BASELINE = 100_000


def warnings_for(user):
    """Warnings about the user's territory (and deployment-wide ones, such as topics)."""
    paths = (
        list(Division.objects.filter(units=user.unit).values_list("path", flat=True)) if user.unit_id else []
    )
    inside = Q(division__isnull=True) if paths else Q(pk__in=[])
    for path in paths:
        inside |= Q(division__path__startswith=path)
    return Warning.objects.filter(inside).select_related("category", "division", "acknowledged_by")


def _county_of(frame) -> np.ndarray:
    """Per division position, the position of its county-level ancestor (itself above that level)."""
    tree = frame.divisions
    levels = dict(Division.objects.values_list("id", "level"))
    out = np.arange(len(tree.ids), dtype=np.int64)
    for pos in range(len(tree.ids)):
        chain = tree.path(pos)
        county = [p for p in chain if levels.get(tree.ids[p]) == COUNTY_LEVEL]
        out[pos] = county[0] if county else pos
    return out


def _sensitive(first: date, last: date) -> list[surge.SensitivePeriod]:
    return [
        surge.SensitivePeriod(p.first, p.last, p.tighten, p.name)
        for p in SensitivePeriod.objects.filter(first__lte=last, last__gte=first)
    ]


def _examples(frame, sel, mask, limit=5) -> list[int]:
    ids = frame.values("id", sel, mask)
    return [int(i) for i in ids[-limit:][::-1]]


def _describe(s: surge.Surge, what: str) -> tuple[str, str]:
    span = "当日" if s.period == "day" else ("近一周" if s.period == "week" else "近四周")
    title = f"{what}{span}信访量异常：{s.observed}件（预期{s.low}～{s.high}件）"
    detail = (
        f"{cn_date(s.first)}至{cn_date(s.last)}，{what}收到信访事项{s.observed}件，"
        f"按其自身历史（同星期、近8周{('、去年同期季节变化' if s.seasonal != 1.0 else '')}）预期约{s.expected:.1f}件，"
        f"正常范围{s.low}～{s.high}件。"
    )
    if s.tightened:
        detail += "处于敏感时期，预警阈值已收紧。"
    return title, detail


def scan(today: date | None = None) -> list[Warning]:
    """Look at yesterday (the last whole day) and raise what is unusual; each warning once."""
    today = today or clock.today()
    day = today - timedelta(days=1)
    frame = snapshot.ensure()
    start = day - timedelta(days=surge.history_days())
    first, last = day_number(start), day_number(day)
    width = last - first + 1
    sel = frame.select(Filter(first, last))
    county_of = _county_of(frame)
    n_div = len(frame.divisions.ids)
    cats = frame.values("category", sel).astype(np.int64)
    counties = county_of[np.maximum(frame.values("division", sel), 0)]
    days = frame.values("day", sel).astype(np.int64) - first
    keyed = cats * n_div + counties
    rows, inverse = np.unique(keyed, return_inverse=True)
    counts = np.bincount(inverse * width + days, minlength=len(rows) * width).reshape(len(rows), width)
    sensitive = _sensitive(day - timedelta(days=6), day)
    found = []
    for s in surge.detect(counts, start, day, list(rows), sensitive):
        cat, county = divmod(int(s.key), n_div)
        mask = (cats == cat) & (counties == county) & (days >= (s.first - start).days)
        what = f"{frame.divisions.names[county]}「{frame.categories.names[cat]}」"
        title, detail = _describe(s, what)
        kind = Warning.Kind.SURGE_DAY if s.period == "day" else Warning.Kind.SURGE_WEEK
        found.append(
            _warning(
                kind, s, f"{kind}:{frame.categories.ids[cat]}:{frame.divisions.ids[county]}:{s.last}",
                title, detail, _examples(frame, sel, mask),
                category_id=frame.categories.ids[cat], division_id=frame.divisions.ids[county],
            )
        )  # fmt: skip
    found += _trends(frame, sel, counties, days, width, start, day)
    found += _topics(day)
    raised = [w for w in found if w is not None]
    for warning in raised:
        _notify(warning)
    return raised


def _trends(frame, sel, counties, days, width, start, day):
    out = []
    for kind, column, label in (
        (Warning.Kind.REPEAT, "repeat", "重复信访"),
        (Warning.Kind.COLLECTIVE, "collective", "集体访"),
    ):
        flag = np.asarray(frame.values(column, sel), dtype=bool)
        rows, inverse = np.unique(counties[flag], return_inverse=True)
        counts = np.bincount(inverse * width + days[flag], minlength=len(rows) * width).reshape(
            len(rows), width
        )
        for s in surge.detect_rising(counts, start, day, list(rows)):
            county = int(s.key)
            what = f"{frame.divisions.names[county]}{label}"
            title, detail = _describe(s, what)
            mask = flag & (counties == county) & (days >= (s.first - start).days)
            out.append(
                _warning(
                    kind, s, f"{kind}:{frame.divisions.ids[county]}:{s.last}", title, detail,
                    _examples(frame, sel, mask), division_id=frame.divisions.ids[county],
                )
            )  # fmt: skip
    return out


def _store(fingerprint: str, **fields) -> Warning | None:
    """Store a warning unless the same one was raised before; None then."""
    fingerprint = fingerprint[:200]
    if Warning.objects.filter(fingerprint=fingerprint).exists():
        return None
    return Warning.objects.create(fingerprint=fingerprint, **fields)


def _warning(kind, s: surge.Surge, fingerprint, title, detail, examples, **about) -> Warning | None:
    """A volume or trend warning from the detector's finding."""
    return _store(
        fingerprint,
        kind=kind,
        severity=s.level,
        raised_on=s.last + timedelta(days=1),
        first=s.first,
        last=s.last,
        observed=s.observed,
        expected=round(s.expected, 2),
        low=s.low,
        high=s.high,
        sensitive="、".join(sorted({p.name for p in _sensitive(s.first, s.last)})) if s.tightened else "",
        title=title[:200],
        detail=detail,
        examples=examples,
        **about,
    )


def _texts(matters) -> list[tuple[int, str]]:
    return [
        (pk, f"{title} {content}") for pk, title, content in matters.values_list("pk", "title", "content")
    ]


def _topics(day: date) -> list[Warning | None]:
    """Emerging topics of the last 7 days against the 8 weeks before (at most 20,000 recent and
    100,000 baseline matters, the newest)."""
    recent_from = day - timedelta(days=TOPIC_RECENT_DAYS - 1)
    baseline_from = recent_from - timedelta(weeks=TOPIC_BASELINE_WEEKS)
    recent = Matter.objects.filter(
        received_at__gte=clock.local_datetime(recent_from),
        received_at__lt=clock.local_datetime(day + timedelta(days=1)),
    )
    baseline = Matter.objects.filter(
        received_at__gte=clock.local_datetime(baseline_from),
        received_at__lt=clock.local_datetime(recent_from),
    )
    recent_docs = _texts(recent.order_by("-received_at")[:TOPIC_MAX_RECENT])
    baseline_docs = _texts(baseline.order_by("-received_at")[:TOPIC_MAX_BASELINE])
    out = []
    for topic in topics.find_topics(recent_docs, baseline_docs):
        severity = 3 if topic.jump >= 10 else (2 if topic.jump >= 5 else 1)
        title = f"新出现的热点问题：「{topic.label}」（近7日{topic.recent_docs}件）"
        out.append(
            _store(
                f"topic:{'|'.join(sorted(topic.terms[:3]))}:{day.isocalendar()[:2]}",
                kind=Warning.Kind.TOPIC,
                severity=severity,
                raised_on=day + timedelta(days=1),
                first=recent_from,
                last=day,
                observed=topic.recent_docs,
                expected=round(topic.baseline_rate * len(recent_docs), 2),
                low=0,
                high=round(topic.baseline_rate * len(recent_docs), 2),
                title=title[:200],
                detail=topic.reason + f"。相关词语：{'、'.join(topic.terms[:8])}。",
                examples=[int(i) for i in topic.examples],
            )
        )
    return out


def _recipients(warning: Warning):
    """Petition bureaus and governments whose territory holds the warning's division (every one for
    deployment-wide warnings): analysts and supervisors; leaders too from 较重 up."""
    units = Unit.objects.filter(kind__in=[Unit.Kind.PETITION_BUREAU, Unit.Kind.GOVERNMENT])
    if warning.division_id:
        division = warning.division
        ancestors = [p for p in division.path.split("/") if p]
        units = units.filter(divisions__code__in=ancestors)
    roles = {Role.ANALYST, Role.SUPERVISOR} | ({Role.LEADER} if warning.severity >= 2 else set())
    return units.distinct(), roles


def _notify(warning: Warning) -> None:
    units, roles = _recipients(warning)
    body = f"{warning.detail}\n请登录信访通「预警」查看并签收。"
    with transaction.atomic():
        enqueue(
            staff_notices(
                units,
                kind="warning",
                subject=f"【{warning.get_severity_display()}预警】{warning.title}",
                body=body,
                roles=roles,
            )
        )


class WarningError(Exception):
    pass


def acknowledge(warning_id: int, user, note: str, now=None) -> Warning:
    """签收: who read it and what they will do. Once; the note is required."""
    note = (note or "").strip()
    if not note:
        raise WarningError("请填写签收意见（如已核实情况、拟采取的措施）。")
    with transaction.atomic():
        warning = warnings_for(user).select_for_update(of=("self",)).get(pk=warning_id)
        if warning.acknowledged_at:
            raise WarningError(
                f"该预警已由{warning.acknowledged_by}于{timezone.localtime(warning.acknowledged_at):%Y-%m-%d %H:%M}签收。"
            )
        warning.acknowledged_by = user
        warning.acknowledged_at = now or clock.now()
        warning.ack_note = note
        warning.save(update_fields=["acknowledged_by", "acknowledged_at", "ack_note"])
    return warning
