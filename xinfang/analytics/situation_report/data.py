"""The figures of a 信访形势分析报告 gathered from the dashboard's panels and the records.

The counts are the dashboard's (the same panels over the same column store), so a report and the
dashboard for the same period and territory agree. The rates are unit scoring's (考核口径) summed
over the units of the territory.

A report names matters (查询码, titles) only to a reader who does casework, and only matters in
that reader's selection (`panels.readable`); for anyone else, and on the command line without a
user, it is figures only.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from xinfang.analytics import panels, snapshot
from xinfang.analytics.figures import Trend
from xinfang.analytics.models import Warning
from xinfang.analytics.panels import Period, Selection
from xinfang.core import clock
from xinfang.org.models import Division, Unit
from xinfang.petitions.models import MatterEvent
from xinfang.supervision import score_counts
from xinfang.supervision.common import oversight_root
from xinfang.supervision.models import Supervision
from xinfang.supervision.scorecard import Counts, score

from .figures import KINDS, Alert, AnnualItems, ReportData, ReportError

# What the report shows of the lists the dashboard shows longer.
TOP_ISSUES = 5
LONGEST_OPEN = 5
ALERTS = 10


def gather(kind: str, period: Period, *, division: Division | None = None, issuing_unit: Unit | None = None,
           reader=None, today: date | None = None) -> ReportData:  # fmt: skip
    """The report's figures for `period` over `division`'s territory (default: the territory of
    the highest petition bureau), as `reader` may read it (None: figures only, no matter named)."""
    if kind not in KINDS:
        raise ReportError(f"报告类型应为 {'、'.join(KINDS)} 之一。")
    today = today or clock.today()
    if period.first > today:
        raise ReportError(f"报告期间{period.label()}尚未开始。")
    try:
        frame = snapshot.ensure()
    except snapshot.NotReady as exc:
        raise ReportError(str(exc)) from exc
    division = division or (
        Division.objects.filter(units__kind=Unit.Kind.PETITION_BUREAU).order_by("level", "code").first()
        or Division.objects.filter(parent__isnull=True).order_by("code").first()
    )
    if division is None:
        raise ReportError("尚未设置行政区划，无法生成报告。")
    issuing_unit = issuing_unit or (
        Unit.objects.filter(divisions=division, kind=Unit.Kind.PETITION_BUREAU).first()
        or Unit.objects.filter(divisions=division).first()
    )
    position = frame.divisions.position()[division.pk]
    selection = Selection(
        frame=frame,
        period=period,
        today=today,
        division=position,
        home=position,
        visible=panels.readable(reader),
    )
    summary = panels.summary(selection)
    trend = panels.trend(selection)
    units = (
        Unit.objects.filter(path__startswith=oversight_root(issuing_unit).path)
        if issuing_unit
        else Unit.objects.none()
    )
    unit_ids = list(units.values_list("pk", flat=True))
    return ReportData(
        kind=kind,
        period_label=period.label(),
        first_day=period.first,
        last_day=period.last,
        issuing_unit=str(issuing_unit) if issuing_unit else division.name,
        issued_on=today,
        area=f"全{division.name[-1]}" if division.name[-1] in "市县区省" else division.name,
        as_of=today,
        matters=summary.matters,  # the narrative leaves 环比 out of annual reports
        people=summary.people,
        volume=_volume(trend),
        volume_by="月" if trend.by == "month" else "日",
        channels=panels.by_channel(selection).rows,
        natures=panels.by_nature(selection).rows,
        categories=panels.by_category(selection).rows,
        divisions=panels.by_division(selection).rows,
        handling_units=panels.by_unit(selection).rows,
        top_issues=panels.top_issues(selection, limit=TOP_ISSUES, with_last_year=True),
        collective_matters=summary.collective_matters,
        collective_people=summary.collective_people,
        repeat_matters=summary.repeat_matters,
        overdue_open=panels.backlog_totals(selection).overdue,
        longest_open=panels.longest_open(selection, limit=LONGEST_OPEN),
        alerts=_alerts(period, division),
        annual=_annual(selection, unit_ids, division.path) if kind == "annual" else None,
        **_rates(unit_ids, period, today),
    )


def _volume(trend: Trend) -> list[tuple[str, int]]:
    """The trend's points labelled as the report prints them: 10-01 per day, 2026-10 per month."""
    if trend.by == "month":
        return [(f"{p.first.year}-{p.first.month:02d}", p.count) for p in trend.points]
    return [(f"{p.first.month:02d}-{p.first.day:02d}", p.count) for p in trend.points]


def _alerts(period: Period, division: Division) -> list[Alert]:
    warnings = (
        Warning.objects.filter(raised_on__range=(period.first, period.last))
        .filter(Q(division__isnull=True) | Q(division__path__startswith=division.path))
        .order_by("-severity", "raised_on")[:ALERTS]
    )
    return [Alert(w.get_severity_display(), w.title) for w in warnings]


def _rates(units: list[int], period: Period, today: date) -> dict:
    """The territory's rates as unit scoring defines them (the same score lines, summed counts)."""
    counts = score_counts.unit_counts(period.first, period.last, today)
    total = sum((counts.get(pk, Counts()) for pk in units), Counts())
    lines = {line.key: line for line in score(total).lines}
    return {
        "accepted_on_time_rate": lines["timely"].rate,
        "answered_on_time_rate": lines["reply"].rate,
        "rated_rate": lines["participation"].rate,
        "satisfaction_rate": lines["satisfaction"].rate,
    }


def _annual(selection: Selection, unit_ids: list[int], territory: str) -> AnnualItems:
    """The art. 41 items: the units most complained about, the year's 转送, 交办 and 督办."""
    period = selection.period
    events = MatterEvent.objects.filter(
        at__date__range=(period.first, period.last), matter__division__path__startswith=territory
    )
    sups = (
        Supervision.objects.filter(issued_at__date__range=(period.first, period.last))
        .filter(Q(issuing_unit__in=unit_ids) | Q(tasks__unit__in=unit_ids))
        .distinct()
    )
    states = dict.fromkeys(Supervision.State.values, 0)
    for state in sups.values_list("state", flat=True):
        states[state] += 1
    return AnnualItems(
        organs=panels.by_complained(selection).rows,
        forwarded=events.filter(action="forward").count(),
        assigned=events.filter(action="assign").count(),
        supervised=sum(states.values()),
        supervision_answered=states[Supervision.State.ANSWERED],
        supervision_closed=states[Supervision.State.CLOSED],
        supervision_escalated=states[Supervision.State.ESCALATED],
    )
