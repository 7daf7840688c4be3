"""Background jobs of the notification outbox, and the clean-up of ended rate-limit windows; the
hooks that keep periodic jobs to one run per period (periodic) and count failed jobs."""

from django.conf import settings
from huey import crontab, signals
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from . import periodic, ratelimit  # noqa: F401 — periodic registers its hooks on import
from .notifications import claimable, deliver
from .observability import count_job_failure


@db_task()
def deliver_notifications(ids):
    deliver(ids)


@db_periodic_task(crontab(minute=f"*/{settings.XINFANG_OUTBOX_RETRY_MINUTES}"))
def retry_pending_notifications():
    deliver(list(claimable().order_by("pk").values_list("pk", flat=True)[:500]))


@db_periodic_task(crontab(minute="25"))
def purge_rate_counters():
    ratelimit.purge()


HUEY.signal(signals.SIGNAL_ERROR)(count_job_failure)


@HUEY.on_startup()
def resume_outbox():
    """A restarted worker picks up what a stopped or killed one left pending, without waiting for
    the next retry. Runs in each worker thread; the claims in deliver() keep it to one send per row."""
    retry_pending_notifications.call_local()
