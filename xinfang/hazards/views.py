"""Staff pages of the hazard ledger: lists, registration, a hazard with its history and acts, the
enterprise register, statistics and summaries, and the panel on a petition's page."""

from datetime import date
from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from xinfang.audit import api as audit
from xinfang.core import clock, uploads
from xinfang.core.params import page_number, read_date, whole_number
from xinfang.documents.views import docx_response
from xinfang.org.access import casework_required, staff_required
from xinfang.org.models import FULL_PERSONAL_DATA_ROLES, Role
from xinfang.petitions.models import Matter, normalize_tracking_code
from xinfang.petitions.views import XLSX, UncountedPage, get_visible_matter

from . import documents, exports, services, statistics
from .choices import OPEN_STATUSES, RECTIFIED_STATUSES
from .forms import (
    EnterpriseFilterForm,
    EnterpriseForm,
    EscalateForm,
    HazardForm,
    LinkPetitionForm,
    ListForm,
    form_for,
)
from .lists import RELATED, light, listed_hazards
from .models import Enterprise, Hazard, HazardPhoto
from .services import OVERSIGHT_ROLES, REGISTERING_ROLES, TransitionError
from .workflow import TRANSITIONS

EXPORT_MAX = 50_000  # rows a list export writes while the user waits
# Statistics: casework staff for their unit's area, analysts as figures only.
statistics_required = staff_required(
    lambda user: (
        user.is_active and user.unit_id is not None and (user.does_casework or user.role == Role.ANALYST)
    ),
    "您的角色不能查看隐患统计。",
)


def get_visible_hazard(user, pk) -> Hazard:
    found = (
        Hazard.objects.visible_to(user)
        .select_related(*RELATED, "registered_by", "petition")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("没有找到该隐患，或该隐患不在您的工作范围内。")
    return found


def full_contacts(user) -> bool:
    return user.role in FULL_PERSONAL_DATA_ROLES


# ---------------------------------------------------------------- lists


@casework_required
def queue(request):
    qs, form, tab = listed_hazards(request.user, request.GET)
    number = page_number(request.GET.get("page"))
    page = UncountedPage(qs.select_related(*RELATED), number)
    today = clock.today()
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "rows": [(h, *light(h, today)) for h in page],
        "form": form,
        "tab": tab,
        "querystring": params.urlencode(),
    }
    template = (
        "hazards/_table.html"
        if request.htmx and request.htmx.target == "hazard-table"
        else "hazards/queue.html"
    )
    return render(request, template, context)


@casework_required
@require_GET
def export(request):
    params = request.GET.copy()
    params.pop("page", None)
    qs, _, tab = listed_hazards(request.user, params)
    total = qs.count()
    if total > EXPORT_MAX:
        messages.error(
            request,
            f"符合条件的隐患有{total}项，超过一次导出的上限{EXPORT_MAX}项，请缩小筛选范围后分批导出。",
        )
        return redirect(f"{request.path.rsplit('export/', 1)[0]}?{params.urlencode()}")
    buffer = BytesIO()
    exports.write_hazards(qs, buffer)
    audit.record(
        "export",
        request=request,
        target="hazards",
        detail={"tab": tab, "filters": params.dict(), "rows": total},
    )
    name = f"隐患排查治理台账-{clock.today():%Y%m%d}.xlsx"
    return FileResponse(BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


# ---------------------------------------------------------------- registration


@casework_required
def register(request):
    user = request.user
    if user.role not in REGISTERING_ROLES:
        raise PermissionDenied("您的角色不能登记隐患。")
    enterprises = Enterprise.objects.visible_to(user).filter(active=True)
    chosen = whole_number(request.POST.get("enterprise") or request.GET.get("enterprise"), minimum=1)
    enterprise = enterprises.filter(pk=chosen).first() if chosen else None
    if enterprise is None:
        q = request.GET.get("q", "").strip()
        found = (
            enterprises.filter(Q(name__contains=q) | Q(credit_code=q.upper())).order_by("name")[:30]
            if q
            else []
        )
        return render(request, "hazards/pick_enterprise.html", {"q": q, "found": found})
    form = HazardForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k not in {"petition_code", "files"}}
        fields.update(enterprise=enterprise, petition=form.cleaned_data.get("petition_code"))
        try:
            hazard = services.register_hazard(user, fields=fields, files=form.cleaned_data["files"])
        except TransitionError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已登记隐患，编号 {hazard.display_code}。")
            return redirect("hazards:detail", pk=hazard.pk)
    return render(request, "hazards/register.html", {"form": form, "enterprise": enterprise})


