"""Background jobs of the notification outbox."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .models import Notification
from .notifications import deliver


@db_task()
def deliver_notifications(ids):
    deliver(ids)


@db_periodic_task(crontab(minute="*/5"))
def retry_pending_notifications():
    ids = list(
        Notification.objects.filter(state=Notification.State.PENDING).values_list("pk", flat=True)[:500]
    )
    deliver(ids)
