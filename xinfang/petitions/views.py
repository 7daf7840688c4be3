"""Staff pages: my queue, registration, matter detail with timeline, one form per action."""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from xinfang.assist import feedback, letters
from xinfang.assist.suggest import suggest_unit
from xinfang.audit import api as audit
from xinfang.core import clock, uploads
from xinfang.core.params import page_number
from xinfang.core.qr import public_url, qr_data_uri
from xinfang.documents import completion, notices
from xinfang.org.access import casework_required
from xinfang.org.models import FULL_PERSONAL_DATA_ROLES, Role
from xinfang.supervision.supervisions import open_marks

from . import export, receipt, screening, search
from .choices import Channel, Status
from .forms import MatterForm, PetitionerFormSet, UploadField, form_for
from .lists import listed_matters, mark_words, search_query
from .models import Attachment, ExportJob, Matter, Petitioner, petitioner_keys, same_petitioner
from .scoping import can_see
from .services import TransitionError, can_perform, register_matter
from .workflow import PETITIONER_WINDOWS, TRANSITIONS

DISPATCH_ACTIONS = {"forward", "assign"}  # the actions whose form chooses a unit: routing advice

PAGE_SIZE = 50


def deadline_light(matter, today):
    """('overdue'|'warning'|'normal'|'paused'|'window'|'', label) for the matter's current deadline."""
    if not matter.due_date:
        return "", ""
    if matter.due_step in PETITIONER_WINDOWS:
        return "window", f"申请期至{matter.due_date:%m月%d日}"
    if matter.clock_paused:
        return "paused", "暂停计时"
    if today > matter.due_date:
        return "overdue", f"超期{(today - matter.due_date).days}天"
    if matter.warn_date and today >= matter.warn_date:
        return "warning", f"临期，{(matter.due_date - today).days}天后届满"
    return "normal", f"{matter.due_date:%m月%d日}届满"


class UncountedPage:
    """A page of 全部事项 without a total: counting every matter a user may see is a full scan
    (seconds with a million matters), so the page fetches one row more than it shows to know
    whether a next page exists. The total is known, and shown, only on the last page."""

    paginator = None

    def __init__(self, queryset, number, size=PAGE_SIZE):
        start = (number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.object_list = rows[:size]
        self.number = number
        self.has_next = len(rows) > size
        self.has_previous = number > 1
        self.count = None if self.has_next or (number > 1 and not rows) else start + len(rows)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1


def todo_page(qs, user, number):
    """A page of 我的待办 with its total, from one pass over the to-do matters: their ids in order
    (count and page come from that list), then the page's rows by id. A bureau's list can hold
    tens of thousands of matters; COUNT(*) plus a sorted LIMIT would filter them all twice."""
    page = Paginator(list(qs.values_list("pk", flat=True)), PAGE_SIZE).get_page(number)
    ids = list(page.object_list)
    related = ("category", "category__parent", "holder_unit", "division")
    found = Matter.objects.visible_to(user).filter(pk__in=ids).select_related(*related)
    by_id = {m.pk: m for m in found}
    page.object_list = [by_id[pk] for pk in ids if pk in by_id]
    return page


@casework_required
def queue(request):
    qs, form, tab = listed_matters(request.user, request.GET)
    qs = qs.select_related("category", "category__parent", "holder_unit", "division")
    number = page_number(request.GET.get("page"))
    if tab == "todo":
        page = todo_page(qs, request.user, number)
    else:
        page = UncountedPage(qs, number)
    today = clock.today()
    query = search_query(form)
    if query:
        mark_words(page, query)
    marks = open_marks(request.user, "matter", [m.pk for m in page])
    rows = [(m, *deadline_light(m, today), marks.get(m.pk)) for m in page]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "form": form,
        "tab": tab,
        "querystring": params.urlencode(),
        "searched": bool(query),
        "rank_window": search.RANK_WINDOW,
    }
    template = (
        "petitions/_queue_table.html"
        if request.htmx and request.htmx.target == "queue-table"
        else "petitions/queue.html"
    )
    return render(request, template, context)


def _petitioner_rows(formset):
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


@casework_required
def register(request):
    if request.user.role not in {Role.REGISTRAR, Role.DISPATCHER}:
        raise PermissionDenied("只有登记员、交办员可以登记信访事项。")
    scan_id = request.POST.get("letter") or request.GET.get("letter")
    scan = letters.own_scan(request.user, scan_id) if scan_id else None
    initial = {"channel": Channel.LETTER, "content": scan.text} if scan else None
    form = MatterForm(request.POST or None, initial=initial)
    formset = PetitionerFormSet(request.POST or None, prefix="p")
    upload = UploadField()
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            files = upload.clean(
                request.FILES.getlist("files") + ([letters.as_attachment(scan)] if scan else [])
            )
            fields = {k: v for k, v in form.cleaned_data.items() if k != "repeat_of_code"}
            fields["repeat_of"] = form.cleaned_data.get("repeat_of_code")
            matter = register_matter(
                request.user, fields=fields, petitioners=_petitioner_rows(formset), files=files
            )
        except TransitionError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            feedback.record("category", request.POST, matter, matter.category, request.user)
            if scan:
                scan.matter = matter
                scan.save(update_fields=["matter"])
            messages.success(request, f"已登记，查询码 {matter.display_code}。请将查询码告知信访人。")
            # The registrar may print this matter's receipt even when, as an accusation, it goes
            # to the screening unit first (the receipt shows no content and no personal data).
            request.session["receipts"] = [*request.session.get("receipts", [])[-19:], matter.pk]
            if matter.channel in IN_PERSON_CHANNELS:
                return redirect("petitions:receipt", pk=matter.pk)
            if not can_see(request.user, matter):
                messages.info(
                    request,
                    f"检举控告事项已交「{matter.screening_unit}」核定被反映对象，核定前本单位不能查看。",
                )
                return redirect("petitions:queue")
            return redirect("petitions:detail", pk=matter.pk)
    return render(request, "petitions/register.html", {"form": form, "formset": formset, "scan": scan})


