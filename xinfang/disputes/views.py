"""Pages of the dispute ledger: list and export, registration, the dispute with its history and
one form per act, links to petition matters (and the panel on a matter's page), campaigns,
statistics with the monthly 情况表, and the 台账 import."""

from datetime import date, timedelta
from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from xinfang.audit import api as audit
from xinfang.core import clock, uploads
from xinfang.core.params import FIRST_DAY, LAST_DAY, page_number, read_date
from xinfang.org.access import casework_required, staff_required
from xinfang.org.models import FULL_PERSONAL_DATA_ROLES, Role
from xinfang.petitions.models import Category, Matter, normalize_tracking_code
from xinfang.petitions.views import UncountedPage, deadline_light

from . import campaigns, export, services, stats
from .choices import RiskReason, Status
from .forms import (
    CampaignForm,
    CampaignReportForm,
    DisputeForm,
    FilterForm,
    PartyFormSet,
    TypeField,
    form_for,
    leaf_types,
    party_rows,
)
from .models import Campaign, Dispute, DisputeFile, MatterLink
from .workflow import REGISTRARS, TRANSITIONS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Statistics: casework roles (for their own government's area) and analysts.
stats_required = staff_required(lambda u: u.does_casework or u.role == Role.ANALYST, "您的角色不能查看统计。")


def todo_q(user):
    statuses = {s for t in TRANSITIONS.values() if user.role in t.roles for s in t.sources}
    units = list(user.unit.subtree().values_list("pk", flat=True))
    return Q(holder_unit__in=units, status__in=statuses) | Q(
        escalated_to__in=units, status__in=[Status.REGISTERED, Status.MEDIATING]
    )


def listed(user, params):
    tab = params.get("tab", "todo")
    qs = Dispute.objects.visible_to(user)
    if tab == "todo":
        qs = qs.filter(todo_q(user))
    form = FilterForm(params or None)
    if form.is_valid():
        d = form.cleaned_data
        if d.get("q"):
            qs = qs.filter(
                Q(number=d["q"].strip().upper()) | Q(title__contains=d["q"]) | Q(ledger_number=d["q"])
            )
        for name in ("status", "risk", "source"):
            if d.get(name):
                qs = qs.filter(**{name: d[name]})
        if d.get("dispute_type"):
            qs = qs.filter(type_top=d["dispute_type"])
        if d.get("division"):
            qs = qs.filter(division__path__startswith=d["division"].path)
        if d.get("screened_from"):
            qs = qs.filter(screened_on__gte=d["screened_from"])
        if d.get("screened_to"):
            qs = qs.filter(screened_on__lte=d["screened_to"])
    order = ("due_date", "-id") if tab == "todo" else ("-screened_on", "-id")
    return qs.order_by(*order), form, tab


@casework_required
def dispute_list(request):
    qs, form, tab = listed(request.user, request.GET)
    qs = qs.select_related("dispute_type", "dispute_type__parent", "division", "holder_unit")
    page = UncountedPage(qs, page_number(request.GET.get("page")))
    today = clock.today()
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "rows": [(d, *deadline_light(d, today)) for d in page],
        "form": form,
        "tab": tab,
        "querystring": params.urlencode(),
        "can_register": request.user.role in REGISTRARS,
    }
    return render(request, "disputes/list.html", context)


@casework_required
def export_list(request):
    qs, _, tab = listed(request.user, request.GET)
    full = request.user.role in FULL_PERSONAL_DATA_ROLES
    buffer = BytesIO()
    rows = export.write(qs, buffer, full=full)
    filters = {k: ("（已输入，不记录）" if k == "q" and v else v) for k, v in request.GET.dict().items()}
    audit.record("export", request=request, target="disputes", detail={"tab": tab, "filters": filters, "rows": rows,
                 "personal_data": "full" if full else "masked"})  # fmt: skip
    name = f"矛盾纠纷排查化解台账-{clock.today():%Y%m%d}.xlsx"
    return FileResponse(BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


@casework_required
def register(request):
    if request.user.role not in REGISTRARS:
        raise PermissionDenied("您的角色不能登记矛盾纠纷。")
    form = DisputeForm(request.POST or None, request.FILES or None, user=request.user)
    formset = PartyFormSet(request.POST or None, prefix="p")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            dispute = services.register_dispute(
                request.user, fields=form.fields_for_service(), parties=party_rows(formset),
                files=form.cleaned_data.get("files") or [],
            )  # fmt: skip
        except (services.TransitionError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, f"已登记，编号 {dispute.number}。")
            return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "disputes/register.html", {"form": form, "formset": formset})