# ---------------------------------------------------------------- one hazard


@casework_required
def detail(request, pk):
    user = request.user
    hazard = get_visible_hazard(user, pk)
    events = list(hazard.events.select_related("actor", "actor_unit"))
    today = clock.today()
    level, label = light(hazard, today)
    full = full_contacts(user)
    if full and (hazard.enterprise.contact_name or hazard.enterprise.contact_phone):
        audit.record(
            "read_personal",
            request=request,
            target=f"enterprise:{hazard.enterprise_id}",
            detail={"via": f"hazard:{hazard.pk}"},
        )
    oversight = user.role in OVERSIGHT_ROLES and hazard.status in OPEN_STATUSES
    context = {
        "hazard": hazard,
        "actions": [t for t in TRANSITIONS.values() if services.can_perform(user, hazard, t, visible=True)],
        "events": events,
        "photos": list(hazard.photos.all()),
        "light": level,
        "light_label": label,
        "contact": hazard.enterprise.contact(full=full),
        "notice_event": next((e for e in events if e.action == "notify"), None),
        "listing_event": next((e for e in events if e.action == "list"), None),
        "can_list": oversight and hazard.is_major and not hazard.listed_by_id,
        "can_escalate": oversight and services.is_overdue(hazard, today),
        "link_form": LinkPetitionForm(),
    }
    return render(request, "hazards/detail.html", context)


