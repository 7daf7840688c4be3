"""Periodic jobs run once per period, however many workers there are.

Every worker's scheduler queues each periodic job when it is due, so two workers (or one restarted
at the wrong moment) would run it twice. Before a periodic job runs, ``claim`` writes a PeriodicRun
row for (job, period); the unique constraint lets exactly one worker write it, and the others cancel
their copy. The period is the latest minute, at or before now, that the job's schedule names. A
worker killed while running a job leaves its row unfinished: that period's run is lost, and the next
period's run does the work (the sweep, the outbox retry and the snapshot all catch up by design).
"""

import logging
import os
import socket
from datetime import UTC, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from huey.api import PeriodicTask
from huey.contrib.djhuey import HUEY
from huey.exceptions import CancelExecution

from .models import PeriodicRun

log = logging.getLogger("xinfang.periodic")
LOOK_BACK_MINUTES = 8 * 24 * 60  # a weekly job's period is found within a week


def slot_of(task, now_naive) -> "timezone.datetime":
    """The latest minute at or before ``now_naive`` (Huey's clock: naive, UTC) that ``task`` is
    scheduled for, as an aware datetime."""
    minute = now_naive.replace(second=0, microsecond=0)
    for _ in range(LOOK_BACK_MINUTES):
        if task.validate_datetime(minute):
            break
        minute -= timedelta(minutes=1)
    else:
        raise ValueError(f"定时任务 {task.name} 在一周内没有计划时间")
    return minute.replace(tzinfo=UTC) if HUEY.utc else timezone.make_aware(minute)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@HUEY.pre_execute()
def claim(task):
    if not isinstance(task, PeriodicTask):
        return
    slot = slot_of(task, HUEY._get_timestamp())
    try:
        with transaction.atomic():
            run = PeriodicRun.objects.create(name=task.name, slot=slot, worker=worker_name())
    except IntegrityError:
        log.info("定时任务 %s（%s）已由其他进程执行，跳过", task.name, slot.isoformat())
        raise CancelExecution(retry=False) from None
    task.periodic_run_id = run.pk


@HUEY.post_execute()
def record(task, task_value, exception):
    run_id = getattr(task, "periodic_run_id", None)
    if run_id is None:
        return
    error = "" if exception is None else f"{type(exception).__name__}: {exception}"
    PeriodicRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), error=error[:2000])


def last_finished(name):
    """The slot of the latest successful run of periodic job ``name``, or None."""
    return (
        PeriodicRun.objects.filter(name=name, finished_at__isnull=False, error="")
        .order_by("-slot")
        .values_list("slot", flat=True)
        .first()
    )
