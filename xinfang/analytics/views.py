"""The dashboard (统计分析), the leader cockpit (领导驾驶舱) and their .xlsx exports."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from xinfang.core import clock
from xinfang.core.params import FIRST_DAY, LAST_DAY, DateField, page_of, whole_number
from xinfang.core.xlsx_tables import tables_xlsx
from xinfang.documents.convert import ConversionError
from xinfang.org.access import staff_required
from xinfang.org.models import Division, Role, Unit
from xinfang.petitions.choices import Channel, Nature
from xinfang.petitions.models import Category, Matter
from xinfang.supervision.common import oversight_root
from xinfang.supervision.models import CaseOwnership, Supervision
from xinfang.supervision.ownership import stuck_reasons
from xinfang.supervision.supervisions import supervisions_visible_to

from . import display, panels, rates, situation_report, snapshot
from .display import Table
from .models import Warning
from .panels import Period, Selection
from .warnings import WarningError, acknowledge, warnings_for

VIEWER_ROLES = {Role.ANALYST, Role.SUPERVISOR, Role.LEADER}

viewer_required = staff_required(
    lambda user: user.is_active and user.unit_id and user.role in VIEWER_ROLES,
    "统计分析仅供分析员、督查员和领导查看。",
)


class DashboardForm(forms.Form):
    first = DateField(label="收到日期从", required=False)
    last = DateField(label="至", required=False)
    channel = forms.ChoiceField(label="信访方式", required=False, choices=[("", "全部")] + Channel.choices)
    nature = forms.ChoiceField(label="性质", required=False, choices=[("", "全部")] + Nature.choices)
    category = forms.ModelChoiceField(
        label="内容分类", required=False, queryset=Category.objects.all(), empty_label="全部"
    )
    division = forms.ModelChoiceField(
        label="属地", required=False, queryset=Division.objects.all(), empty_label="本辖区"
    )
    unit = forms.ModelChoiceField(
        label="承办单位", required=False, queryset=Unit.objects.all(), empty_label="全部"
    )

    def clean(self):
        """The period, with an end left open meaning this month's first day or today."""
        data = super().clean()
        today = clock.today()
        first, last = data.get("first") or today.replace(day=1), data.get("last") or today
        if first > last:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        if (last - first).days > 366 * 3:
            raise forms.ValidationError("统计期间最长为三年。")
        return data


def territory(user) -> Division:
    """The top division of the user's unit: the dashboard counts nothing outside it."""
    top = Division.objects.filter(units=user.unit).order_by("level", "code").first()
    if top is None:
        raise PermissionDenied("您的单位未设置管辖区划，无法查看统计分析。请联系系统管理员。")
    return top


def build_selection(request) -> tuple[Selection | None, DashboardForm]:
    today = clock.today()
    form = DashboardForm(request.GET or None)
    frame = snapshot.current()
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if frame is None:
        return None, form
    home = territory(request.user)
    first = data.get("first") or today.replace(day=1)
    last = data.get("last") or today
    division = data.get("division") or home
    if not division.path.startswith(home.path):
        form.add_error("division", "所选属地不在您的辖区内。")
        division = home

    def position(name, tree, obj):
        """The tree position of a chosen object; one created after the snapshot is not in it yet."""
        if obj is None:
            return None
        pos = tree.position().get(obj.pk)
        if pos is None:
            form.add_error(
                name, f"统计数据生成后才新增，下次更新（{settings.XINFANG_SNAPSHOT_SECONDS}秒内）后即可统计。"
            )
        return pos

    home_pos = position("division", frame.divisions, home)
    if home_pos is None:
        return None, form
    params = {"first": first.isoformat(), "last": last.isoformat()}
    params |= {name: data[name] for name in ("channel", "nature") if data.get(name)}
    params |= {name: data[name].pk for name in ("category", "unit") if data.get(name)}
    if division != home:
        params["division"] = division.pk

    def code(choices, value):
        return next((i for i, (c, _l) in enumerate(choices) if c == value), None) if value else None

    selection = Selection(
        frame=frame,
        period=Period(first, last),
        today=today,
        channel=code(frame.channels, data.get("channel")),
        nature=code(frame.natures, data.get("nature")),
        category=position("category", frame.categories, data.get("category")),
        division=position("division", frame.divisions, division) or home_pos,
        home=home_pos,
        unit=position("unit", frame.units, data.get("unit")),
        visible=panels.readable(request.user),
        unit_root=oversight_root(request.user.unit).path,
        params=params,
    )
    return selection, form


def taken_at(frame):
    """When the snapshot was taken, in local time."""
    return timezone.localtime(datetime.fromisoformat(frame.meta["taken_at"]))


