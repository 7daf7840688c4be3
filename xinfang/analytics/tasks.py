"""Periodic jobs of analytics."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import snapshot


@db_periodic_task(crontab(minute="*/10"))
def refresh_snapshot():
    """Rebuild the dashboard's column store from the records."""
    return snapshot.refresh()
