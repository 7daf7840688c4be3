"""Pluggable notification delivery. A backend has `send(notification)`; it raises on failure."""

import logging
from datetime import timedelta

from django.conf import settings
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
