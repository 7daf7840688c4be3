"""Pages of supervision: the 督办 board and 督办单 and the 督办 and 催办 panel of a case of any
registered type; a matter's panel (with 包案, 化解措施 and 息诉罢访), leaders' cases, reception days,
backlog campaigns and unit scores."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from xinfang.audit import api as audit
from xinfang.cases import registry
from xinfang.core import clock, uploads
from xinfang.core.params import id_list, page_of
from xinfang.org.access import casework_required, staff_required
from xinfang.org.models import Role, Unit
from xinfang.petitions.choices import TERMINAL_STATUSES, Status
from xinfang.petitions.forms import UploadField
from xinfang.petitions.models import Matter, normalize_tracking_code
from xinfang.petitions.views import get_visible_matter

from . import (
    backlog,
    case_refs,
    forms,
    measures,
    ownership,
    reception_days,
    reminders,
    score_counts,
    supervisions,
)
from .common import ANSWERING_ROLES, OVERSIGHT_ROLES, SupervisionError, oversight_root
from .models import (
    Campaign,
    CampaignCase,
    CaseOwnership,
    Milestone,
    ReceptionDay,
    Reminder,
    Supervision,
    SupervisionFile,
    SupervisionTask,
)
from .scorecard import PARTS, RANK_MIN_VOLUME, score

RANKING_ROLES = {Role.LEADER, Role.SUPERVISOR, Role.ANALYST}


# Casework staff, and analysts (aggregates: the ranking and the score lines, no matters).
scores_required = staff_required(
    lambda user: user.does_casework or (user.role == Role.ANALYST and user.unit_id and user.is_active),
    "您的角色不查看考核得分。",
)


def _refused(request, exc):
    messages.error(request, str(exc))


def _querystring(request):
    """The page's query without its page number, for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _visible_case(user, case_type, pk):
    """A case of any registered type that `user` may see, or 404."""
    try:
        t = registry.get(case_type)
    except KeyError:
        raise Http404("没有这种案件。") from None
    case = t.model.objects.visible_to(user).select_related(*t.select_related).filter(pk=pk).first()
    if case is None:
        raise Http404("没有找到该事项，或该事项不在您的工作范围内。")
    return case


# ---------------------------------------------------------------- 督办 board


@casework_required
def board(request):
    user = request.user
    qs = supervisions.supervisions_visible_to(user).select_related("issuing_unit", "issued_by")
    state = request.GET.get("state", "active")
    if state == "active":
        qs = qs.filter(state__in=[Supervision.State.OPEN, Supervision.State.ANSWERED])
    elif state in Supervision.State.values:
        qs = qs.filter(state=state)
    if request.GET.get("kind") in Supervision.Kind.values:
        qs = qs.filter(kind=request.GET["kind"])
    page = page_of(qs.prefetch_related("tasks__unit"), request)
    mine = SupervisionTask.objects.filter(
        unit__path__startswith=user.unit.path, state=SupervisionTask.State.PENDING
    ).select_related("supervision", "unit")
    return render(
        request,
        "supervision/board.html",
        {
            "page": page,
            "state": state,
            "states": Supervision.State.choices,
            "mine": mine,
            "today": clock.today(),
            "can_issue": user.role in OVERSIGHT_ROLES,
            "querystring": _querystring(request),
        },
    )


def _picked_cases(request, user) -> list:
    """The cases named in the query or the form, each type by its registry key: ?matter=ID&matter=ID,
    ?dispute=ID …; only those the user may see."""
    picked = []
    for t in registry.all_types():
        ids = id_list(request.GET.getlist(t.key) or request.POST.getlist(t.key))
        if ids:
            picked += t.model.objects.visible_to(user).filter(pk__in=ids).select_related("holder_unit")
    return picked


@casework_required
def issue(request):
    """Issue a 督办 or write a 批示 on the cases named by ?matter=ID, ?<type key>=ID (one or more)."""
    user = request.user
    if user.role not in OVERSIGHT_ROLES:
        raise PermissionDenied("只有督查员和领导可以督办或批示。")
    cases = _picked_cases(request, user)
    if not cases:
        messages.error(request, "请先在事项页面选择要督办的事项。")
        return redirect("supervision:board")
    form = forms.IssueForm(request.POST or None, user=user, kind=request.GET.get("kind"))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            sup = supervisions.issue(
                user,
                kind=d["kind"],
                cases=cases,
                level=d["level"],
                reasons=d["reasons"],
                text=d["text"],
                report_required=d["report_required"],
                due_on=d["due_on"],
                units=d.get("units") or (),
            )
        except SupervisionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已签发{sup.title}（{sup.number}）。")
            return redirect("supervision:detail", pk=sup.pk)
    params = request.GET.copy()
    params.pop("kind", None)
    return render(
        request,
        "supervision/issue.html",
        {
            "form": form,
            "cases": cases,
            "is_leader": user.role == Role.LEADER,
            "cases_query": params.urlencode(),
        },
    )


