"""Scanned letters read by OCR before registration: upload, the worker's recognition with a time
limit, the registrar's corrected text, and the scan handed to the registration as its attachment."""

import time

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404

from xinfang.core import clock
from xinfang.core.params import whole_number
from xinfang.intelligence import ocr
from xinfang.petitions.forms import UploadField

from .models import LetterScan


def upload(user, file) -> LetterScan:
    """Keep a scan (an image or a PDF by its content, within the size limit; ValidationError
    otherwise) and queue its recognition."""
    (file,) = UploadField().clean([file])
    scan = LetterScan.objects.create(
        file=ContentFile(file.read(), name="scan"),
        name=file.name[:200],
        content_type=file.content_type,
        uploaded_by=user,
        uploaded_at=clock.now(),
    )
    from .tasks import recognise_letter

    transaction.on_commit(lambda: recognise_letter(scan.pk))
    return scan


def recognise(scan_id):
    """The worker's job: run the engine on the scan within XINFANG_OCR_TIMEOUT seconds."""
    scan = LetterScan.objects.get(pk=scan_id)
    scan.state = LetterScan.State.RUNNING
    scan.save(update_fields=["state"])
    started = time.monotonic()
    with scan.file.open("rb") as handle:
        data = handle.read()
    try:
        scan.text = ocr.recognise(data, scan.content_type, timeout=settings.XINFANG_OCR_TIMEOUT)
    except ocr.OcrError as exc:
        scan.state, scan.error = LetterScan.State.FAILED, str(exc)[:200]
    else:
        scan.state = LetterScan.State.DONE
    scan.seconds = round(time.monotonic() - started, 2)
    scan.save(update_fields=["state", "text", "error", "seconds"])
    return scan


def own_scan(user, pk) -> LetterScan:
    """A scan its uploader has not registered yet; 404 for anyone else's."""
    number = pk if isinstance(pk, int) else whole_number(pk, minimum=1)
    scan = (
        LetterScan.objects.filter(pk=number, uploaded_by=user, matter__isnull=True).first()
        if number
        else None
    )
    if scan is None:
        raise Http404("没有找到该扫描件，或它已经登记。")
    return scan


def as_attachment(scan) -> SimpleUploadedFile:
    """The scan as an uploaded file for the registration (it is checked by content again there)."""
    with scan.file.open("rb") as handle:
        return SimpleUploadedFile(scan.name, handle.read(), content_type=scan.content_type)