@casework_required
@require_POST
def earlier_matters(request):
    """Earlier matters of the same petitioner (by ID number or phone), shown before saving.

    A POST (with the CSRF token), so that the ID number and phone stay out of the URL and thus out
    of access logs, proxies and the browser history."""
    keys = petitioner_keys(request.POST)
    searched = any(v.strip() for k, v in request.POST.items() if k.endswith(("id_number", "phone")))
    ids = Petitioner.objects.filter(same_petitioner(keys)).values("matter_id")
    matters = Matter.objects.visible_to(request.user).filter(pk__in=ids).order_by("-received_at")[:20]
    return render(
        request,
        "petitions/_earlier_matters.html",
        {"matters": matters, "searched": searched},
    )


SIGNING_ACTIONS = {"approve_reply", "return_reply"}  # 审签: the head reads the draft and the notice
IN_PERSON_CHANNELS = {Channel.VISIT, Channel.LEADER_RECEPTION}


@casework_required
@require_GET
def receipt_page(request, pk):
    """The printable 登记回执: 查询码, a QR code of the tracking page and the next steps with dates."""
    if pk in request.session.get("receipts", []):
        matter = get_object_or_404(Matter.objects.select_related("registering_unit"), pk=pk)
    else:
        matter = get_visible_matter(request.user, pk)
    track_url = public_url(request, reverse("portal:track"))
    unit = matter.registering_unit
    return render(
        request,
        "petitions/receipt.html",
        {
            "matter": matter,
            "unit": unit,
            "steps": receipt.next_steps(matter),
            "track_url": track_url,
            "qr": qr_data_uri(track_url, box_size=5),
            "may_open": can_see(request.user, matter),
        },
    )


def get_visible_matter(user, pk):
    try:
        return (
            Matter.objects.visible_to(user)
            .select_related(
                "division", "category", "category__parent", "holder_unit", "handling_unit", "registered_by"
            )
            .get(pk=pk)
        )
    except Matter.DoesNotExist:
        raise Http404("没有找到该事项，或该事项不在您的工作范围内。") from None


@casework_required
def detail(request, pk):
    matter = get_visible_matter(request.user, pk)
    actions = [t for t in TRANSITIONS.values() if can_perform(request.user, matter, t, visible=True)]
    full = request.user.role in FULL_PERSONAL_DATA_ROLES
    if full:
        audit.record("read_personal", request=request, target=f"matter:{matter.pk}")
    light, light_label = deadline_light(matter, clock.today())
    events = list(matter.events.select_related("actor", "actor_unit").prefetch_related("attachments"))
    context = {
        "matter": matter,
        "actions": actions,
        "events": events,
        "people": matter.petitioner_rows(full=full),
        "can_reveal": not full,
        "attachments": matter.attachments.filter(event__action="register"),
        "light": light,
        "light_label": light_label,
        "repeats": matter.repeats.all() if matter.pk else [],
        "documents": notices.available(matter, events),
        "completion_report": completion.applies(matter) and any(e.action == "approve_reply" for e in events),
        "can_screen": _may_screen(request.user, matter),
    }
    return render(request, "petitions/detail.html", context)


def _may_screen(user, matter) -> bool:
    try:
        screening.check_screener(user, matter)
    except screening.ScreeningError:
        return False
    return True


@casework_required
@require_POST
def reveal(request, pk):
    """Full personal data of one matter for a role that normally sees it masked; needs a reason."""
    matter = get_visible_matter(request.user, pk)
    reason = request.POST.get("reason", "").strip()
    if len(reason) < 4:
        return render(
            request,
            "petitions/_people.html",
            {
                "matter": matter,
                "people": matter.petitioner_rows(full=False),
                "can_reveal": True,
                "reveal_error": "请填写查看原因（至少4个字）。",
            },
        )
    audit.record("reveal_personal", request=request, target=f"matter:{matter.pk}", detail={"reason": reason})
    return render(
        request, "petitions/_people.html", {"matter": matter, "people": matter.petitioner_rows(full=True)}
    )


