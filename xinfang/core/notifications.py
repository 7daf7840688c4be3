"""Pluggable notification delivery. A backend has `send(notification)`; it raises on failure.

Built in: the console (log) backend, e-mail for staff, SMS for petitioners through an HTTP gateway,
and a routing backend that combines them.
"""

import json
import logging
import re
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from . import crypto
from .models import Notification

log = logging.getLogger("xinfang.notifications")
MAX_ATTEMPTS = 5


class ConsoleBackend:
    """Writes each notification to the log: the embedded default, and what tests read."""

    def send(self, notification):
        contact = notification.recipient_contact
        to = notification.recipient_user or (crypto.mask_phone(contact) if contact else "（无联系方式）")
        log.info("通知 → %s｜%s｜%s", to, notification.subject, notification.body)


MOBILE = re.compile(r"^1[3-9]\d{9}$")


class NotDeliverable(Exception):
    """This backend has no way to reach this recipient (no e-mail address, no mobile number)."""


class EmailBackend:
    """Staff notices by e-mail through Django's mail settings (EMAIL_HOST etc.)."""

    def send(self, notification):
        user = notification.recipient_user
        if user is None or not user.email:
            raise NotDeliverable("收件人没有登记电子邮箱")
        send_mail(
            f"【信访通】{notification.subject}",
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
            fail_silently=False,
        )


class HttpSmsGateway:
    """An SMS gateway reached over HTTP: POST {"phone", "text", "sign"} as JSON with a bearer key;
    any 2xx answer is success. Carriers' and cloud vendors' gateways differ in detail: subclass
    and override ``request`` for one that wants another shape."""

    def __init__(self, url=None, key=None, sign=None, timeout=10):
        self.url = url or settings.XINFANG_SMS_GATEWAY_URL
        self.key = key or settings.XINFANG_SMS_GATEWAY_KEY
        self.sign = sign or settings.XINFANG_SMS_SIGN
        self.timeout = timeout

    def request(self, phone, text):
        body = json.dumps({"phone": phone, "text": text, "sign": self.sign}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.key}"}
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def send(self, phone, text):
        if not self.url:
            raise NotDeliverable("没有配置短信网关地址（XINFANG_SMS_GATEWAY_URL）")
        try:
            with urllib.request.urlopen(self.request(phone, text), timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"短信网关返回 {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise RuntimeError(f"无法连接短信网关：{exc}") from exc


class SmsBackend:
    """Petitioners with a mobile number get an SMS through the configured gateway."""

    def __init__(self, gateway=None):
        self.gateway = gateway or import_string(settings.XINFANG_SMS_GATEWAY)()

    def send(self, notification):
        phone = (notification.recipient_contact or "").replace(" ", "").replace("-", "")
        if not MOBILE.match(phone):
            raise NotDeliverable("没有手机号码，需书面送达")
        self.gateway.send(phone, f"{notification.subject}：{notification.body}")


class RoutingBackend:
    """Staff by e-mail, petitioners by SMS; whoever neither reaches is written to the log, where the
    bureau's daily print of 书面告知 picks it up. Set XINFANG_NOTIFICATION_BACKEND to this class."""

    def __init__(self):
        self.by_audience = {
            Notification.Audience.STAFF: EmailBackend(),
            Notification.Audience.PETITIONER: SmsBackend(),
        }
        self.fallback = ConsoleBackend()

    def send(self, notification):
        try:
            self.by_audience[notification.audience].send(notification)
        except NotDeliverable as exc:
            log.info("通知无法电子送达（%s），转书面送达：%s", exc, notification.subject)
            self.fallback.send(notification)


def backend():
    return import_string(settings.XINFANG_NOTIFICATION_BACKEND)()


def lease_cutoff():
    return timezone.now() - timedelta(seconds=settings.XINFANG_NOTIFICATION_LEASE_SECONDS)


def claimable():
    """Pending rows nobody is sending: never claimed, or claimed by a worker that died (lease over)."""
    return Notification.objects.filter(state=Notification.State.PENDING).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=lease_cutoff())
    )


def deliver(ids):
    """Send the given pending notifications; failures stay pending for the retry job.

    Each row is claimed with one conditional UPDATE before it is sent, so two workers (the task
    queued after commit and the periodic retry) never send the same row at once. A worker killed
    between sending and recording leaves the claim to run out: delivery is at least once.
    """
    sender = backend()
    for pk in ids:
        if not claimable().filter(pk=pk).update(claimed_at=timezone.now(), attempts=F("attempts") + 1):
            continue  # sent already, or another worker holds it
        n = Notification.objects.get(pk=pk)
        try:
            sender.send(n)
        except Exception as exc:  # noqa: BLE001 — any backend failure is recorded and retried
            n.error = f"{type(exc).__name__}: {exc}"
            n.claimed_at = None
            if n.attempts >= MAX_ATTEMPTS:
                n.state = Notification.State.FAILED
            log.warning("通知发送失败（第%s次）：%s", n.attempts, n.error)
        else:
            n.state = Notification.State.SENT
            n.sent_at = timezone.now()
            n.error = ""
        n.save(update_fields=["state", "sent_at", "error", "claimed_at"])
