"""Periodic jobs of supervision."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import follow_up, supervisions


@db_periodic_task(crontab(minute="5,35"))
def sweep_supervision():
    """Tell units and issuers once when a 督办 answer is overdue."""
    return supervisions.sweep_supervision()


@db_periodic_task(crontab(hour="3", minute="10"))
def sweep_follow_ups():
    """Decide 息诉罢访 for replies whose follow-up period has run out."""
    return follow_up.sweep_follow_ups()
