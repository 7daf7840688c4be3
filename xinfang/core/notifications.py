"""Pluggable notification delivery. A backend has `send(notification)`; it raises on failure."""

import logging

from django.conf import settings
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


def backend():
    return import_string(settings.XINFANG_NOTIFICATION_BACKEND)()


def deliver(ids):
    """Send the given pending notifications; failures stay pending for the retry job."""
    sender = backend()
    for n in Notification.objects.filter(pk__in=ids, state=Notification.State.PENDING):
        n.attempts += 1
        try:
            sender.send(n)
        except Exception as exc:  # noqa: BLE001 — any backend failure is recorded and retried
            n.error = f"{type(exc).__name__}: {exc}"
            if n.attempts >= MAX_ATTEMPTS:
                n.state = Notification.State.FAILED
            log.warning("通知发送失败（第%s次）：%s", n.attempts, n.error)
        else:
            n.state = Notification.State.SENT
            n.sent_at = timezone.now()
            n.error = ""
        n.save(update_fields=["attempts", "state", "sent_at", "error"])