def get_visible(user, pk) -> Dispute:
    try:
        return Dispute.objects.visible_to(user).select_related(
            "division", "dispute_type", "dispute_type__parent", "holder_unit", "registering_unit",
            "registered_by", "grid", "resolver", "escalated_to", "campaign", "event",
        ).get(pk=pk)  # fmt: skip
    except Dispute.DoesNotExist:
        raise Http404("没有找到该矛盾纠纷，或它不在您的工作范围内。") from None


@casework_required
def detail(request, pk):
    dispute = get_visible(request.user, pk)
    user = request.user
    full = user.role in FULL_PERSONAL_DATA_ROLES
    if full:
        audit.record("read_personal", request=request, target=f"dispute:{dispute.pk}")
    light, light_label = deadline_light(dispute, clock.today())
    visible_matters = Matter.objects.visible_to(user)
    links = [
        (link, visible_matters.filter(pk=link.matter_id).exists())
        for link in dispute.matter_links.select_related("matter")
    ]
    context = {
        "dispute": dispute,
        "actions": [t for t in TRANSITIONS.values() if services.can_perform(user, dispute, t, visible=True)],
        "events": dispute.events.select_related("actor", "actor_unit").prefetch_related("files"),
        "parties": [(p, p.name if full else p.masked(), full) for p in dispute.parties.all()],
        "full": full,
        "attempts": dispute.attempts.select_related("recorded_by"),
        "follow_ups": dispute.follow_ups.select_related("visited_by"),
        "leaders": [row.user for row in dispute.leaders.select_related("user")],
        "reasons": [dict(RiskReason.choices).get(r, r) for r in dispute.risk_reasons],
        "files": dispute.files.filter(event__action="register") | dispute.files.filter(event=None),
        "light": light,
        "light_label": light_label,
        "links": links,
        "can_link": user.does_casework,
        "can_supervise": user.role in {Role.SUPERVISOR, Role.LEADER},
        "can_to_matter": user.role in {Role.REGISTRAR, Role.DISPATCHER} and user.unit.is_territorial,
    }
    return render(request, "disputes/detail.html", context)


@casework_required
def act(request, pk, action):
    dispute = get_visible(request.user, pk)
    t = TRANSITIONS.get(action)
    if t is None:
        raise Http404("未知的操作")
    if not services.can_perform(request.user, dispute, t, visible=True):
        raise PermissionDenied(f"您不能对该矛盾纠纷进行「{t.label}」。")
    form = form_for(action)(request.POST or None, request.FILES or None, dispute=dispute, user=request.user,
                            initial={"version": dispute.version, "on": clock.today()})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.perform(dispute.pk, request.user, action, expected_version=form.cleaned_data["version"],
                             note=form.cleaned_data.get("note", ""), files=form.cleaned_data.get("files") or [],
                             **form.params())  # fmt: skip
        except (services.TransitionError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, f"已{t.label}。")
            return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "disputes/act.html", {"dispute": dispute, "transition": t, "form": form})


@casework_required
def attachment(request, pk):
    f = get_object_or_404(DisputeFile, pk=pk)
    if not Dispute.objects.visible_to(request.user).filter(pk=f.case_id).exists():
        raise Http404("没有找到该附件。")
    response = uploads.serve(f.file, f.name)
    audit.record(
        "read_personal", request=request, target=f"dispute:{f.case_id}", detail={"via": "file", "file": f.pk}
    )
    return response


# ---------------------------------------------------------------- petition matters