def visible_supervision(user, pk):
    return get_object_or_404(
        supervisions.supervisions_visible_to(user).select_related(
            "issuing_unit", "issued_by", "escalated_from"
        ),
        pk=pk,
    )


@casework_required
def detail(request, pk):
    user = request.user
    sup = visible_supervision(user, pk)
    tasks = list(sup.tasks.select_related("unit", "answered_by").prefetch_related("files"))
    open_ = sup.state in {Supervision.State.OPEN, Supervision.State.ANSWERED}
    issuer_side = open_ and user.role in OVERSIGHT_ROLES and user.unit.is_within(sup.issuing_unit)
    answerable = [
        t
        for t in tasks
        if open_
        and t.state == SupervisionTask.State.PENDING
        and user.role in ANSWERING_ROLES
        and user.unit.is_within(t.unit)
    ]
    return render(
        request,
        "supervision/detail.html",
        {
            "sup": sup,
            "tasks": tasks,
            "cases": sup.cases(visible_to=user),
            "events": sup.events.select_related("actor", "actor_unit", "task__unit"),
            "answerable": answerable,
            "issuer_side": issuer_side,
            "answer_form": forms.AnswerForm(),
            "max_mb": settings.XINFANG_MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "escalate_form": forms.EscalateForm(),
            "today": clock.today(),
        },
    )


@casework_required
@require_POST
def act(request, pk, action, task=None):
    """answer / return / close / escalate: each a service function; the page shows its refusal."""
    user = request.user
    sup = visible_supervision(user, pk)
    if task is not None:
        get_object_or_404(SupervisionTask, pk=task, supervision=sup)
    try:
        if action == "answer":
            try:
                files = UploadField().clean(request.FILES.getlist("files"))
            except ValidationError as exc:
                raise SupervisionError("；".join(exc.messages)) from exc
            supervisions.answer(task, user, request.POST.get("report", ""), files=files)
        elif action == "return":
            supervisions.return_answer(task, user, request.POST.get("note", ""))
        elif action == "close":
            supervisions.close(sup.pk, user, request.POST.get("note", ""))
        elif action == "escalate":
            form = forms.EscalateForm(request.POST)
            if not form.is_valid():
                raise SupervisionError("请选择升级后的等级，填写新的反馈期限和升级理由。")
            new = supervisions.escalate(sup.pk, user, **form.cleaned_data)
            messages.success(request, f"已升级为{new.title}（{new.number}）。")
            return redirect("supervision:detail", pk=new.pk)
        else:
            raise PermissionDenied("未知的操作。")
    except SupervisionError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, {"answer": "已反馈。", "return": "已退回重报。", "close": "督办已办结。"}[action]
        )
    return redirect("supervision:detail", pk=sup.pk)


@casework_required
def answer_file(request, pk, file):
    """A file sent with a 督办反馈, to whoever sees the supervision (the read is audited: a report
    may name petitioners)."""
    sup = visible_supervision(request.user, pk)
    sent = get_object_or_404(SupervisionFile, pk=file, task__supervision=sup)
    audit.record("read_personal", request=request, target=f"supervision:{sup.pk}", detail={"file": sent.pk})
    return uploads.serve(sent.file, sent.name)


@casework_required
def print_sheet(request, pk):
    """The printable 督办单 / 批示交办单."""
    sup = visible_supervision(request.user, pk)
    return render(
        request,
        "supervision/print.html",
        {
            "sup": sup,
            "tasks": sup.tasks.select_related("unit"),
            "cases": sup.cases(visible_to=request.user),
        },
    )


# ---------------------------------------------------------------- panels of a case


def _supervision_of(user, case) -> dict:
    """The 督办 and 催办 of a case of any type, and what the user may do about them."""
    return {
        "case": case,
        "reminders": Reminder.objects.about(case).select_related("unit", "by")[:20],
        "supervisions": supervisions.supervisions_visible_to(user).about(case),
        "can_remind": reminders.can_remind(user, case),
        "can_issue": user.role in OVERSIGHT_ROLES,
    }


@casework_required
def case_panel(request, case_type, pk):
    """The 督办 and 催办 panel of a case of any registered type (its page loads it)."""
    case = _visible_case(request.user, case_type, pk)
    return render(request, "supervision/_case_panel.html", _supervision_of(request.user, case))


