"""Periodic jobs of analytics."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import snapshot, warnings


@db_periodic_task(crontab(minute="*/10"))
def refresh_snapshot():
    """Rebuild the dashboard's column store from the records."""
    return snapshot.refresh()


@db_periodic_task(crontab(hour="6", minute="20"))
def scan_warnings():
    """Raise the early warnings for yesterday, after the morning's snapshot."""
    snapshot.refresh()
    return [w.pk for w in warnings.scan()]
