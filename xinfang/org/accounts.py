"""Staff sign-in beyond the password: the second factor (TOTP), enrolment and password change.

Sign-in has two steps. The password step is Django's login view, guarded by django-axes (lockout
after repeated failures). It leaves an authenticated but unverified session, which
``SecondFactorMiddleware`` confines to the pages here until a TOTP code from the user's
authenticator app has been entered. A user without a confirmed device enrols first.
"""

import base64
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.core.qr import qr_data_uri

from . import signals
from .models import User


def second_factor_required(user) -> bool:
    """Everyone with a device must use it; everyone must have one where the setting says so."""
    return settings.XINFANG_TOTP_REQUIRED or user_has_device(user, confirmed=True)


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="动态口令",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "动态口令是 6 位数字。", "required": "请输入动态口令。"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        allowed, info = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError("动态口令错误次数过多，请稍候再试。")
        if not self.device.verify_token(token):
            raise forms.ValidationError("动态口令不正确或已过期，请输入验证器当前显示的 6 位数字。")
        return token


class SecondFactorMiddleware:
    """Confine a password-only session to the TOTP pages until a code has been entered.

    Runs after django-otp's OTPMiddleware, which gives ``request.user.is_verified()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.open_paths())
            and second_factor_required(user)
        ):
            return redirect(f"{reverse('otp_verify')}?next={quote(request.get_full_path())}")
        return self.get_response(request)

    @staticmethod
    def open_paths():
        return (reverse("login"), reverse("logout"), reverse("otp_verify"), settings.STATIC_URL)


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@login_required
def verify(request):
    """Step two of sign-in: a code from the enrolled authenticator."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).first()
    if device is None:
        return redirect(f"{reverse('otp_setup')}?next={_next_url(request)}")
    form = TokenForm(device, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            otp_login(request, device)
            signals.otp_verified.send(sender=User, request=request, user=request.user)
            return redirect(_next_url(request))
        signals.otp_failed.send(sender=User, request=request, user=request.user)
    return render(request, "org/otp_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def setup(request):
    """Enrol an authenticator: show the key as a QR code and text, confirm with a first code.

    The unconfirmed device keeps its key between page loads, so a reload does not invalidate a
    code the user has already scanned. A user who already has a confirmed device signs in with it;
    replacing it is an administrator's job (delete the device in 系统管理).
    """
    user = request.user
    if user_has_device(user, confirmed=True):
        return redirect(f"{reverse('otp_verify')}?next={_next_url(request)}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="验证器", confirmed=False)
    form = TokenForm(device, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                signals.otp_enrolled.send(sender=User, request=request, user=user)
            otp_login(request, device)
            messages.success(request, "已绑定动态口令验证器，今后登录需输入验证器上的 6 位数字。")
            return redirect(_next_url(request))
        signals.otp_failed.send(sender=User, request=request, user=user)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": _next_url(request),
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr_data_uri": qr_data_uri(device.config_url),
    }
    return render(request, "org/otp_setup.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "org/password_change.html"

    def get_success_url(self):
        return reverse("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        signals.password_changed.send(sender=User, request=self.request, user=self.request.user)
        messages.success(self.request, "密码已修改。")
        return response


def lockout_response(request, original_response=None, credentials=None):
    """The page django-axes shows while an account is locked (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "lockout.html", {"cooloff_minutes": minutes}, status=429)
