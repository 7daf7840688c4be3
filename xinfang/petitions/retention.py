"""Retention: personal data of long-closed matters is removed; the matter, its category, place,
dates, outcome and history stay, so every statistic is unchanged."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction

from xinfang.core import clock

from .choices import TERMINAL_STATUSES
from .models import Attachment, Matter, Petitioner

ANONYMISED_NAME = "（已匿名）"


def anonymise_due(today: date | None = None, *, batch=500) -> int:
    """Anonymise matters closed more than XINFANG_RETENTION_DAYS before `today`; returns the count."""
    today = today or clock.today()
    cutoff = today - timedelta(days=settings.XINFANG_RETENTION_DAYS)
    ids = list(
        Matter.objects.filter(
            status__in=TERMINAL_STATUSES, closed_on__lt=cutoff, personal_data_removed_on__isnull=True
        ).values_list("pk", flat=True)
    )
    for i in range(0, len(ids), batch):
        anonymise(ids[i : i + batch], today)
    return len(ids)


@transaction.atomic
def anonymise(matter_ids, today: date):
    Petitioner.objects.filter(matter_id__in=matter_ids).update(
        name=ANONYMISED_NAME,  # encrypted by the field like any other value
        id_number="",
        phone="",
        address="",
        id_number_hash="",
        phone_hash="",
    )
    files = [a.file for a in Attachment.objects.filter(matter_id__in=matter_ids).exclude(file="")]
    Attachment.objects.filter(matter_id__in=matter_ids).update(file="", name="（已按保存期限删除）")
    Matter.objects.filter(pk__in=matter_ids).update(personal_data_removed_on=today)
    # Files go only once the rows no longer point at them.
    transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
