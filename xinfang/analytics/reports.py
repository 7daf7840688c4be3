"""信访形势分析报告: the numbers of a monthly, quarterly or annual report gathered from the column
store and the records (`gather`), for xinfang.documents.report to write up as a 公文.

The counts are the dashboard's (same column store, same definitions), so a report and the
dashboard for the same period and territory agree. The rates are unit scoring's (考核口径) summed
over the units of the territory.

A report names matters (查询码, titles) only to a reader who does casework, and only matters in
that reader's scope (`panels.readable`); for anyone else, and on the command line without a
user, it is figures only.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from django.db.models import Q

from xinfang.core import clock
from xinfang.documents import report as doc
from xinfang.org.models import Division, Unit
from xinfang.petitions.models import MatterEvent
from xinfang.supervision import scores
from xinfang.supervision.models import Supervision
from xinfang.supervision.scorecard import Counts, score
from xinfang.supervision.services import oversight_root

from . import panels, snapshot
from .frame import day_number
from .models import Warning
from .panels import Period, Scope

KINDS = {"monthly": "月度", "quarterly": "季度", "annual": "年度"}


class ReportError(ValueError):
    pass


def period_of(kind: str, value: str) -> Period:
    """'2026-10' (monthly), '2026Q3' or '2026-Q3' (quarterly), '2025' (annual)."""
    value = value.strip()
    if kind == "monthly" and (m := re.fullmatch(r"(\d{4})-(\d{1,2})", value)):
        y, mo = int(m[1]), int(m[2])
        if 1 <= mo <= 12:
            return Period(date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]))
    if kind == "quarterly" and (m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", value)):
        y, q = int(m[1]), int(m[2])
        last_month = q * 3
        return Period(date(y, last_month - 2, 1), date(y, last_month, calendar.monthrange(y, last_month)[1]))
    if kind == "annual" and re.fullmatch(r"\d{4}", value):
        return Period(date(int(value), 1, 1), date(int(value), 12, 31))
    examples = {"monthly": "2026-10", "quarterly": "2026Q3", "annual": "2025"}
    raise ReportError(
        f"报告期间「{value}」格式不正确，{KINDS.get(kind, '')}报告请写作 {examples.get(kind, '')}。"
    )


def _rows(table: panels.Table) -> list[doc.Row]:
    """Breakdown rows (名称, 本期, 占比, 同期, 同比, 上期, 环比) as report rows."""
    return [doc.Row(r[0], r[1], previous=r[5], last_year=r[3]) for r in table.rows]


def _count(row) -> doc.Count:
    return doc.Count(row[1], previous=row[4], last_year=row[2])


def _rates(units: list[int], period: Period, today: date) -> dict:
    """The territory's rates as unit scoring defines them (the same score lines, summed counts)."""
    counts = scores.unit_counts(period.first, period.last, today)
    total = sum((counts.get(pk, Counts()) for pk in units), Counts())
    lines = {line.key: line for line in score(total).lines}
    return {
        "accepted_on_time_rate": lines["timely"].rate,
        "answered_on_time_rate": lines["reply"].rate,
        "rated_rate": lines["participation"].rate,
        "satisfaction_rate": lines["satisfaction"].rate,
    }


def _annual(scope: Scope, period: Period, unit_ids: list[int], territory: str) -> doc.AnnualItems:
    fr = scope.frame
    organs = []
    now, before = (
        fr.count_by("complained", scope.selection(p), len(fr.units.ids)) for p in (period, period.last_year())
    )
    for i in [int(i) for i in now.argsort()[::-1][:10] if now[i]]:
        organs.append(doc.Row(fr.units.names[i], int(now[i]), last_year=int(before[i])))
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
    return doc.AnnualItems(
        organs=organs,
        forwarded=events.filter(action="forward").count(),
        assigned=events.filter(action="assign").count(),
        supervised=sum(states.values()),
        supervision_answered=states[Supervision.State.ANSWERED],
        supervision_closed=states[Supervision.State.CLOSED],
        supervision_escalated=states[Supervision.State.ESCALATED],
    )


