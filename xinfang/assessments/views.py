"""Staff pages of the stability risk assessments: the list, registration, an assessment with its
steps and records, its report (.docx), and the statistics."""

from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from xinfang.audit import api as audit
from xinfang.core import clock, uploads
from xinfang.core.params import page_number
from xinfang.core.workbook import Book
from xinfang.documents.views import docx_response
from xinfang.org.access import casework_required, staff_required
from xinfang.org.models import Role
from xinfang.petitions.views import XLSX, UncountedPage

from . import documents, rules, services, statistics
from .choices import RiskLevel
from .forms import AssessmentForm, FilterForm, form_for
from .models import Assessment, Hearing
from .services import REGISTERING_ROLES, TransitionError
from .workflow import TRANSITIONS

RELATED = ("division", "holder_unit", "deciding_organ", "assessing_unit")
statistics_required = staff_required(
    lambda user: (
        user.is_active and user.unit_id is not None and (user.does_casework or user.role == Role.ANALYST)
    ),
    "您的角色不能查看稳评统计。",
)


def get_visible(user, pk) -> Assessment:
    found = (
        Assessment.objects.visible_to(user).select_related(*RELATED, "registered_by").filter(pk=pk).first()
    )
    if found is None:
        raise Http404("没有找到该评估事项，或该事项不在您的工作范围内。")
    return found


def light(a, today):
    if not a.due_date:
        return "", ""
    if today > a.due_date:
        return "overdue", f"超期{(today - a.due_date).days}天"
    if a.warn_date and today >= a.warn_date:
        return "warning", f"临期，{(a.due_date - today).days}天后届满"
    return "normal", f"{a.due_date:%m月%d日}届满"


def listed(user, params):
    tab = params.get("tab", "todo")
    qs = Assessment.objects.visible_to(user)
    if tab == "todo":
        statuses = {s for t in TRANSITIONS.values() if user.role in t.roles for s in t.sources}
        units = list(user.unit.subtree().values_list("pk", flat=True))
        qs = qs.filter(holder_unit__in=units, status__in=statuses)
    form = FilterForm(params or None)
    if form.is_valid():
        d = form.cleaned_data
        if d.get("q"):
            pk = Assessment.pk_from_code(d["q"])
            qs = (
                qs.filter(pk=pk)
                if pk is not None
                else qs.filter(Q(title__contains=d["q"]) | Q(summary__contains=d["q"]))
            )
        for name in ("status", "decision_type", "risk_level"):
            if d.get(name):
                qs = qs.filter(**{name: d[name]})
        if d.get("against"):
            qs = qs.filter(against_recommendation=True)
    order = ("due_date", "-id") if tab == "todo" else ("-created_at", "-id")
    return qs.order_by(*order), form, tab


@casework_required
def assessment_list(request):
    qs, form, tab = listed(request.user, request.GET)
    page = UncountedPage(qs.select_related(*RELATED), page_number(request.GET.get("page")))
    today = clock.today()
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "rows": [(a, *light(a, today)) for a in page],
        "form": form,
        "tab": tab,
        "querystring": params.urlencode(),
        "can_register": request.user.role in REGISTERING_ROLES,
    }
    return render(request, "assessments/list.html", context)


EXPORT_COLUMNS = [
    ("编号", 14, lambda a: a.display_code),
    ("决策事项", 36, lambda a: a.title),
    ("决策类型", 14, lambda a: a.get_decision_type_display()),
    ("决策机关", 24, lambda a: a.deciding_organ.name),
    ("评估主体", 24, lambda a: a.assessing_unit.name),
    ("涉及区域", 14, lambda a: a.division.name),
    ("涉及人数", 10, lambda a: a.affected_count),
    ("环节", 12, lambda a: a.get_status_display()),
    ("风险等级", 10, lambda a: a.get_risk_level_display()),
    ("评估建议", 12, lambda a: a.get_recommendation_display()),
    ("评估报告日期", 12, lambda a: a.report_on),
    ("决策结果", 12, lambda a: a.get_decision_display()),
    ("决策日期", 12, lambda a: a.decided_on),
    ("未采纳评估建议", 10, lambda a: "是" if a.against_recommendation else ""),
]


