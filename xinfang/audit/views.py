"""The auditors' page: the audit log, newest first, filtered and paged. Nobody else may see it,
administrators included (separation of duties), and every view of it is itself audited.

Administrators (and auditors) see one part of it on a page of their own: the changes made to the
system's configuration (配置变更记录), so that who changed a holiday, a deadline or an account can be
looked up; logins, reads of personal data and the other rows stay with the auditors."""

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from xinfang.core.params import page_number, page_of
from xinfang.org.access import is_administrator
from xinfang.org.models import Role

from . import api, labels
from .forms import AuditFilterForm, ChangeFilterForm
from .models import AuditEntry

PAGE_SIZE = 100


def is_auditor(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.AUDITOR)


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_entries(qs, data):
    """Apply the filter form's cleaned data: dates are whole local days, both ends included."""
    if data.get("date_from"):
        qs = qs.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        qs = qs.filter(at__lt=_day_start(data["date_to"] + timedelta(days=1)))
    if data.get("username"):
        name = data["username"].strip()
        # Failed logins have no user; the name that was tried is in the detail.
        qs = qs.filter(Q(username=name) | Q(action=AuditEntry.Action.LOGIN_FAILED, detail__username=name))
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    target = labels.target_of(data.get("target") or "")
    if target:
        qs = qs.filter(target__startswith=target) if target.endswith(":") else qs.filter(target=target)
    return qs


@login_required
@require_GET
def entry_list(request):
    if not is_auditor(request.user):
        raise PermissionDenied("审计日志仅供审计员查看。")
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    api.record(
        AuditEntry.Action.AUDIT_VIEW,
        request=request,
        detail={
            "filters": {k: v for k, v in data.items() if v},
            "page": page_number(request.GET.get("page")),
        },
    )
    qs = filter_entries(AuditEntry.objects.all(), data).order_by("-seq")
    page = page_of(qs, request, PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {"form": form, "page": page, "querystring": params.urlencode()},
    )


@login_required
@require_GET
def change_list(request):
    """配置变更记录: the admin_change rows, for administrators and auditors."""
    if not (is_auditor(request.user) or is_administrator(request.user)):
        raise PermissionDenied("配置变更记录仅供系统管理员和审计员查看。")
    form = ChangeFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    api.record(
        AuditEntry.Action.AUDIT_VIEW,
        request=request,
        detail={
            "list": "配置变更记录",
            "filters": {k: v for k, v in data.items() if v},
            "page": page_number(request.GET.get("page")),
        },
    )
    qs = filter_entries(AuditEntry.objects.filter(action=AuditEntry.Action.ADMIN_CHANGE), data)
    if data.get("model"):
        qs = qs.filter(target__startswith=f"{data['model']}:")
    page = page_of(qs.select_related("user").order_by("-seq"), request, PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/changes.html",
        {"form": form, "page": page, "querystring": params.urlencode()},
    )
