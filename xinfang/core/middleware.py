"""Security headers for every response, the idle sign-out, and the second-factor gate for staff
sessions."""

import time
from urllib.parse import quote

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

# Everything is served from this origin; no inline script or style, no eval (htmx runs with
# allowEval false), no framing.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = getattr(settings, "XINFANG_CSP", DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        # Pages with personal data: every page a signed-in user sees, and the citizen portal's.
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith(
            settings.XINFANG_NO_STORE_PATHS
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class IdleSessionMiddleware:
    """Sign-out after SESSION_COOKIE_AGE seconds without a request, without writing the session on
    every request: activity renews it (expiry and cookie) at most once per XINFANG_SESSION_RENEW_SECONDS.
    Saving on every request put a database write, under SQLite's single writer, into every page view.
    Sits inside SessionMiddleware, which saves the session it marks as modified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = request.session
        if session.session_key and not session.is_empty():
            now = int(time.time())
            if now - session.get("_renewed_at", 0) >= settings.XINFANG_SESSION_RENEW_SECONDS:
                session["_renewed_at"] = now
        return response


class SecondFactorMiddleware:
    """Confine a password-only session to the TOTP pages until a code has been entered.

    Runs after django-otp's OTPMiddleware, which gives ``request.user.is_verified()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from xinfang.org.accounts import second_factor_required

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
