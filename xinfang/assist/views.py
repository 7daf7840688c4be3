"""Pages of case intelligence: the intake panel of the registration form, similar matters of a
matter, repeat links and merges, suspected collective petitions, and the model versions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xinfang.audit import api as audit
from xinfang.core import uploads
from xinfang.org.access import casework_required
from xinfang.org.models import Role
from xinfang.petitions.views import get_visible_matter

from . import feedback, intake, letters, similar_matters, training
from .models import ModelVersion

INTAKE_ROLES = {Role.REGISTRAR, Role.DISPATCHER}
MODEL_ROLES = {Role.ADMIN, Role.ANALYST}


@casework_required
@require_POST
def intake_panel(request):
    """What the system makes of a petition being registered: category, place, urgency, similar and
    earlier matters. Called by the registration form as the registrar types."""
    if request.user.role not in INTAKE_ROLES:
        raise PermissionDenied("只有登记员、交办员可以使用登记辅助。")
    return render(request, "assist/_intake.html", intake.read_form(request.POST, request.user))


@casework_required
def similar_panel(request, pk):
    matter = get_visible_matter(request.user, pk)
    context = {
        "matter": matter,
        "urgency": intake.urgency_of(matter.title, matter.content),
        "can_link": request.user.role in INTAKE_ROLES,
        "merge_min": similar_matters.MERGE_MIN_SIMILARITY,
    }
    try:
        context["similar"] = similar_matters.for_matter(matter, request.user)
    except similar_matters.IndexNotReady as exc:
        context["index_note"] = str(exc)
    return render(request, "assist/_similar.html", context)


@casework_required
@require_POST
def link_repeat(request, pk, other):
    """Mark this matter as a repeat of an earlier one (重复信访); with merge=1 the duplicate is also
    not accepted, through the ordinary 不予受理 transition (art. 19)."""
    if request.user.role not in INTAKE_ROLES:
        raise PermissionDenied("只有登记员、交办员可以标记重复信访。")
    matter = get_visible_matter(request.user, pk)
    original = get_visible_matter(request.user, other)
    merge = request.POST.get("merge") == "1"
    try:
        similar_matters.link_repeat(
            matter,
            original,
            request.user,
            merge=merge,
            reason=request.POST.get("reason", ""),
            confirmed=request.POST.get("confirm") == "1",
        )
    except similar_matters.LinkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"已标记为重复信访，原事项 {original.display_code}"
            + ("，本件已不予受理并入原事项办理。" if merge else "。"),
        )
    return redirect("petitions:detail", pk=matter.pk)


def _registering(request):
    if request.user.role not in INTAKE_ROLES:
        raise PermissionDenied("只有登记员、交办员可以识别来信。")


@casework_required
def letter_new(request):
    """Upload a scanned letter; the worker recognises its text."""
    _registering(request)
    error = ""
    if request.method == "POST":
        file = request.FILES.get("scan")
        if file is None:
            error = "请选择来信的扫描件（图片或PDF文件）。"
        else:
            try:
                scan = letters.upload(request.user, file)
            except ValidationError as exc:
                error = "；".join(exc.messages)
            else:
                return redirect("assist:letter", pk=scan.pk)
    return render(request, "assist/letter_new.html", {"error": error})


@casework_required
def letter(request, pk):
    """The scan beside its recognised text; the registrar corrects it and registers the letter."""
    _registering(request)
    scan = letters.own_scan(request.user, pk)
    if request.method == "POST" and scan.state in {scan.State.DONE, scan.State.FAILED}:
        scan.text = request.POST.get("text", "").strip()
        scan.save(update_fields=["text"])
        return redirect(f"{reverse('petitions:register')}?letter={scan.pk}")
    template = "assist/_letter_text.html" if request.htmx else "assist/letter.html"
    return render(request, template, {"scan": scan})


@casework_required
def letter_file(request, pk):
    """The scan itself, for its uploader (a letter carries personal data: the read is audited)."""
    _registering(request)
    scan = letters.own_scan(request.user, pk)
    audit.record("read_personal", request=request, target=f"letter_scan:{scan.pk}", detail={"via": "ocr"})
    return uploads.serve(scan.file, scan.name)


@casework_required
def collective(request):
    """Suspected collective petitions of the last days, among the matters the user may see."""
    context = {"days": 7}
    try:
        context["groups"] = similar_matters.collective_groups(request.user, days=context["days"])
    except similar_matters.IndexNotReady as exc:
        context["index_note"] = str(exc)
    return render(request, "assist/collective.html", context)


def _model_user(request):
    if request.user.role not in MODEL_ROLES:
        raise PermissionDenied("只有系统管理员和分析员可以管理研判模型。")


@login_required
def models_page(request):
    _model_user(request)
    versions = ModelVersion.objects.defer("weights").annotate(
        feedback_count=Count("feedback"), accepted_count=Count("feedback", filter=Q(feedback__accepted=True))
    )
    return render(request, "assist/models.html", {"versions": versions, "overall": feedback.summary()})


@login_required
@require_POST
def model_train(request):
    _model_user(request)
    from .tasks import train_model

    kind = request.POST.get("kind", "")
    if kind not in ModelVersion.Kind.values:
        raise PermissionDenied("未知的模型类型。")
    train_model(kind, f"{request.user.username}（页面）")
    messages.success(request, f"已开始训练{ModelVersion.Kind(kind).label}模型，完成后将出现在列表中并启用。")
    return redirect("assist:models")


@login_required
@require_POST
def model_activate(request, pk):
    _model_user(request)
    version = get_object_or_404(ModelVersion.objects.defer("weights"), pk=pk)
    training.activate(version)
    training.forget_loaded()
    messages.success(request, f"已启用{version}。")
    return redirect("assist:models")
