"""Pages of grid events: the reporter's phone pages (report, my events), the centre's queue, the
event with its history and one form per act, photos, statistics."""

from datetime import timedelta
from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from xinfang.audit import api as audit
from xinfang.core import clock, uploads
from xinfang.core.params import page_number
from xinfang.org.access import casework_required, staff_required
from xinfang.org.models import Role
from xinfang.petitions.views import UncountedPage, deadline_light

from . import export, services, stats
from .forms import FilterForm, ReportForm, form_for
from .models import GridEvent, GridEventPhoto
from .workflow import TRANSITIONS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
reporter_required = staff_required(lambda u: u.reports_events, "只有网格员、社会信息员可以上报网格事件。")
stats_required = staff_required(lambda u: u.does_casework or u.role == Role.ANALYST, "您的角色不能查看统计。")


@reporter_required
def report(request):
    grids = services.grids_of(request.user)
    form = ReportForm(request.POST or None, request.FILES or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            event = services.report(request.user, kind=d["kind"], title=d["title"], description=d["description"],
                                    grid=d["grid"], place=d["place"] or "", headcount=d["headcount"],
                                    urgent=d["urgent"], photos=d["photos"])  # fmt: skip
        except (services.TransitionError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            note = "（系统识别为紧急事件，已提示中心优先处理）" if event.urgent and not d["urgent"] else ""
            messages.success(request, f"已上报，事件编号 {event.number}。{note}")
            return redirect("grid:mine")
    return render(request, "grid/report.html", {"form": form, "grids": grids})


@reporter_required
def mine(request):
    events = GridEvent.objects.filter(reported_by=request.user).select_related("grid", "handling_unit")
    page = UncountedPage(
        events.order_by("-reported_at", "-id"), page_number(request.GET.get("page")), size=20
    )
    return render(request, "grid/mine.html", {"page": page})


def todo_q(user):
    statuses = {
        s for t in TRANSITIONS.values() if user.role in t.roles and t.actor == "holder" for s in t.sources
    }
    units = list(user.unit.subtree().values_list("pk", flat=True))
    return Q(holder_unit__in=units, status__in=statuses)


def listed(user, params):
    """The user's to-do events, or all the events they see filtered by status, type and the days
    they were reported on."""
    tab = params.get("tab", "todo")
    qs = GridEvent.objects.visible_to(user)
    form = FilterForm(params if tab != "todo" else None)
    if tab == "todo":
        return qs.filter(todo_q(user)).order_by("-urgent", "due_date", "-id"), form, tab
    if form.is_valid():
        d = form.cleaned_data
        for name in ("status", "kind"):
            if d.get(name):
                qs = qs.filter(**{name: d[name]})
        if d.get("reported_from"):
            qs = qs.filter(reported_at__gte=clock.local_datetime(d["reported_from"]))
        if d.get("reported_to"):
            qs = qs.filter(reported_at__lt=clock.local_datetime(d["reported_to"] + timedelta(days=1)))
    return qs.order_by("-reported_at", "-id"), form, tab


@casework_required
def queue(request):
    qs, form, tab = listed(request.user, request.GET)
    qs = qs.select_related("grid", "holder_unit", "division")
    page = UncountedPage(qs, page_number(request.GET.get("page")))
    today = clock.today()
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "grid/queue.html", {
        "page": page, "tab": tab, "rows": [(e, *deadline_light(e, today)) for e in page], "form": form,
        "querystring": params.urlencode(),
    })  # fmt: skip


@casework_required
def export_list(request):
    qs, _, tab = listed(request.user, request.GET)
    buffer = BytesIO()
    rows = export.write(qs, buffer)
    audit.record("export", request=request, target="grid_events",
                 detail={"tab": tab, "filters": request.GET.dict(), "rows": rows})  # fmt: skip
    name = f"网格事件台账-{clock.today():%Y%m%d}.xlsx"
    return FileResponse(BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


def get_event(user, pk) -> GridEvent:
    """The event for a casework user in scope, or for its reporter."""
    qs = GridEvent.objects.select_related("grid", "division", "holder_unit", "centre", "handling_unit",
                                          "reported_by", "matter", "duplicate_of")  # fmt: skip
    if user.does_casework:
        qs = qs.visible_to(user)
    elif user.reports_events:
        qs = qs.filter(reported_by=user)
    else:
        raise PermissionDenied("您的角色不处理网格事件。")
    try:
        return qs.get(pk=pk)
    except GridEvent.DoesNotExist:
        raise Http404("没有找到该事件，或它不在您的工作范围内。") from None


@login_required
def detail(request, pk):
    event = get_event(request.user, pk)
    user = request.user
    light, light_label = deadline_light(event, clock.today())
    context = {
        "event": event,
        "actions": [
            t
            for t in TRANSITIONS.values()
            if t.name not in {"to_dispute", "to_matter"}
            and services.can_perform(user, event, t, visible=True)
        ],  # fmt: skip
        "can_to_dispute": services.can_perform(user, event, TRANSITIONS["to_dispute"], visible=True),
        "can_to_matter": services.can_perform(user, event, TRANSITIONS["to_matter"], visible=True),
        "events": event.events.select_related("actor", "actor_unit").prefetch_related("photos"),
        "photos": event.photos.filter(log__action="register"),
        "light": light,
        "light_label": light_label,
        "staff": user.does_casework,
        "can_supervise": user.does_casework and user.role in {Role.SUPERVISOR, Role.LEADER},
        "disputes": event.disputes.visible_to(user) if user.does_casework else [],
    }
    return render(request, "grid/detail.html", context)


@login_required
def act(request, pk, action):
    event = get_event(request.user, pk)
    t = TRANSITIONS.get(action)
    if t is None or action in {"to_dispute", "to_matter"}:
        raise Http404("未知的操作")
    if not services.can_perform(request.user, event, t, visible=True):
        raise PermissionDenied(f"您不能对该事件进行「{t.label}」。")
    form = form_for(action)(request.POST or None, request.FILES or None, event=event, user=request.user,
                            initial={"version": event.version})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.perform(event.pk, request.user, action, expected_version=form.cleaned_data["version"],
                             note=form.cleaned_data.get("note", ""), photos=form.cleaned_data.get("photos") or [],
                             **form.params())  # fmt: skip
        except (services.TransitionError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, f"已{t.label}。")
            return redirect("grid:detail", pk=event.pk)
    return render(request, "grid/act.html", {"event": event, "transition": t, "form": form})


@casework_required
def to_matter(request, pk):
    """转为信访事项: a registrar or dispatcher of a bureau or government registers it."""
    from django import forms

    from xinfang.petitions.choices import Channel
    from xinfang.petitions.models import Category

    event = get_event(request.user, pk)
    if not services.can_perform(request.user, event, TRANSITIONS["to_matter"], visible=True):
        raise PermissionDenied("您不能将该事件转为信访事项。")

    class ToMatterForm(forms.Form):
        category = forms.ModelChoiceField(label="内容分类",
                                          queryset=Category.objects.filter(active=True, parent__isnull=False))  # fmt: skip
        channel = forms.ChoiceField(label="信访方式", choices=Channel.choices, initial=Channel.VISIT)

    form = ToMatterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            matter = services.to_matter(event.pk, request.user, **form.cleaned_data)
        except services.TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已转为信访事项，查询码 {matter.display_code}。")
            return redirect("petitions:detail", pk=matter.pk)
    return render(request, "grid/to_matter.html", {"event": event, "form": form})


@login_required
def photo(request, pk):
    p = get_object_or_404(GridEventPhoto, pk=pk)
    get_event(request.user, p.case_id)  # 404 unless the user may see the event
    return uploads.serve(p.file, p.name)


@stats_required
def statistics(request):
    from xinfang.disputes.views import period_of

    first, last = period_of(request.GET)
    rep = stats.report(request.user, first, last)
    sections = [
        ("合计", [rep["total"]]),
        ("按网格", rep["grid"]),
        ("按事件类型", rep["kind"]),
        ("按处置单位", rep["handling_unit"]),
    ]
    return render(request, "grid/stats.html", {"sections": sections, "first": first, "last": last})