@casework_required
@require_POST
def link_matter(request, pk):
    dispute = get_visible(request.user, pk)
    code = normalize_tracking_code(request.POST.get("code", ""))
    matter = Matter.objects.visible_to(request.user).filter(code=code).first() if code else None
    if matter is None:
        messages.error(request, "没有找到该查询码的信访事项，或它不在您的工作范围内。")
    else:
        try:
            services.link_matter(dispute.pk, request.user, matter)
        except services.TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已关联信访事项{matter.display_code}。")
    return redirect("disputes:detail", pk=dispute.pk)


@casework_required
def to_matter(request, pk):
    dispute = get_visible(request.user, pk)
    if not (request.user.role in {Role.REGISTRAR, Role.DISPATCHER} and request.user.unit.is_territorial):
        raise PermissionDenied("只有信访部门或属地党委政府的登记员、交办员可以转为信访事项。")
    from django import forms

    from xinfang.petitions.choices import Channel

    class ToMatterForm(forms.Form):
        category = TypeField(
            label="内容分类", queryset=Category.objects.filter(active=True, parent__isnull=False)
        )
        channel = forms.ChoiceField(label="信访方式", choices=Channel.choices, initial=Channel.VISIT)

    form = ToMatterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            matter = services.to_matter(dispute.pk, request.user, **form.cleaned_data)
        except services.TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已转为信访事项，查询码 {matter.display_code}。")
            return redirect("petitions:detail", pk=matter.pk)
    return render(request, "disputes/to_matter.html", {"dispute": dispute, "form": form})


@casework_required
def matter_panel(request, pk):
    """The panel on a matter's page: the disputes behind it (or behind the matter it repeats), with
    their mediation history, as far as the user may see them."""
    matter = get_object_or_404(Matter.objects.visible_to(request.user), pk=pk)
    chain = {matter.pk}
    node = matter
    while node.repeat_of_id and node.repeat_of_id not in chain:
        chain.add(node.repeat_of_id)
        node = Matter.objects.only("repeat_of").get(pk=node.repeat_of_id)
    ids = MatterLink.objects.filter(matter_id__in=chain).values("case_id")
    disputes = (
        Dispute.objects.visible_to(request.user).filter(pk__in=ids).select_related("dispute_type", "holder_unit")
        .prefetch_related("attempts")
    )  # fmt: skip
    hidden = MatterLink.objects.filter(matter_id__in=chain).exclude(case__in=disputes).count()
    return render(
        request, "disputes/_matter_panel.html", {"matter": matter, "disputes": disputes, "hidden": hidden}
    )


# ---------------------------------------------------------------- grid events


@casework_required
def from_event(request, event_pk):
    from django import forms

    from xinfang.grid.models import GridEvent

    event = get_object_or_404(GridEvent.objects.visible_to(request.user), pk=event_pk)

    class FromEventForm(forms.Form):
        dispute_type = TypeField(label="纠纷类型", queryset=leaf_types())

    form = FromEventForm(request.POST or None)
    formset = PartyFormSet(request.POST or None, prefix="p")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            dispute = services.from_event(event.pk, request.user, dispute_type=form.cleaned_data["dispute_type"],
                                          parties=party_rows(formset))  # fmt: skip
        except services.TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已转为矛盾纠纷，编号 {dispute.number}。")
            return redirect("disputes:detail", pk=dispute.pk)
    return render(request, "disputes/from_event.html", {"event": event, "form": form, "formset": formset})


# ---------------------------------------------------------------- campaigns


@casework_required
def campaign_list(request):
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaigns.create(request.user, **form.cleaned_data)
        except campaigns.CampaignError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已发布集中排查。")
            return redirect("disputes:campaign", pk=campaign.pk)
    rows = campaigns.visible_campaigns(request.user).distinct().select_related("unit")
    return render(request, "disputes/campaigns.html", {"campaigns": rows, "form": form,
                  "can_create": request.user.role in campaigns.ORGANISERS})  # fmt: skip


