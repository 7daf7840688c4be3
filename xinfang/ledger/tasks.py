"""Worker jobs of the 台账 import."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from . import jobs, kinds
from .models import BaseImportJob


@db_task()
def run_import(job_id, kind="matters"):
    jobs.run(job_id, kind=kinds.get(kind))


@db_task()
def read_header_later(job_id, kind="matters"):
    jobs.read_header(job_id, kinds.get(kind))


@db_periodic_task(crontab(minute="*"))
def resume_imports():
    """Start again the imports whose run stopped (a killed or restarted worker): their claim was
    not renewed within the lease. Rows already written are skipped by their import key."""
    stale = timezone.now() - timedelta(seconds=settings.XINFANG_IMPORT_LEASE_SECONDS)
    for kind in kinds.all_kinds():
        waiting = kind.jobs().filter(state__in=BaseImportJob.RUNNING_STATES).exclude(claimed_at__gt=stale)
        for pk in waiting.values_list("pk", flat=True):
            run_import(pk, kind.key)


@db_periodic_task(crontab(minute="20"))
def remove_old_import_files():
    return jobs.remove_old_files()


@HUEY.on_startup()
def resume_on_startup():
    resume_imports.call_local()