@casework_required
def matter_panel(request, pk):
    """A matter's panel: its 督办 and 催办, and the matter-only 领导包案, 化解措施 and 息诉罢访."""
    user = request.user
    matter = get_visible_matter(user, pk)
    owned = matter.ownerships.filter(state=CaseOwnership.State.ACTIVE).select_related("leader").first()
    return render(
        request,
        "supervision/_matter_panel.html",
        {
            **_supervision_of(user, matter),
            "matter": matter,
            "ownership": owned,
            "measures": matter.measures.select_related("recorded_by", "pause").prefetch_related("files"),
            "follow_up": getattr(matter, "follow_up", None),
        },
    )


@casework_required
@require_POST
def remind(request, case_type, pk):
    case = _visible_case(request.user, case_type, pk)
    try:
        reminders.remind(request.user, case, request.POST.get("note", ""))
    except SupervisionError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"已向「{case.holder_unit}」催办。")
    return redirect(case_refs.detail_url(case) or "supervision:board")


@casework_required
def measure(request, pk):
    matter = get_visible_matter(request.user, pk)
    form = forms.MeasureForm(request.POST or None, request.FILES or None, initial={"held_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            measures.record_measure(
                request.user,
                matter,
                kind=d["kind"],
                held_on=d["held_on"],
                note=d["note"],
                participants=d["participants"],
                amount=d["amount"],
                files=d["files"],
            )
        except SupervisionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已记录化解措施。")
            return redirect("petitions:detail", pk=matter.pk)
    return render(request, "supervision/measure.html", {"form": form, "matter": matter})


# ---------------------------------------------------------------- 领导包案


@casework_required
def take_ownership(request, pk):
    user = request.user
    if user.role not in OVERSIGHT_ROLES:
        raise PermissionDenied("只有领导和督查员可以安排包案。")
    matter = get_visible_matter(user, pk)
    initial = {
        "leader": user if user.role == Role.LEADER else None,
        "unit": matter.handling_unit or matter.holder_unit,
    }
    form = forms.OwnershipForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            owned = ownership.take_ownership(
                user,
                matter,
                leader=d["leader"],
                unit=d["unit"],
                plan=d["plan"],
                target_date=d["target_date"],
                milestones=d["milestones"],
            )
        except SupervisionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已由{owned.leader}包案。")
            return redirect("supervision:case", pk=owned.pk)
    return render(request, "supervision/own.html", {"form": form, "matter": matter})


def _ownerships_visible_to(user):
    visible = Matter.objects.visible_to(user).values("pk")
    return CaseOwnership.objects.filter(matter__in=visible)


@casework_required
def cases(request):
    """A leader's cases (领导包案): their state, and what is stuck. Supervisors see every case in
    their scope."""
    user = request.user
    qs = (
        _ownerships_visible_to(user).select_related("matter", "leader", "unit").prefetch_related("milestones")
    )
    if user.role == Role.LEADER and request.GET.get("all") != "1":
        qs = qs.filter(leader=user)
    today = clock.today()
    rows = [(o, ownership.stuck_reasons(o, today)) for o in qs[:500]]
    rows.sort(key=lambda r: (r[0].state != CaseOwnership.State.ACTIVE, not r[1], r[0].target_date))
    active = Q(state=CaseOwnership.State.ACTIVE)
    ended = Q(matter__status__in=TERMINAL_STATUSES)
    counts = qs.aggregate(
        active=Count("id", filter=active & ~ended),
        ended=Count("id", filter=active & ended),
        resolved=Count("id", filter=Q(state=CaseOwnership.State.RESOLVED)),
    )
    return render(
        request,
        "supervision/cases.html",
        {"rows": rows, "counts": counts, "stuck": sum(1 for _, r in rows if r), "today": today},
    )


@casework_required
def case(request, pk):
    user = request.user
    owned = get_object_or_404(_ownerships_visible_to(user).select_related("matter", "leader", "unit"), pk=pk)
    if request.method == "POST":
        try:
            what = request.POST.get("what")
            if what == "milestone":
                form = forms.MilestoneForm(request.POST)
                if not form.is_valid():
                    raise SupervisionError("请填写节点名称和计划完成日期。")
                ownership.add_milestone(user, owned, **form.cleaned_data)
            elif what == "done":
                milestone = get_object_or_404(Milestone, pk=request.POST.get("milestone"), ownership=owned)
                ownership.complete_milestone(user, milestone, request.POST.get("note", ""))
            elif what == "resolve":
                form = forms.ResolveForm(request.POST)
                if not form.is_valid():
                    raise SupervisionError("请选择化解方式并填写化解情况。")
                ownership.resolve_ownership(user, owned, **form.cleaned_data)
            else:
                raise SupervisionError("未知的操作。")
        except SupervisionError as exc:
            _refused(request, exc)
        else:
            messages.success(request, "已更新。")
        return redirect("supervision:case", pk=owned.pk)
    return render(
        request,
        "supervision/case.html",
        {
            "o": owned,
            "stuck": ownership.stuck_reasons(owned, clock.today()),
            "milestone_form": forms.MilestoneForm(),
            "resolve_form": forms.ResolveForm(),
            "today": clock.today(),
        },
    )


# ---------------------------------------------------------------- 领导接访日


def _receptions_visible_to(user):
    return ReceptionDay.objects.filter(unit__path__startswith=oversight_root(user.unit).path)


@casework_required
def receptions(request):
    user = request.user
    form = forms.ReceptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            day = reception_days.schedule_reception(user, **form.cleaned_data)
        except SupervisionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已安排领导接访日。")
            return redirect("supervision:reception", pk=day.pk)
    days = _receptions_visible_to(user).select_related("leader", "unit").annotate(n=Count("matters"))
    return render(request, "supervision/receptions.html", {"days": days[:200], "form": form})


@casework_required
def reception(request, pk):
    user = request.user
    day = get_object_or_404(_receptions_visible_to(user).select_related("leader", "unit"), pk=pk)
    if request.method == "POST":
        code = normalize_tracking_code(request.POST.get("code", ""))
        matter = Matter.objects.visible_to(user).filter(code=code).first() if code else None
        try:
            if matter is None:
                raise SupervisionError("查询码不正确，或该事项不在您的工作范围内。")
            reception_days.receive_at(user, day, matter)
        except SupervisionError as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"已记录接访事项{matter.display_code}。")
        return redirect("supervision:reception", pk=day.pk)
    matters = Matter.objects.visible_to(user).filter(receptions=day).select_related("handling_unit")
    by_status = [
        (Status(row["status"]).label, row["n"])
        for row in matters.order_by().values("status").annotate(n=Count("id"))
    ]
    return render(
        request, "supervision/reception.html", {"day": day, "matters": matters, "by_status": by_status}
    )


