"""Security headers for every response, the idle sign-out, and the client's address behind a
trusted proxy. (The second-factor gate for staff sessions is
xinfang.org.accounts.SecondFactorMiddleware.)"""

import ipaddress
import time

from django.conf import settings

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


class TrustedProxyMiddleware:
    """Behind nginx every request comes from the proxy's address. When it comes from one of
    XINFANG_TRUSTED_PROXIES, the client's address is the one the proxy wrote into X-Real-IP (nginx
    sets it from the connection, replacing whatever the client sent); rate limits per address, the
    audit log and /metrics then see the client. Without trusted proxies nothing changes."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = set(settings.XINFANG_TRUSTED_PROXIES)

    def __call__(self, request):
        if self.proxies and request.META.get("REMOTE_ADDR") in self.proxies:
            real = request.headers.get("X-Real-IP", "").strip()
            try:
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(real))
            except ValueError:
                pass  # no usable address from the proxy: the proxy's own stays
        return self.get_response(request)