@casework_required
def act(request, pk, action):
    hazard = get_visible_hazard(request.user, pk)
    t = TRANSITIONS.get(action)
    if t is None:
        raise Http404("未知的操作")
    if not services.can_perform(request.user, hazard, t, visible=True):
        raise PermissionDenied(f"您不能对该隐患进行「{t.label}」。")
    form = form_for(action)(
        request.POST or None, request.FILES or None, hazard=hazard, initial={"version": hazard.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.perform(
                hazard.pk,
                request.user,
                action,
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data.get("note", ""),
                files=form.cleaned_data.get("files") or [],
                **form.params(),
            )
        except TransitionError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已{t.label}。")
            return redirect("hazards:detail", pk=hazard.pk)
    return render(request, "hazards/act.html", {"hazard": hazard, "transition": t, "form": form})


OVERSIGHT = {
    "list": ("挂牌督办", ListForm),
    "escalate": ("升级督办并约谈", EscalateForm),
}


@casework_required
def oversee(request, pk, kind):
    """挂牌督办 and escalation with 约谈: acts of supervisors and leaders on a hazard (督办 and 催办
    are supervision's panel on its page)."""
    if kind not in OVERSIGHT:
        raise Http404("未知的操作")
    hazard = get_visible_hazard(request.user, pk)
    if request.user.role not in OVERSIGHT_ROLES:
        raise PermissionDenied("只有督查员和领导可以挂牌督办或升级督办。")
    label, form_class = OVERSIGHT[kind]
    form = form_class(request.POST or None, initial={"held_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if kind == "list":
                services.list_for_supervision(
                    hazard.pk, request.user, requirement=d["requirement"], due_on=d["due_on"]
                )
            else:
                services.escalate(
                    hazard.pk,
                    request.user,
                    interviewed=d["interviewed"],
                    held_on=d["held_on"],
                    summary=d["summary"],
                )
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已{label}。")
            return redirect("hazards:detail", pk=hazard.pk)
    return render(request, "hazards/oversee.html", {"hazard": hazard, "label": label, "form": form})


@casework_required
@require_POST
def link_petition(request, pk):
    hazard = get_visible_hazard(request.user, pk)
    code = normalize_tracking_code(request.POST.get("petition_code", ""))
    matter = Matter.objects.visible_to(request.user).filter(code=code).first() if code else None
    if matter is None:
        messages.error(request, "没有找到该查询码对应的信访事项，或该事项不在您的工作范围内。")
    else:
        try:
            services.link_petition(hazard.pk, request.user, matter)
        except TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已关联信访事项{matter.display_code}。")
    return redirect("hazards:detail", pk=hazard.pk)


@casework_required
def photo(request, pk):
    found = get_object_or_404(HazardPhoto, pk=pk)
    if not Hazard.objects.visible_to(request.user).filter(pk=found.hazard_id).exists():
        raise Http404("没有找到该照片。")
    return uploads.serve(found.file, found.name)


@casework_required
def notice(request, pk):
    """隐患整改通知书 (.docx)."""
    hazard = get_visible_hazard(request.user, pk)
    event = hazard.events.filter(action="notify").select_related("actor_unit").order_by("at", "id").first()
    if event is None:
        raise Http404("该隐患尚未下达整改通知。")
    return docx_response(
        documents.rectification_notice(hazard, event), f"隐患整改通知书-{hazard.display_code}.docx"
    )


@casework_required
def listing(request, pk):
    """重大事故隐患挂牌督办公告 (.docx)."""
    hazard = get_visible_hazard(request.user, pk)
    event = hazard.events.filter(action="list").order_by("at", "id").first()
    if event is None:
        raise Http404("该隐患没有挂牌督办。")
    return docx_response(documents.listing_notice(hazard, event), f"挂牌督办公告-{hazard.display_code}.docx")


# ---------------------------------------------------------------- the petition's panel


@casework_required
def matter_panel(request, pk):
    """The hazards a petition reported, on the petition's page (loaded from here: petitions know
    nothing of hazards). A rectified one comes with a sentence the reply can cite."""
    matter = get_visible_matter(request.user, pk)
    hazards = list(Hazard.objects.visible_to(request.user).filter(petition=matter).select_related(*RELATED))
    rows = [(h, citation(h)) for h in hazards]
    return render(request, "hazards/_matter_panel.html", {"matter": matter, "rows": rows})


def citation(hazard) -> str:
    """What the petitioner's reply can say about the rectification."""
    if hazard.status not in RECTIFIED_STATUSES:
        return ""
    done = f"{hazard.rectified_on.year}年{hazard.rectified_on.month}月{hazard.rectified_on.day}日"
    closed = "并已销号" if hazard.closed_on else ""
    return (
        f"经查，您反映的{hazard.enterprise.name}{hazard.location}“{hazard.title}”问题属实，"
        f"{hazard.holder_unit}已依法责令限期整改。该隐患已整改完毕，经{hazard.holder_unit}于{done}验收合格{closed}"
        f"（隐患编号{hazard.display_code}）。"
    )


# ---------------------------------------------------------------- enterprises


def _enterprise_list(request):
    qs = Enterprise.objects.visible_to(request.user)
    form = EnterpriseFilterForm(request.GET or None)
    if form.is_valid():
        d = form.cleaned_data
        if d.get("q"):
            q = d["q"].strip()
            qs = qs.filter(Q(name__contains=q) | Q(credit_code=q.upper()))
        if d.get("industry"):
            qs = qs.filter(industry=d["industry"])
        if d.get("division"):
            qs = qs.filter(division__path__startswith=d["division"].path)
        if d.get("unit"):
            qs = qs.filter(supervising_unit__path__startswith=d["unit"].path)
    return qs.order_by("name", "id"), form


@casework_required
def enterprises(request):
    qs, form = _enterprise_list(request)
    page = UncountedPage(
        qs.select_related("division", "supervising_unit"), page_number(request.GET.get("page"))
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "form": form,
        "querystring": params.urlencode(),
        "can_add": request.user.role in REGISTERING_ROLES,
    }
    return render(request, "hazards/enterprises.html", context)


@casework_required
@require_GET
def enterprises_export(request):
    qs, _ = _enterprise_list(request)
    total = qs.count()
    if total > EXPORT_MAX:
        messages.error(
            request, f"符合条件的单位有{total}家，超过一次导出的上限{EXPORT_MAX}家，请缩小筛选范围。"
        )
        return redirect("hazards:enterprises")
    full = full_contacts(request.user)
    buffer = BytesIO()
    exports.write_enterprises(qs, buffer, full=full)
    detail = {"filters": request.GET.dict(), "rows": total, "personal_data": "full" if full else "masked"}
    audit.record("export", request=request, target="enterprises", detail=detail)
    name = f"生产经营单位名录-{clock.today():%Y%m%d}.xlsx"
    return FileResponse(BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


@casework_required
def enterprise_new(request):
    if request.user.role not in REGISTERING_ROLES:
        raise PermissionDenied("您的角色不能登记生产经营单位。")
    form = EnterpriseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enterprise = form.save(commit=False)
        if not _would_see(request.user, enterprise):
            form.add_error(None, "该单位的所在区划和监管部门都不在您的工作范围内，请由属地或监管部门登记。")
        else:
            enterprise.save()
            audit.record(
                "change", request=request, target=f"enterprise:{enterprise.pk}", detail={"action": "register"}
            )
            messages.success(request, f"已登记「{enterprise.name}」。")
            return redirect("hazards:enterprise", pk=enterprise.pk)
    return render(request, "hazards/enterprise_new.html", {"form": form})


def _would_see(user, enterprise) -> bool:
    """Whether the user would see the enterprise once saved (the rule of visible_to, in memory)."""
    from xinfang.cases.scoping import territory_paths

    unit = user.unit
    if enterprise.supervising_unit.is_within(unit):
        return True
    return unit.is_territorial and any(enterprise.division.path.startswith(p) for p in territory_paths(unit))


@casework_required
def enterprise(request, pk):
    found = (
        Enterprise.objects.visible_to(request.user)
        .select_related("division", "supervising_unit")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("没有找到该单位，或该单位不在您的工作范围内。")
    full = full_contacts(request.user)
    if full and (found.contact_name or found.contact_phone):
        audit.record("read_personal", request=request, target=f"enterprise:{found.pk}")
    hazards = (
        Hazard.objects.visible_to(request.user)
        .filter(enterprise=found)
        .select_related(*RELATED)
        .order_by("-found_on", "-id")[:100]
    )
    today = clock.today()
    context = {
        "enterprise": found,
        "contact": found.contact(full=full),
        "rows": [(h, *light(h, today)) for h in hazards],
        "can_register": request.user.role in REGISTERING_ROLES,
    }
    return render(request, "hazards/enterprise.html", context)


# ---------------------------------------------------------------- statistics


def _period(request):
    today = clock.today()
    first = read_date(request.GET.get("first")) if request.GET.get("first") else today.replace(month=1, day=1)
    last = read_date(request.GET.get("last")) if request.GET.get("last") else today
    if first is None or last is None:
        raise Http404("日期格式不正确。")
    if first > last or (last - first).days > 366 * 3 or first.year < 1990 or last.year > 2199:
        raise Http404("统计期间不正确（最长三年）。")
    return first, last


@statistics_required
def statistics_page(request):
    first, last = _period(request)
    area = statistics.area_of(request.user)
    report = statistics.report(area, first, last, clock.today())
    if request.GET.get("export") == "xlsx":
        content = exports.statistics_xlsx(report, f"{area.label}隐患排查治理统计")
        audit.record(
            "export",
            request=request,
            target="hazard_statistics",
            detail={"first": str(first), "last": str(last)},
        )
        return FileResponse(
            BytesIO(content),
            as_attachment=True,
            filename=f"隐患排查治理统计-{first:%Y%m%d}-{last:%Y%m%d}.xlsx",
            content_type=XLSX,
        )
    today = clock.today()
    context = {
        "report": report,
        "first": first,
        "last": last,
        "links": request.user.does_casework,
        "quarter": f"{today.year}Q{(today.month - 1) // 3 + 1}",
        "year": today.year,
    }
    return render(request, "hazards/statistics.html", context)


@statistics_required
def summary(request):
    """The quarterly or annual summary for the 安委办, as .xlsx or .docx."""
    user = request.user
    kind, period, fmt = (
        request.GET.get("kind"),
        request.GET.get("period", ""),
        request.GET.get("format", "docx"),
    )
    try:
        if kind == "quarterly":
            first, last = statistics.quarter(period)
            title = f"{first.year}年第{(first.month - 1) // 3 + 1}季度"
        elif kind == "annual":
            year = int(period)
            if not 1990 <= year <= 2199:
                raise ValueError(period)
            first, last, title = date(year, 1, 1), date(year, 12, 31), f"{year}年"
        else:
            raise ValueError(kind)
    except ValueError:
        raise Http404("没有这样的汇总期间。") from None
    if fmt not in {"docx", "xlsx"}:
        raise Http404("没有这种格式。")
    today = clock.today()
    area = statistics.area_of(user)
    report = statistics.report(area, first, last, today)
    majors = []
    if user.does_casework:  # names of hazards only for those who may open them
        majors = list(
            Hazard.objects.visible_to(user)
            .filter(level="major")
            .filter(Q(found_on__range=(first, last)) | Q(status__in=OPEN_STATUSES))
            .select_related("enterprise")
            .order_by("found_on", "id")[:500]
        )
    audit.record(
        "export",
        request=request,
        target="hazard_summary",
        detail={"kind": kind, "period": period, "format": fmt},
    )
    name = f"{title}安全生产隐患排查治理情况"
    if fmt == "xlsx":
        content = exports.statistics_xlsx(report, name, majors)
        return FileResponse(BytesIO(content), as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX)
    government = user.unit.government()
    addressee = f"{government}安全生产委员会办公室" if government else "安全生产委员会办公室"
    content = documents.summary(report, title, str(user.unit), addressee, majors, today)
    return docx_response(content, f"{name}.docx")