def _campaign(user, pk) -> Campaign:
    return get_object_or_404(campaigns.visible_campaigns(user).distinct(), pk=pk)


@casework_required
def campaign(request, pk):
    c = _campaign(request.user, pk)
    lines = campaigns.dashboard(c)
    context = {
        "campaign": c,
        "lines": lines,
        "missing": sum(1 for line in lines if line.report is None),
        "zero": sum(1 for line in lines if line.report and line.report.zero),
        "must_report": c.units.filter(pk=request.user.unit_id).exists()
        and not c.reports.filter(unit=request.user.unit).exists(),
        "report_form": CampaignReportForm(),
        "overdue": clock.today() > c.last,
        "can_remind": request.user.role in campaigns.ORGANISERS and request.user.unit_id == c.unit_id,
    }
    return render(request, "disputes/campaign.html", context)


@casework_required
@require_POST
def campaign_remind(request, pk):
    c = _campaign(request.user, pk)
    try:
        told = campaigns.remind(request.user, c)
    except campaigns.CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已向{told}个未报送单位催报。")
    return redirect("disputes:campaign", pk=c.pk)


@casework_required
@require_POST
def campaign_report(request, pk):
    c = _campaign(request.user, pk)
    form = CampaignReportForm(request.POST)
    if form.is_valid():
        try:
            campaigns.submit(request.user, c, **form.cleaned_data)
        except campaigns.CampaignError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已报送。")
    return redirect("disputes:campaign", pk=c.pk)


# ---------------------------------------------------------------- statistics


def period_of(params) -> tuple[date, date]:
    """The period `from`…`to` of the query string, within the days forms take and at most ten
    years long; otherwise this month."""
    first, last = read_date(params.get("from")), read_date(params.get("to"))
    if (
        first is None
        or last is None
        or not (FIRST_DAY.replace(year=FIRST_DAY.year + 1) <= first <= last <= LAST_DAY)
        or (last - first).days > 3660
    ):
        return stats.month_bounds(clock.today())
    return first, last


def _month(params) -> date:
    try:
        month = date.fromisoformat(params.get("month", "") + "-01")
    except ValueError:
        return clock.today().replace(day=1)
    ok = FIRST_DAY.replace(year=FIRST_DAY.year + 1) <= month <= LAST_DAY
    return month if ok else clock.today().replace(day=1)


@stats_required
def statistics(request):
    from .models import DisputeWarning

    first, last = period_of(request.GET)
    report = stats.report(request.user, first, last)
    ids = stats.stats_divisions(request.user)
    warnings = DisputeWarning.objects.select_related("dispute_type", "division")
    if ids is not None:
        warnings = warnings.filter(division_id__in=ids)
    context = {
        "report": report,
        "sections": [(label, report.by[key]) for key, label in stats.DIMENSIONS],
        "days": (last - first).days + 1,
        "columns": stats.COLUMNS,
        "first": first,
        "last": last,
        "month": f"{first:%Y-%m}",
        "warnings": warnings[:10],
        "previous_month": f"{(first.replace(day=1) - timedelta(days=1)):%Y-%m}",
    }
    return render(request, "disputes/stats.html", context)


@stats_required
def monthly_xlsx(request):
    month = _month(request.GET)
    data = stats.monthly_xlsx(request.user, month)
    audit.record("export", request=request, target="disputes:monthly", detail={"month": f"{month:%Y-%m}"})
    return FileResponse(BytesIO(data), as_attachment=True, filename=f"矛盾纠纷排查化解情况表-{month:%Y%m}.xlsx",
                        content_type=XLSX)  # fmt: skip


@stats_required
def monthly_docx(request):
    month = _month(request.GET)
    data = stats.monthly_docx(request.user, month)
    audit.record(
        "export", request=request, target="disputes:monthly_docx", detail={"month": f"{month:%Y-%m}"}
    )
    return FileResponse(BytesIO(data), as_attachment=True, filename=f"矛盾纠纷排查化解情况-{month:%Y%m}.docx",
                        content_type=DOCX)  # fmt: skip
