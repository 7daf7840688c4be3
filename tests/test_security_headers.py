"""Security headers and the idle session timeout."""

from conftest import sign_in


def test_csp_and_headers_on_every_page(client, world):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    sign_in(client, "alice")
    assert client.get("/matters/")["Cache-Control"] == "no-store"


def test_templates_have_no_inline_style_or_script(client, world):
    from conftest import Driver

    matter = Driver(world).register()
    sign_in(client, "alice")
    for url in ["/login/", "/matters/", "/matters/register/", f"/matters/{matter.pk}/"]:
        body = client.get(url).content.decode()
        assert ' style="' not in body and "<script>" not in body and "js:" not in body, url


def test_session_expires_after_idle_time_and_is_renewed_by_activity(client, world, settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE == 1800 and settings.XINFANG_SESSION_RENEW_SECONDS == 60
    sign_in(client, "alice")
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(seconds=60))
    assert client.get("/matters/").status_code == 200  # activity renews the session
    renewed = Session.objects.get(pk=key).expire_date
    assert timedelta(seconds=1700) < renewed - timezone.now() <= timedelta(seconds=1800)
    # within the next minute, pages are served without writing the session again
    assert client.get("/matters/").status_code == 200
    assert Session.objects.get(pk=key).expire_date == renewed
    session = client.session
    session["_renewed_at"] -= 61
    session.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(seconds=60))
    assert client.get("/matters/").status_code == 200  # a minute later, activity renews it again
    assert Session.objects.get(pk=key).expire_date - timezone.now() > timedelta(seconds=1700)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/matters/")["Location"].startswith("/login/")  # idle too long: logged out
