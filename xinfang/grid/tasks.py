"""Periodic jobs of grid events: the kernel's 临期/超期 reminders."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*/15"))
def sweep_grid_events():
    return services.sweep()