@casework_required
def act(request, pk, action):
    from .services import perform

    matter = get_visible_matter(request.user, pk)
    t = TRANSITIONS.get(action)
    if t is None:
        raise Http404("未知的操作")
    if not can_perform(request.user, matter, t, visible=True):
        raise PermissionDenied(f"您不能对该事项进行「{t.label}」。")
    form_class = form_for(action)
    form = form_class(
        request.POST or None,
        request.FILES or None,
        matter=matter,
        user=request.user,
        initial={"version": matter.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            perform(
                matter.pk,
                request.user,
                action,
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data.get("note", ""),
                files=form.cleaned_data.get("files") or [],
                **form.params(),
            )
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            if action in DISPATCH_ACTIONS:
                feedback.record("unit", request.POST, matter, form.cleaned_data["unit"], request.user)
            messages.success(request, f"已{t.label}。")
            return redirect("petitions:detail", pk=matter.pk)
    context = {"matter": matter, "transition": t, "form": form}
    if action in SIGNING_ACTIONS and matter.status == Status.REPLY_PENDING:
        context["draft"] = matter.events.filter(action="submit_reply").select_related("actor").last()
        context["preview"] = notices.reply_preview(matter, request.user.unit, clock.today())
    if action in DISPATCH_ACTIONS:
        allowed = set(form.fields["unit"].queryset.values_list("pk", flat=True))
        context["unit_advice"] = suggest_unit(matter, request.user.unit, allowed)
    return render(request, "petitions/act.html", context)


@casework_required
def attachment(request, pk):
    """An attachment: images and PDF files open in the browser (sandboxed), anything else downloads."""
    att = get_object_or_404(Attachment.objects.select_related("matter"), pk=pk)
    if not Matter.objects.visible_to(request.user).filter(pk=att.matter_id).exists():
        raise Http404("没有找到该附件。")
    if not att.file:
        raise Http404("该附件已按保存期限删除。")
    response = uploads.serve(att.file, att.name)
    # A letter, a scan of an ID card: attachments are shown unmasked to every role that sees them.
    audit.record(
        "read_personal",
        request=request,
        target=f"matter:{att.matter_id}",
        detail={"via": "attachment", "attachment": att.pk},
    )
    return response


@login_required
def home(request):
    """Send each role to where its work is."""
    user = request.user
    if user.role == Role.LEADER:  # leaders start from the overall picture, their to-dos one click away
        return redirect("analytics:cockpit")
    if user.does_casework:
        return redirect("petitions:queue")
    if user.reports_events:
        return redirect("grid:mine")
    if user.role == Role.ANALYST:
        return redirect("analytics:dashboard")
    if user.role == Role.AUDITOR:
        return redirect("audit:list")
    if user.role == Role.ADMIN:
        return redirect("administration:index")
    if user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied("您的账号尚未分配单位和角色，请联系系统管理员。")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@casework_required
@require_GET
def export_list(request):
    """The list as it is filtered on screen, as .xlsx; a large one is written by the worker."""
    params = request.GET.copy()
    params.pop("page", None)
    qs, _, tab = listed_matters(request.user, params, whole=True)
    total = qs.count()
    full = export.full_view(request.user)
    # Search words may be a petitioner's name: the audit log (which can never be edited) keeps only
    # that there were some.
    filters = {k: ("（已输入，不记录）" if k == "q" and v else v) for k, v in params.dict().items()}
    detail = {
        "tab": tab,
        "filters": filters,
        "rows": total,
        "personal_data": "full" if full else "masked",
    }
    if total <= export.inline_limit():
        buffer = BytesIO()
        export.write(qs, buffer, full=full)
        audit.record("export", request=request, target="matters", detail=detail)
        name = f"信访事项台账-{clock.today():%Y%m%d}.xlsx"
        return FileResponse(BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)
    with transaction.atomic():
        job = ExportJob.objects.create(user=request.user, query=params.urlencode(), total=total)
        audit.record("export", request=request, target=f"export:{job.pk}", detail=detail)
    from .tasks import run_export

    transaction.on_commit(lambda: run_export(job.pk))
    return redirect("petitions:export_job", pk=job.pk)


def _own_job(request, pk) -> ExportJob:
    return get_object_or_404(ExportJob, pk=pk, user=request.user)


@casework_required
def export_job(request, pk):
    job = _own_job(request, pk)
    template = "petitions/_export_job.html" if request.htmx else "petitions/export_job.html"
    return render(request, template, {"job": job})


@casework_required
def export_download(request, pk):
    job = _own_job(request, pk)
    if job.state != ExportJob.State.DONE:
        raise Http404("导出文件尚未生成。")
    if not export.is_kept(job.file_name):
        raise Http404("导出文件已过期清理，请重新导出。")
    response = FileResponse(
        BytesIO(export.content_of(job.file_name)),
        as_attachment=True,
        filename=f"信访事项台账-{job.pk}.xlsx",
        content_type=XLSX,
    )
    audit.record(
        "export",
        request=request,
        target=f"export:{job.pk}",
        detail={
            "download": True,
            "rows": job.done,
            "personal_data": "full" if export.full_view(job.user) else "masked",
        },
    )
    return response
