"""Background jobs of the notification outbox, and the clean-up of ended rate-limit windows."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from . import ratelimit
from .notifications import claimable, deliver


@db_task()
def deliver_notifications(ids):
    deliver(ids)


@db_periodic_task(crontab(minute="*/5"))
def retry_pending_notifications():
    deliver(list(claimable().order_by("pk").values_list("pk", flat=True)[:500]))


@db_periodic_task(crontab(minute="25"))
def purge_rate_counters():
    ratelimit.purge()


@HUEY.on_startup()
def resume_outbox():
    """A restarted worker picks up what a stopped or killed one left pending, without waiting for
    the next retry. Runs in each worker thread; the claims in deliver() keep it to one send per row."""
    retry_pending_notifications.call_local()
