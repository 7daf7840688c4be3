"""Periodic jobs of analytics."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import snapshot, warnings


@db_periodic_task(crontab(minute="*"))
def refresh_snapshot():
    """Bring the dashboard's column store up to date now, and again every XINFANG_SNAPSHOT_SECONDS
    within this minute (the periodic schedule counts whole minutes)."""
    step = settings.XINFANG_SNAPSHOT_SECONDS
    for delay in range(step, 60, step):
        build_snapshot.schedule(delay=delay)
    return snapshot.refresh()


@db_task()
def build_snapshot(full=False):
    """The column store on demand: between the minutes, or when a page found none."""
    return snapshot.refresh(full=full)


@db_periodic_task(crontab(hour="6", minute="20"))
def scan_warnings():
    """Raise the early warnings for yesterday, after the morning's snapshot."""
    snapshot.refresh()
    return [w.pk for w in warnings.scan()]
