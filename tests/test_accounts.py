"""Staff sign-in: password, then a TOTP code; enrolment; lockout; password policy; CSRF; cookies."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from conftest import PASSWORD
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.audit.models import AuditEntry
from xinfang.org.validators import CharacterClassValidator

A = AuditEntry.Action


@pytest.fixture
def totp_required(settings):
    settings.XINFANG_TOTP_REQUIRED = True


def current_code(device, offset_steps=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():06d}"


def wait_out_throttle(device):
    """django-otp makes the user wait 2^(n-1) s after n wrong codes; move the failure into the past."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=F("throttling_failure_timestamp") - timedelta(minutes=5)
    )


def password_step(client, username="alice", password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def actions():
    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


def test_first_sign_in_enrols_an_authenticator_before_any_page(client, world, totp_required):
    assert password_step(client).status_code == 302
    # Password alone opens nothing: every page, the admin included, sends the user to the code step.
    for url in ["/matters/", "/matters/register/", "/admin/", "/password/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/otp/"), url
    response = client.get("/login/otp/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/otp/setup/")
    page = response.content.decode()
    assert "data:image/svg+xml;base64," in page and "绑定动态口令验证器" in page

    device = TOTPDevice.objects.get(user=world.alice, confirmed=False)
    client.get("/login/otp/setup/")  # a reload keeps the key the user may already have scanned
    assert TOTPDevice.objects.get(user=world.alice).key == device.key

    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/login/otp/setup/", {"token": wrong})
    assert "动态口令不正确或已过期" in response.content.decode()
    assert client.get("/matters/").status_code == 302

    wait_out_throttle(device)
    response = client.post("/login/otp/setup/", {"token": current_code(device), "next": "/matters/"})
    assert response.status_code == 302 and response["Location"] == "/matters/"
    assert TOTPDevice.objects.get(user=world.alice).confirmed
    assert client.get("/matters/").status_code == 200
    assert actions() == [A.LOGIN, A.OTP_FAILED, A.OTP_ENROLLED]


def test_later_sign_ins_need_the_current_code_once(client, world, totp_required):
    device = TOTPDevice.objects.create(user=world.alice, name="验证器", confirmed=True)
    password_step(client)
    assert client.get("/login/otp/setup/")["Location"].startswith("/login/otp/")  # no second device
    response = client.post("/login/otp/", {"token": "12ab56"})
    assert "动态口令是 6 位数字" in response.content.decode()
    old = current_code(device, offset_steps=-10)  # five minutes old
    assert "动态口令不正确或已过期" in client.post("/login/otp/", {"token": old}).content.decode()
    wait_out_throttle(device)
    code = current_code(device)
    assert client.post("/login/otp/", {"token": code})["Location"] == "/"
    assert client.get("/matters/").status_code == 200
    assert actions() == [A.LOGIN, A.OTP_FAILED, A.OTP_FAILED, A.OTP_VERIFIED]
    assert AuditEntry.objects.order_by("seq").last().target == f"user:{world.alice.pk}"

    # The same code cannot be used again in another session (replay).
    other = Client()
    password_step(other)
    assert "动态口令不正确或已过期" in other.post("/login/otp/", {"token": code}).content.decode()
    assert other.get("/matters/").status_code == 302


def test_a_user_with_a_device_needs_it_even_where_the_setting_does_not_require_one(client, world):
    TOTPDevice.objects.create(user=world.alice, name="验证器", confirmed=True)
    password_step(client)
    assert client.get("/matters/")["Location"].startswith("/login/otp/")
    password_step(Client(), "bob")  # bob has no device and the setting is off in tests
    bob = Client()
    password_step(bob, "bob")
    assert bob.get("/matters/").status_code == 200


def test_code_guessing_is_throttled(client, world, totp_required):
    device = TOTPDevice.objects.create(user=world.alice, name="验证器", confirmed=True)
    password_step(client)
    for _ in range(3):
        client.post("/login/otp/", {"token": "000000"})
    # Even the right code is refused while the throttle runs.
    response = client.post("/login/otp/", {"token": current_code(device)})
    assert "动态口令错误次数过多" in response.content.decode()
    assert actions().count(A.OTP_FAILED) == 4


def test_next_parameter_cannot_send_the_user_to_another_site(client, world, totp_required):
    device = TOTPDevice.objects.create(user=world.alice, name="验证器", confirmed=True)
    password_step(client)
    response = client.post("/login/otp/", {"token": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_repeated_password_failures_lock_the_account(client, world, settings):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        assert password_step(client, password="wrong-Password-1").status_code == 200
    response = password_step(client, password="wrong-Password-1")
    assert response.status_code == 429 and "已临时锁定 30 分钟" in response.content.decode()
    # Locked: the right password from another browser is refused too, and nothing is logged in.
    other = Client()
    response = password_step(other)
    assert response.status_code == 429
    assert other.get("/matters/").status_code == 302
    assert A.LOCKED_OUT in actions() and A.LOGIN not in actions()
    # Another account is not affected.
    assert password_step(Client(), "bob").status_code == 302

    # After the cool-off the account opens again, and a success clears the failure count.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=31)
    )
    assert password_step(other).status_code == 302
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    "password, ok",
    [
        ("abcdefghij12", False),  # lower case and digits only
        ("ABCDEFGH-ijk", True),
        ("Qinghe2025!x", True),
        ("信访通信访通信访通ab1", False),  # Chinese characters are not a class of their own
    ],
)
def test_password_needs_three_character_classes(password, ok):
    validator = CharacterClassValidator()
    if ok:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError, match="至少 3 类"):
            validator.validate(password)


def test_password_change_applies_the_policy_and_is_audited(client, world):
    password_step(client)
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "simplepassword", "new_password2": "simplepassword"},
    )
    assert "至少 3 类" in response.content.decode()
    new = "Tea-and-Rice-77"
    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.check_password(new)
    assert A.PASSWORD_CHANGED in actions()
    assert client.get("/matters/").status_code == 200  # the session survives its own password change


def test_posts_without_a_csrf_token_are_refused(world):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 403
    client.force_login(world.alice)
    assert client.post("/matters/register/", {}).status_code == 403


def test_cookies_are_http_only_and_secure_when_configured(client, world, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client.get("/login/")
    response = password_step(client)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["secure"] and session["samesite"] == "Lax"
    assert client.cookies[settings.CSRF_COOKIE_NAME]["secure"]