# ---------------------------------------------------------------- 积案化解


def _campaigns_visible_to(user):
    return Campaign.objects.filter(unit__path__startswith=oversight_root(user.unit).path)


@casework_required
def campaigns(request):
    user = request.user
    form = forms.CampaignForm(request.POST or None)
    preview = None
    if request.method == "POST" and user.role in OVERSIGHT_ROLES and form.is_valid():
        try:
            rules = form.rules()
            if request.POST.get("freeze") == "1":
                campaign = backlog.freeze_campaign(
                    user,
                    name=form.cleaned_data["name"],
                    target_date=form.cleaned_data["target_date"],
                    rules=rules,
                )
                messages.success(request, f"已冻结积案清单，共{campaign.cases.count()}件。")
                return redirect("supervision:campaign", pk=campaign.pk)
            preview = backlog.campaign_candidates(user, rules, clock.today())
            preview = {"count": preview.count(), "sample": preview.select_related("holder_unit")[:20]}
        except (SupervisionError, forms.forms.ValidationError) as exc:
            form.add_error(None, exc.messages[0] if hasattr(exc, "messages") else str(exc))
    rows = _campaigns_visible_to(user).annotate(
        total=Count("cases"),
        resolved=Count("cases", filter=~Q(cases__outcome="")),
        remaining=F("total") - F("resolved"),
    )
    return render(
        request,
        "supervision/campaigns.html",
        {"campaigns": rows, "form": form, "preview": preview, "can_create": user.role in OVERSIGHT_ROLES},
    )


@casework_required
def campaign(request, pk):
    user = request.user
    c = get_object_or_404(_campaigns_visible_to(user), pk=pk)
    today = clock.today()
    visible = Matter.objects.visible_to(user).values("pk")
    cases = c.cases.filter(matter__in=visible).select_related("matter", "leader", "unit")
    if request.GET.get("open") == "1":
        cases = cases.filter(outcome="")
    chart = backlog.burn_down(c, today)
    return render(
        request,
        "supervision/campaign.html",
        {
            "c": c,
            "chart": chart,
            "remaining": chart["total"] - chart["resolved"],
            "querystring": _querystring(request),
            "by_unit": backlog.campaign_table(c, "unit"),
            "by_leader": backlog.campaign_table(c, "leader"),
            "cases": page_of(cases, request),
            "today": today,
        },
    )


