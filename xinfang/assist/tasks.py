"""Worker jobs of case intelligence: training on demand and every week, the similar-matter index
snapshot every night, and 急事急报 for a newly registered matter."""

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from . import escalation, similar_matters, training
from .models import ModelVersion

log = logging.getLogger(__name__)


@db_task()
def train_model(kind, by):
    try:
        version = training.train(kind, by=by)
    except training.TrainingError as exc:
        log.warning("模型训练未完成：%s", exc)
        return None
    return version.pk


@db_periodic_task(crontab(day_of_week="0", hour="2", minute="30"))
def train_weekly():
    """Every Sunday night: new versions from the week's history (and its corrections)."""
    for kind in ModelVersion.Kind.values:
        train_model.call_local(kind, "每周定时训练")


@db_periodic_task(crontab(hour="3", minute="10"))
def snapshot_similar_index():
    similar_matters.save_snapshot()


@db_task()
def build_similar_index():
    similar_matters.save_snapshot()


@HUEY.on_startup()
def build_missing_index():
    """A deployment without a snapshot (new, or restored from backup) gets one from the worker, so
    that no page has to index a large database while someone waits."""
    if similar_matters.snapshot_missing():
        build_similar_index()


@db_task()
def escalate_if_urgent(matter_id):
    escalation.escalate(matter_id)


def on_registered(case_type, pk):
    """A new case has been committed: 急事急报 if a matter reads as urgent."""
    if case_type == "matter":
        escalate_if_urgent(pk)


@db_task()
def recognise_letter(scan_id):
    """OCR of a scanned letter (the engine runs as a subprocess with a time limit)."""
    from . import letters

    return letters.recognise(scan_id).state
