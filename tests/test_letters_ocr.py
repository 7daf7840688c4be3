"""Scanned letters: the real OCR engine (Tesseract, simplified Chinese) reads a letter typeset and
degraded like a scan, in the worker with a time limit; the registrar corrects the text beside the
scan and registers it, the scan becoming the matter's attachment."""

import io

import pytest
from conftest import sign_in
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from benchmarks.bench_ocr import FONTS, LETTERS, scanned
from xinfang.assist.models import LetterScan
from xinfang.intelligence import ocr
from xinfang.petitions.models import Attachment, Matter

pytestmark = pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr is installed by scripts/setup.sh")

FONT = FONTS["宋体（Noto Serif CJK）"]


def test_the_engine_reads_a_scanned_chinese_letter():
    found = ocr.recognise(scanned(LETTERS[1], FONT, seed=2), "image/png", timeout=120)
    assert ocr.character_accuracy(LETTERS[1], found) >= 0.9
    assert "拖欠" in found and " " not in found.replace("\n", "")  # no spaces between characters


def test_a_pdf_scan_is_read_page_by_page():
    page = Image.open(io.BytesIO(scanned(LETTERS[2], FONT, seed=3)))
    pdf = io.BytesIO()
    page.save(pdf, "PDF", resolution=150)
    found = ocr.recognise(pdf.getvalue(), "application/pdf", timeout=120)
    assert ocr.character_accuracy(LETTERS[2], found) >= 0.85


def test_the_engine_is_stopped_at_its_time_limit():
    with pytest.raises(ocr.OcrError, match="超时"):
        ocr.recognise(scanned(LETTERS[0], FONT), "image/png", timeout=0.05)


def test_the_registrar_corrects_the_text_beside_the_scan_and_registers_it(
    client, world, django_capture_on_commit_callbacks
):
    sign_in(client, "alice")
    image = scanned(LETTERS[0], FONT, seed=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assist:letter_new"), {"scan": SimpleUploadedFile("来信.png", image)})
    scan = LetterScan.objects.get()
    assert response["Location"] == reverse("assist:letter", kwargs={"pk": scan.pk})
    assert scan.state == "done" and ocr.character_accuracy(LETTERS[0], scan.text) >= 0.85  # the worker ran
    page = client.get(response["Location"]).content.decode()
    assert reverse("assist:letter_file", kwargs={"pk": scan.pk}) in page and "湖滨社区" in page
    assert client.get(reverse("assist:letter_file", kwargs={"pk": scan.pk})).status_code == 200
    corrected = "".join(LETTERS[0].split())
    response = client.post(response["Location"], {"text": corrected})
    form_page = client.get(response["Location"])
    assert form_page.context["form"].initial["content"] == corrected
    # The intake panel reads it as any other text (here: the place it names).
    panel = client.post(reverse("assist:intake"), {"title": "物业擅自提高停车费", "content": corrected})
    assert panel.context["place_division"] == world.divisions.village
    sign_in(client, "bob")  # nobody else sees another's scan
    assert client.get(reverse("assist:letter", kwargs={"pk": scan.pk})).status_code == 404
    sign_in(client, "alice")
    data = {
        "letter": scan.pk,
        "channel": "letter",
        "received_at": "2026-11-23T09:30",
        "title": "物业擅自提高停车费",
        "content": corrected,
        "nature": "appeal",
        "request_type": "complaint",
        "division": world.divisions.village.pk,
        "category": world.category.pk,
        "headcount": "1",
        "p-TOTAL_FORMS": "1",
        "p-INITIAL_FORMS": "0",
        "p-0-name": "李明",
    }
    assert client.post(reverse("petitions:register"), data).status_code == 302
    matter = Matter.objects.get()
    scan.refresh_from_db()
    assert scan.matter == matter and matter.content == corrected
    assert Attachment.objects.get(matter=matter).name == "来信.png"


def test_a_file_that_is_no_scan_is_refused(client, world):
    sign_in(client, "alice")
    page = client.post(reverse("assist:letter_new"), {"scan": SimpleUploadedFile("来信.txt", b"hello")})
    assert "不是图片或PDF文件" in page.content.decode() and not LetterScan.objects.exists()


def test_the_engines_spacing_and_ascii_marks_are_tidied():
    assert (
        ocr.tidy("尊 敬 的 领 导 :\n  \n我 是 3 栋 居 民 , 请 帮 忙 !")
        == "尊敬的领导：\n我是3栋居民，请帮忙！"
    )
    assert ocr.tidy("room 3, floor 2") == "room 3, floor 2"  # Latin text keeps its own marks
