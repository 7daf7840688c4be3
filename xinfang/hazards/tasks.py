"""Periodic jobs of the hazard ledger."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*/15"))
def sweep_hazard_deadlines():
    """Queue 临期/超期 reminders (催办) for hazards."""
    return services.sweep()