def xlsx_response(tables: list[Table], filename: str) -> HttpResponse:
    response = HttpResponse(
        tables_xlsx([t.sheet() for t in tables]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _panels(selection, names):
    tables = []
    for name in names:
        table = display.table(name, selection)
        table.export = reverse("analytics:dashboard") + selection.dashboard_link(export=name)
        tables.append(table)
    return tables


@viewer_required
def dashboard(request):
    selection, form = build_selection(request)
    if selection is None:
        empty = {"form": form, "empty": True, "refresh_seconds": settings.XINFANG_SNAPSHOT_SECONDS}
        return render(request, "analytics/dashboard.html", empty)
    # the longest-open list names matters: for those who may read them
    names = display.DASHBOARD + (["longest_open"] if selection.can_list else [])
    wanted = request.GET.get("export")
    if wanted:
        chosen = [name for name in names if name == wanted] if wanted != "all" else names
        if not chosen:
            raise PermissionDenied("没有这个统计表。")
        tables = _panels(selection, chosen)
        return xlsx_response(tables, f"统计分析_{selection.period.first}_{selection.period.last}.xlsx")
    tables = _panels(selection, names)
    frame = selection.frame
    context = {
        "form": form,
        "selection": selection,
        "tables": tables,
        "backlog": panels.backlog_totals(selection),
        "taken_at": taken_at(frame),
        "lag": snapshot.lag_seconds(frame),
        "refresh_seconds": settings.XINFANG_SNAPSHOT_SECONDS,
        "period_label": selection.period.label(),
        "division_name": frame.divisions.names[selection.division],
        "breadcrumb": [
            (frame.divisions.names[p], selection.dashboard_link(division=frame.divisions.ids[p]))
            for p in frame.divisions.path(selection.division)
            if p >= selection.home
        ],
        "charts": {t.key: t.chart for t in tables if t.chart},
        "export_all": selection.dashboard_link(export="all"),
        "rates": [
            {**r, "link": reverse("analytics:rates") + selection.dashboard_link(rate=r["key"])}
            for r in rates.three_rates(
                _rate_units(request, selection), selection.period.first, selection.period.last
            )
        ],
    }
    return render(request, "analytics/dashboard.html", context)


def _rate_units(request, selection):
    division = Division.objects.get(pk=selection.frame.divisions.ids[selection.division])
    return rates.territory_units(request.user, division)


@viewer_required
def rate_units(request):
    """One of the 三率 unit by unit (the lowest first); the counts open the matters behind them for
    those who may read matters (not analysts: statistics only)."""
    key = request.GET.get("rate")
    if key not in rates.RATES:
        raise Http404("没有这个指标。")
    selection, form = build_selection(request)
    if selection is None:
        return render(request, "analytics/rates.html", {"empty": True, "label": rates.RATES[key]})
    period = selection.period
    return render(
        request,
        "analytics/rates.html",
        {
            "label": rates.RATES[key],
            "note": rates.NOTES[key],
            "period": period,
            "rows": rates.by_unit(_rate_units(request, selection), period.first, period.last, key),
            "can_drill": request.user.role != Role.ANALYST,
            "back": reverse("analytics:dashboard") + selection.dashboard_link(),
        },
    )


def _yesterday(selection: Selection) -> tuple[int, float]:
    """Matters received yesterday, and the mean of the same weekday over the four weeks before."""
    frame = selection.frame
    day = selection.today - timedelta(days=1)
    counts = [frame.count(selection.rows(Period(d, d))) for d in (day - timedelta(weeks=k) for k in range(5))]
    return counts[0], sum(counts[1:]) / 4


@viewer_required
def cockpit(request):
    """领导驾驶舱: what a leader needs first thing in the morning, on one page."""
    selection, _form = build_selection(request)
    if selection is None:
        empty = {"empty": True, "refresh_seconds": settings.XINFANG_SNAPSHOT_SECONDS}
        return render(request, "analytics/cockpit.html", empty)
    today = selection.today
    selection.period = Period(today.replace(day=1), today)
    user = request.user
    yesterday, usual = _yesterday(selection)
    supervisions = (
        supervisions_visible_to(user)
        .filter(state=Supervision.State.OPEN, due_on__lte=today + timedelta(days=3))
        .order_by("due_on")[:10]
        if user.does_casework
        else []
    )
    cases = []
    if user.role == Role.LEADER:
        for case in CaseOwnership.objects.filter(
            leader=user, state=CaseOwnership.State.ACTIVE
        ).select_related("matter"):
            reasons = stuck_reasons(case, today)
            if reasons:
                cases.append((case, reasons))
    tables = _panels(selection, display.COCKPIT + (["longest_open"] if selection.can_list else []))
    context = {
        "selection": selection,
        "yesterday": yesterday,
        "usual": round(usual, 1),
        "backlog": panels.backlog_totals(selection),
        "warnings": warnings_for(user)
        .filter(acknowledged_at__isnull=True)
        .order_by("-severity", "-raised_on")[:10],
        "supervisions": supervisions,
        "cases": cases,
        "tables": tables,
        "charts": {t.key: t.chart for t in tables if t.chart},
        "taken_at": taken_at(selection.frame),
        "lag": snapshot.lag_seconds(selection.frame),
        "refresh_seconds": settings.XINFANG_SNAPSHOT_SECONDS,
    }
    return render(request, "analytics/cockpit.html", context)


@viewer_required
def warning_list(request):
    qs = warnings_for(request.user)
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.filter(acknowledged_at__isnull=True)
    kind = request.GET.get("kind")
    if kind in Warning.Kind.values:
        qs = qs.filter(kind=kind)
    page = page_of(qs, request)
    return render(
        request,
        "analytics/warnings.html",
        {"page": page, "state": state, "kind": kind, "kinds": Warning.Kind.choices},
    )


@viewer_required
def warning_detail(request, pk):
    warning = get_object_or_404(warnings_for(request.user), pk=pk)
    if request.method == "POST":
        try:
            acknowledge(warning.pk, request.user, request.POST.get("note", ""))
        except WarningError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已签收。")
            return redirect("analytics:warning", pk=warning.pk)
    examples = []
    if request.user.does_casework:  # only matters the user may read
        examples = list(Matter.objects.visible_to(request.user).filter(pk__in=warning.examples))
    return render(request, "analytics/warning.html", {"warning": warning, "examples": examples})


def report_periods(today) -> list:
    """The periods a report is usually asked for, grouped by kind for the picker: the last 24
    months, 8 quarters and 5 years, the latest first (the current one marked 至今)."""
    months, quarters, years = [], [], []
    y, m = today.year, today.month
    for _ in range(24):
        months.append(
            (f"{y}-{m:02d}", f"{y}年{m}月" + ("（至今）" if (y, m) == (today.year, today.month) else ""))
        )
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    y, q = today.year, (today.month - 1) // 3 + 1
    for _ in range(8):
        current = (y, q) == (today.year, (today.month - 1) // 3 + 1)
        quarters.append((f"{y}Q{q}", f"{y}年第{'一二三四'[q - 1]}季度" + ("（至今）" if current else "")))
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    for y in range(today.year, today.year - 5, -1):
        years.append((str(y), f"{y}年" + ("（至今）" if y == today.year else "")))
    return [("月度报告", months), ("季度报告", quarters), ("年度报告", years)]


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label="报告", choices=list(situation_report.KINDS.items()))
    # A picker of the usual periods; any period typed in the query string is read the same way.
    period = forms.CharField(label="期间", max_length=10)
    format = forms.ChoiceField(
        label="格式",
        choices=[("docx", "文档（.docx，公文格式）"), ("pdf", "PDF"), ("xlsx", "统计表（.xlsx）")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = clock.today()
        self.fields["period"].widget = forms.Select(choices=report_periods(today))
        last_month = today.replace(day=1) - timedelta(days=1)
        self.fields["period"].initial = f"{last_month.year}-{last_month.month:02d}"

    def clean_period(self):
        """Full-width characters as their half-width forms; every form of a period begins with its
        year, which must be one the calendar arithmetic of a report can reach on both sides."""
        value = unicodedata.normalize("NFKC", self.cleaned_data["period"]).strip()
        if not value.isascii():
            raise forms.ValidationError("报告期间请用半角数字填写，如 2026-10、2026Q3、2025。")
        year = whole_number(value[:4])
        if year is not None and not FIRST_DAY.year <= year <= LAST_DAY.year:
            raise forms.ValidationError(f"报告年份应在{FIRST_DAY.year}年至{LAST_DAY.year}年之间。")
        return value


@viewer_required
def report(request):
    """信访形势分析报告 for the user's territory, as .docx, .pdf or .xlsx."""
    form = ReportForm(request.GET or None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            period = situation_report.period_of(d["kind"], d["period"])
            body = situation_report.render(
                d["kind"],
                period,
                d["format"],
                division=territory(request.user),
                issuing_unit=request.user.unit,
                reader=request.user,
            )
        except (situation_report.ReportError, ConversionError) as exc:
            form.add_error(None, str(exc))
        else:
            types = {
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "pdf": "application/pdf",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
            response = HttpResponse(body, content_type=types[d["format"]])
            name = quote(f"{period.label()}信访形势分析报告.{d['format']}")
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
            return response
    return render(request, "analytics/report.html", {"form": form})
