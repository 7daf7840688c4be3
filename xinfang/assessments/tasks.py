"""Periodic jobs of the stability risk assessments."""

from datetime import time

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from xinfang.cases.sweeper import sweep as sweep_cases
from xinfang.core import clock

from .services import ASSESSMENT


def sweep(today=None) -> dict:
    now = clock.now() if today is None else clock.local_datetime(today, time(12))
    return sweep_cases(ASSESSMENT, now)


@db_periodic_task(crontab(minute="*/15"))
def sweep_assessment_deadlines():
    """Queue 临期/超期 reminders for the steps of assessments."""
    return sweep()
