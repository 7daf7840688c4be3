"""What is audited without the caller asking: logins, logouts, failed logins, lockouts, the second
factor and password changes (xinfang/org/signals.py), and admin changes."""

from axes.signals import user_locked_out
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.utils import translation

from xinfang.org import signals as account

from . import api
from .models import AuditEntry

A = AuditEntry.Action
ADMIN_FLAGS = {ADDITION: "新增", CHANGE: "修改", DELETION: "删除"}


def on_login(sender, request, user, **kwargs):
    api.record(A.LOGIN, user=user, request=request, target=f"user:{user.pk}")


def on_logout(sender, request, user, **kwargs):
    if user is None or not user.is_authenticated:
        return  # logging out without a session: nobody to name
    api.record(A.LOGOUT, user=user, request=request, target=f"user:{user.pk}")


def on_login_failed(sender, credentials, request=None, **kwargs):
    """Only the name that was tried; Django has already masked the password, and it is not read."""
    field = get_user_model().USERNAME_FIELD
    attempted = credentials.get(field) or credentials.get("username") or ""
    api.record(A.LOGIN_FAILED, user=None, request=request, detail={"username": str(attempted)[:150]})


def on_locked_out(sender, request, username, ip_address, **kwargs):
    api.record(A.LOCKED_OUT, user=None, request=request, detail={"username": str(username or "")[:150]})


ACCOUNT_EVENTS = {
    account.otp_verified: A.OTP_VERIFIED,
    account.otp_failed: A.OTP_FAILED,
    account.otp_enrolled: A.OTP_ENROLLED,
    account.password_changed: A.PASSWORD_CHANGED,
}


def on_account_event(sender, signal, request, user, **kwargs):
    api.record(ACCOUNT_EVENTS[signal], user=user, request=request, target=f"user:{user.pk}")


def _admin_detail(flag, model_name, object_id, object_repr, message):
    return {
        "operation": ADMIN_FLAGS.get(flag, str(flag)),
        "model": model_name,
        "object_id": object_id,
        "object": object_repr,
        "message": message,
    }


def on_admin_log_entry(sender, instance, created, raw=False, **kwargs):
    """Django's admin writes one LogEntry per single-object add, change or delete."""
    if not created or raw:
        return
    ct = instance.content_type
    model_name = f"{ct.app_label}.{ct.model}" if ct is not None else ""
    with translation.override("zh-hans"):
        message = instance.get_change_message()
    api.record(
        A.ADMIN_CHANGE,
        user=instance.user,
        target=f"{model_name}:{instance.object_id}" if model_name else "",
        detail=_admin_detail(
            instance.action_flag, model_name, instance.object_id, instance.object_repr, message
        ),
    )


@admin.action(permissions=["delete"], description=delete_selected.short_description)
def audited_delete_selected(modeladmin, request, queryset):
    """The admin's bulk delete, audited.

    For more than one object Django writes its LogEntry rows with bulk_create, which sends no
    post_save signal; this records those deletions (one object goes through on_admin_log_entry).
    """
    confirmed = bool(request.POST.get("post"))
    victims = [(str(obj.pk), str(obj)[:200]) for obj in queryset] if confirmed else []
    response = delete_selected(modeladmin, request, queryset)
    if confirmed and response is None and len(victims) > 1:
        opts = modeladmin.model._meta
        model_name = f"{opts.app_label}.{opts.model_name}"
        for pk, text in victims:
            api.record(
                A.ADMIN_CHANGE,
                request=request,
                target=f"{model_name}:{pk}",
                detail=_admin_detail(DELETION, model_name, pk, text, "批量删除"),
            )
    return response


def connect():
    user_logged_in.connect(on_login, dispatch_uid="audit_login")
    user_logged_out.connect(on_logout, dispatch_uid="audit_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit_locked_out")
    for signal in ACCOUNT_EVENTS:
        signal.connect(on_account_event, dispatch_uid="audit_account_event")
    post_save.connect(on_admin_log_entry, sender=LogEntry, dispatch_uid="audit_admin_log_entry")
    admin.site.add_action(audited_delete_selected, "delete_selected")
