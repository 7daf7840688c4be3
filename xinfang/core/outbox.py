"""Writing to the notification outbox: rows are written in the transaction of the change that
causes them and handed to the worker once it commits (a periodic job retries what is left)."""

from django.db import transaction

from .models import Notification


def enqueue(rows):
    if not rows:
        return
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk]
    if not ids:  # backends without RETURNING: the periodic retry job picks them up
        return
    from .tasks import deliver_notifications

    transaction.on_commit(lambda: deliver_notifications(ids))
