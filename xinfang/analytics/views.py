"""The dashboard (统计分析), the leader cockpit (领导驾驶舱) and their .xlsx exports."""

from __future__ import annotations

import io

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from xinfang.org.models import Division, Role, Unit
from xinfang.petitions.choices import Channel, Nature
from xinfang.petitions.models import Category, Matter
from xinfang.petitions.views import staff_required

from . import panels, snapshot
from .panels import Period, Scope

VIEWER_ROLES = {Role.ANALYST, Role.SUPERVISOR, Role.LEADER}

viewer_required = staff_required(
    lambda user: user.is_active and user.unit_id and user.role in VIEWER_ROLES,
    "统计分析仅供分析员、督查员和领导查看。",
)


class DashboardForm(forms.Form):
    first = forms.DateField(
        label="收到日期从", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))
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
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and first > last:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        if first and last and (last - first).days > 366 * 3:
            raise forms.ValidationError("统计期间最长为三年。")
        return data


def territory(user) -> Division:
    """The top division of the user's unit: the dashboard counts nothing outside it."""
    top = Division.objects.filter(units=user.unit).order_by("level", "code").first()
    if top is None:
        raise PermissionDenied("您的单位未设置管辖区划，无法查看统计分析。请联系系统管理员。")
    return top


def build_scope(request) -> tuple[Scope | None, DashboardForm]:
    today = timezone.localdate()
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
    params = {"first": first.isoformat(), "last": last.isoformat()}
    for name in ("channel", "nature"):
        if data.get(name):
            params[name] = data[name]
    for name in ("category", "division", "unit"):
        if data.get(name):
            params[name] = data[name].pk
    if division != home:
        params["division"] = division.pk
    else:
        params.pop("division", None)

    def code(choices, value):
        return next((i for i, (c, _l) in enumerate(choices) if c == value), None) if value else None

    def position(tree, obj):
        return tree.position().get(obj.pk) if obj is not None else None

    scope = Scope(
        frame=frame,
        period=Period(first, last),
        today=today,
        channel=code(frame.channels, data.get("channel")),
        nature=code(frame.natures, data.get("nature")),
        category=position(frame.categories, data.get("category")),
        division=position(frame.divisions, division) or 0,
        home=position(frame.divisions, home) or 0,
        unit=position(frame.units, data.get("unit")),
        can_list=request.user.does_casework,
        params=params,
    )
    return scope, form


def xlsx_response(tables: list[panels.Table], filename: str) -> HttpResponse:
    book = Workbook()
    book.remove(book.active)
    for t in tables:
        sheet = book.create_sheet(t.title[:31].replace("/", "、"))
        sheet.append(t.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in t.rows:
            sheet.append(row)
        for i, header in enumerate(t.headers):
            width = max([len(str(header))] + [len(str(r[i])) for r in t.rows[:200] if r[i] is not None])
            sheet.column_dimensions[sheet.cell(1, i + 1).column_letter].width = min(60, width * 2 + 2)
        if t.note:
            sheet.append([])
            sheet.append([t.note])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def _panels(request, scope, builders):
    visible = Matter.objects.visible_to(request.user) if scope.can_list else None
    tables = []
    for build in builders:
        table = build(scope, visible) if build is panels.longest_open else build(scope)
        table.export = scope.dashboard_link(export=build.__name__)
        tables.append(table)
    return tables


@viewer_required
def dashboard(request):
    scope, form = build_scope(request)
    if scope is None:
        return render(request, "analytics/dashboard.html", {"form": form, "empty": True})
    # the longest-open list names matters: for those who may read them
    builders = panels.DASHBOARD + ([panels.longest_open] if scope.can_list else [])
    wanted = request.GET.get("export")
    if wanted:
        chosen = [b for b in builders if b.__name__ == wanted] if wanted != "all" else builders
        if not chosen:
            raise PermissionDenied("没有这个统计表。")
        tables = _panels(request, scope, chosen)
        return xlsx_response(tables, f"统计分析_{scope.period.first}_{scope.period.last}.xlsx")
    tables = _panels(request, scope, builders)
    frame = scope.frame
    context = {
        "form": form,
        "scope": scope,
        "tables": tables,
        "backlog": panels.backlog_totals(scope),
        "taken_at": frame.meta["taken_at"],
        "period_label": scope.period.label(),
        "division_name": frame.divisions.names[scope.division],
        "breadcrumb": [
            (frame.divisions.names[p], scope.dashboard_link(division=frame.divisions.ids[p]))
            for p in frame.divisions.path(scope.division)
            if p >= scope.home
        ],
        "charts": {t.key: t.chart for t in tables if t.chart},
        "export_all": scope.dashboard_link(export="all"),
    }
    return render(request, "analytics/dashboard.html", context)