def gather(kind: str, period: Period, *, division: Division | None = None, issuing_unit: Unit | None = None,
           reader=None, today: date | None = None) -> doc.ReportData:  # fmt: skip
    """The report's numbers for `period` over `division`'s territory (default: the top division),
    as `reader` may read it (None: figures only, no matter named)."""
    if kind not in KINDS:
        raise ReportError(f"报告类型应为 {'、'.join(KINDS)} 之一。")
    today = today or clock.today()
    if period.first > today:
        raise ReportError(f"报告期间{period.label()}尚未开始。")
    frame = snapshot.ensure()
    # default: the territory of the highest petition bureau (the city's, not the province above it)
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
    scope = Scope(
        frame=frame,
        period=period,
        today=today,
        division=position,
        home=position,
        visible=panels.readable(reader),
    )
    summary = {r[0]: r for r in panels.summary(scope).rows}
    trend = panels.trend(scope)
    units = (
        Unit.objects.filter(path__startswith=oversight_root(issuing_unit).path)
        if issuing_unit
        else Unit.objects.none()
    )
    unit_ids = list(units.values_list("pk", flat=True))
    lights = frame.deadline_lights(scope.selection(whole_history=True), day_number(today))
    data = doc.ReportData(
        kind=kind,
        period_label=period.label(),
        first_day=period.first,
        last_day=period.last,
        issuing_unit=str(issuing_unit) if issuing_unit else division.name,
        issued_on=today,
        scope=f"全{division.name[-1]}" if division.name[-1] in "市县区省" else division.name,
        as_of=today,
        matters=_count(summary["信访事项（件）"]),  # the renderer leaves 环比 out of annual reports
        people=_count(summary["信访人次"]),
        volume=[(r[0][5:] if len(r[0]) == 10 else r[0], r[1]) for r in trend.rows],
        volume_by="日" if len(trend.rows) and len(trend.rows[0][0]) == 10 else "月",
        channels=_rows(panels.by_channel(scope)),
        natures=_rows(panels.by_nature(scope)),
        categories=_rows(panels.by_category(scope)),
        divisions=_rows(panels.by_division(scope)),
        handling_units=_rows(panels.by_unit(scope)),
        top_issues=_top_issues(scope),
        collective_matters=_count(summary["集体访（件）"]),
        collective_people=_count(summary["集体访（人次）"]),
        repeat_matters=_count(summary["重复信访（件）"]),
        overdue_open=int(lights["overdue"].sum()),
        longest_open=[
            doc.OpenMatter(r[0], r[1], r[2], r[4]) for r in panels.longest_open(scope, limit=5).rows
        ],
        alerts=[
            doc.Alert(w.get_severity_display(), w.title)
            for w in Warning.objects.filter(raised_on__range=(period.first, period.last))
            .filter(Q(division__isnull=True) | Q(division__path__startswith=division.path))
            .order_by("-severity", "raised_on")[:10]
        ],
        annual=_annual(scope, period, unit_ids, division.path) if kind == "annual" else None,
        **_rates(unit_ids, period, today),
    )
    return data


def _top_issues(scope: Scope, limit=5) -> list[doc.Issue]:
    """The most frequent second-level categories, with last year's count and up to two titles of
    matters the reader may open."""
    fr, tree = scope.frame, scope.frame.categories
    sel = scope.selection()
    now = fr.count_by("category", sel, len(tree.ids))
    before = fr.count_by("category", scope.selection(scope.period.last_year()), len(tree.ids))
    cats, ids = fr.values("category", sel), fr.values("id", sel)
    leaves = [int(i) for i in now.argsort(kind="stable")[::-1] if now[i] and tree.end[i] - i == 1][:limit]
    out = []
    for i in leaves:
        parent = tree.parents[i]
        out.append(
            doc.Issue(
                tree.names[i],
                tree.names[parent] if parent >= 0 else "",
                int(now[i]),
                last_year=int(before[i]),
                examples=tuple(panels.example_titles(scope, ids[cats == i], 2)),
            )
        )
    return out


def render(kind: str, period: Period, fmt: str, **kw) -> bytes:
    """The report as .docx, .pdf (LibreOffice) or the .xlsx of its tables."""
    from xinfang.documents import convert

    data = gather(kind, period, **kw)
    if fmt == "xlsx":
        return doc.render_tables_xlsx(data)
    docx = doc.render_report(data)
    return convert.to_pdf(docx) if fmt == "pdf" else docx