@casework_required
@require_GET
def export(request):
    params = request.GET.copy()
    params.pop("page", None)
    qs, _, tab = listed(request.user, params)
    book = Book()
    sheet = book.sheet(
        "社会稳定风险评估台账",
        [c[0] for c in EXPORT_COLUMNS],
        widths=[c[1] for c in EXPORT_COLUMNS],
        freeze=True,
    )
    rows = 0
    for a in qs.select_related(*RELATED).iterator(chunk_size=2000):
        sheet.append(
            [value(a) for _, _, value in EXPORT_COLUMNS],
            formats=["yyyy-mm-dd" if c[0].endswith("日期") else None for c in EXPORT_COLUMNS],
        )
        rows += 1
    buffer = BytesIO()
    book.save(buffer)
    audit.record(
        "export",
        request=request,
        target="assessments",
        detail={"tab": tab, "filters": params.dict(), "rows": rows},
    )
    name = f"社会稳定风险评估台账-{clock.today():%Y%m%d}.xlsx"
    return FileResponse(BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


@casework_required
def register(request):
    if request.user.role not in REGISTERING_ROLES:
        raise PermissionDenied("您的角色不能登记评估事项。")
    form = AssessmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            a = services.register_assessment(request.user, fields=form.cleaned_data)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已登记评估事项，编号 {a.display_code}。")
            return redirect("assessments:detail", pk=a.pk)
    return render(request, "assessments/register.html", {"form": form})


@casework_required
def detail(request, pk):
    user = request.user
    a = get_visible(user, pk)
    hearings = list(a.hearings.all())
    reached, supported, objected = services.heard(hearings)
    events = list(a.events.select_related("actor", "actor_unit"))
    level, label = light(a, clock.today())
    references = [(r, _open_url(r, user)) for r in a.references.all()]
    context = {
        "a": a,
        "actions": [t for t in TRANSITIONS.values() if services.can_perform(user, a, t, visible=True)],
        "events": events,
        "hearings": hearings,
        "risks": list(a.risks.all()),
        "follow_ups": list(a.follow_ups.all()),
        "references": references,
        "heard": {"reached": reached, "supported": supported, "objected": objected},
        "suggested": RiskLevel(s).label if (s := rules.suggested_level(reached, supported, objected)) else "",
        "light": level,
        "light_label": label,
        "report_event": next((e for e in events if e.action == "issue_report"), None),
        "can_link": a.status in {"tracking", "closed"},
        "link_types": services.linkable_types(),
    }
    return render(request, "assessments/detail.html", context)


def _open_url(reference, user):
    """The page of a linked case, when the reader may open it and its type has a page."""
    from xinfang.cases.registry import get

    try:
        case_type = get(reference.case_type)
    except KeyError:
        return ""
    case = case_type.model.objects.visible_to(user).filter(pk=reference.case_id).first()
    return case_type.detail_url(case) if case is not None and case_type.detail_url else ""


@casework_required
def act(request, pk, action):
    a = get_visible(request.user, pk)
    t = TRANSITIONS.get(action)
    if t is None:
        raise Http404("未知的操作")
    if not services.can_perform(request.user, a, t, visible=True):
        raise PermissionDenied(f"您不能对该评估事项进行「{t.label}」。")
    form = form_for(action)(
        request.POST or None, request.FILES or None, assessment=a, initial={"version": a.version}
    )
    suggested = ""
    if action == "grade":
        s = rules.suggested_level(*services.heard(a.hearings.all()))
        suggested = RiskLevel(s).label if s else ""
    if request.method == "POST" and form.is_valid():
        params = form.params()
        if "record" in params:
            params["record"] = services.hearing_record(params["record"])
        try:
            services.perform(
                a.pk,
                request.user,
                action,
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data.get("note", ""),
                **params,
            )
        except (TransitionError, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, f"已{t.label}。")
            return redirect("assessments:detail", pk=a.pk)
    context = {"a": a, "transition": t, "form": form, "suggested": suggested}
    return render(request, "assessments/act.html", context)


@casework_required
@require_POST
def link(request, pk):
    a = get_visible(request.user, pk)
    try:
        case = services.link_case(
            a.pk, request.user, request.POST.get("case_type", ""), request.POST.get("code", "")
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已关联{case.display_code}。")
    return redirect("assessments:detail", pk=a.pk)


@casework_required
def record(request, pk):
    hearing = get_object_or_404(Hearing, pk=pk)
    if not Assessment.objects.visible_to(request.user).filter(pk=hearing.assessment_id).exists():
        raise Http404("没有找到该材料。")
    return uploads.serve(hearing.file, hearing.name)


@casework_required
def report(request, pk):
    a = get_visible(request.user, pk)
    event = a.events.filter(action="issue_report").order_by("-at", "-id").first()
    if event is None:
        raise Http404("该评估事项尚未出具评估报告。")
    return docx_response(documents.report(a, event), f"社会稳定风险评估报告-{a.display_code}.docx")


@statistics_required
def statistics_page(request):
    qs = statistics.counted_by(request.user)
    context = {
        "table": statistics.by_type_and_level(qs),
        "against": list(statistics.against_recommendation(qs)[:100]) if request.user.does_casework else [],
        "against_count": statistics.against_recommendation(qs).count(),
        "decided": qs.exclude(decision="").count(),
        "linked": statistics.linked_afterwards(qs),
        "total": qs.count(),
    }
    return render(request, "assessments/statistics.html", context)
