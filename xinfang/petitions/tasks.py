"""Periodic jobs of the petition workflow."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*/15"))
def sweep_deadlines():
    """Queue 临期/超期 reminders and close matters whose review window has run out."""
    return services.sweep()


@db_periodic_task(crontab(hour="2", minute="30"))
def remove_expired_personal_data():
    """Anonymise the personal data of matters closed longer ago than the retention period."""
    from .retention import anonymise_due

    return anonymise_due()