@casework_required
def campaign_case(request, pk):
    user = request.user
    case = get_object_or_404(
        CampaignCase.objects.filter(
            campaign__in=_campaigns_visible_to(user), matter__in=Matter.objects.visible_to(user).values("pk")
        ).select_related("campaign", "matter", "leader", "unit"),
        pk=pk,
    )
    assign_form = forms.CaseForm(initial={"leader": case.leader, "unit": case.unit})
    outcome_form = forms.OutcomeForm(initial={"resolved_on": clock.today()})
    if request.method == "POST":
        try:
            if request.POST.get("what") == "assign":
                assign_form = forms.CaseForm(request.POST)
                if not assign_form.is_valid():
                    raise SupervisionError("请选择包案领导或责任单位。")
                backlog.assign_case(user, case, **assign_form.cleaned_data)
            else:
                outcome_form = forms.OutcomeForm(request.POST, request.FILES)
                if not outcome_form.is_valid():
                    raise SupervisionError(
                        "；".join(e for errs in outcome_form.errors.values() for e in errs)
                    )
                d = outcome_form.cleaned_data
                backlog.record_outcome(
                    user,
                    case,
                    outcome=d["outcome"],
                    evidence=d["evidence"],
                    on=d["resolved_on"],
                    files=d["files"],
                )
        except SupervisionError as exc:
            _refused(request, exc)
        else:
            messages.success(request, "已更新。")
            return redirect("supervision:campaign_case", pk=case.pk)
    return render(
        request,
        "supervision/campaign_case.html",
        {"case": case, "assign_form": assign_form, "outcome_form": outcome_form},
    )


# ---------------------------------------------------------------- 考核


def _period(request):
    today = clock.today()
    form = forms.PeriodForm(request.GET or None, initial={"start": date(today.year, 1, 1), "end": today})
    if request.GET and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, date(today.year, 1, 1), today


@scores_required
def ranking(request):
    user = request.user
    if user.role not in RANKING_ROLES:
        return redirect("supervision:unit_score", unit=user.unit_id)
    form, start, end = _period(request)
    root = oversight_root(user.unit)
    units = {u.pk: u for u in Unit.objects.filter(path__startswith=root.path)}
    weights = score_counts.active_weights()
    rows = [
        (units[pk], score(c, weights))
        for pk, c in score_counts.cached_unit_counts(start, end).items()
        if pk in units
    ]
    # Ranked by 得分率 among the units with enough to count; the others follow, unranked.
    rows.sort(key=lambda r: (not r[1].ranked, -(r[1].rate or 0), r[0].path))
    return render(
        request,
        "supervision/ranking.html",
        {
            "rows": rows,
            "form": form,
            "start": start,
            "end": end,
            "root": root,
            "weights": weights,
            "min_volume": RANK_MIN_VOLUME,
        },
    )


def _scored_unit(user, unit_id):
    unit = get_object_or_404(Unit, pk=unit_id)
    if user.role in RANKING_ROLES:
        if not unit.is_within(oversight_root(user.unit)):
            raise PermissionDenied("该单位不在您的考核范围内。")
    elif not unit.is_within(user.unit) and unit.pk != user.unit_id:
        raise PermissionDenied("您只能查看本单位的考核得分。")
    return unit


@scores_required
def unit_score(request, unit):
    user = request.user
    unit = _scored_unit(user, unit)
    form, start, end = _period(request)
    counts = score_counts.cached_unit_counts(start, end).get(unit.pk) or score_counts.Counts()
    return render(
        request,
        "supervision/unit_score.html",
        {
            "unit": unit,
            "form": form,
            "start": start,
            "end": end,
            "score": score(counts, score_counts.active_weights()),
            "can_drill": user.role != Role.ANALYST,
        },
    )


@casework_required
def drill(request, unit, part):
    """The matters behind one count of a unit's score, among those the user may see."""
    user = request.user
    if user.role == Role.ANALYST:
        raise PermissionDenied("分析员只能查看统计数据。")
    unit = _scored_unit(user, unit)
    if part not in PARTS:
        raise PermissionDenied("未知的统计项。")
    form, start, end = _period(request)
    matters = score_counts.matters_behind(part, unit.pk, start, end, clock.today())
    shown = matters.visible_to(user).select_related("holder_unit").order_by("-received_at")
    return render(
        request,
        "supervision/drill.html",
        {
            "unit": unit,
            "label": PARTS[part],
            "start": start,
            "end": end,
            "page": page_of(shown, request),
            "total": matters.count(),
            "querystring": _querystring(request),
        },
    )
