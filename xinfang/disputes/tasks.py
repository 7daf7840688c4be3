"""Periodic jobs of the dispute ledger: the kernel's 临期/超期 reminders (an overdue dispute goes to
the level above, see services.on_reminded) and the daily early warning from dispute counts."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services, warnings


@db_periodic_task(crontab(minute="*/15"))
def sweep_disputes():
    return services.sweep()


@db_periodic_task(crontab(hour="6", minute="20"))
def scan_dispute_warnings():
    return len(warnings.scan())
