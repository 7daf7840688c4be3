"""Periodic jobs of the petition workflow."""

import logging
import secrets
from io import BytesIO

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from xinfang.core import dbrouter

from . import export, services
from .lists import listed_matters
from .models import ExportJob


@db_periodic_task(crontab(minute=f"*/{settings.XINFANG_SWEEP_MINUTES}"))
def sweep_deadlines():
    """Queue 临期/超期 reminders and close matters whose review window has run out."""
    return services.sweep()


@db_periodic_task(crontab(hour="2", minute="30"))
def remove_expired_personal_data():
    """Anonymise the personal data of matters closed longer ago than the retention period."""
    from .retention import anonymise_due

    return anonymise_due()


log = logging.getLogger("xinfang.export")


@db_periodic_task(crontab(minute="10"))
def remove_old_exports():
    return export.remove_old_files()


@db_task()
def run_export(job_id):
    """Write a large list export to the file storage (encrypted: it holds personal data), recording
    progress on the job row. The rows are read from the replica when there is one."""
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING)
    qs, _, _ = listed_matters(job.user, QueryDict(job.query), whole=True)
    name = f"{job.pk}-{secrets.token_hex(8)}.xlsx"
    try:
        buffer = BytesIO()
        with dbrouter.replica_reads():
            rows = export.write(
                qs,
                buffer,
                full=export.full_view(job.user),
                progress=lambda done: ExportJob.objects.filter(pk=job.pk).update(done=done),
            )
        export.keep(name, buffer.getvalue())
    except Exception as exc:  # noqa: BLE001 — the job records why it failed; the user sees it
        log.exception("导出任务 %s 失败", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        return
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.DONE, done=rows, total=rows, file_name=name, finished_at=timezone.now()
    )
