"""Every path that shows a petitioner's personal data in full writes one audit row: the matter page,
a reveal, the API, list exports and their download, the written notices (staff and portal), the
attachments and the refused rows of an import. A notice with the names masked writes none."""

import html
import io
import re
import zipfile
from datetime import timedelta

import pytest
from conftest import PETITIONER, matter_fields, sign_in
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xinfang.api.models import ApiToken
from xinfang.audit.models import AuditEntry
from xinfang.ledger import jobs
from xinfang.ledger.models import ImportJob
from xinfang.petitions.choices import Status
from xinfang.petitions.models import ExportJob
from xinfang.petitions.services import register_matter

# One row, refused for its 信访方式: the error workbook keeps it as it was.
LEDGER = (
    "信访人,身份证号,电话,信访时间,问题属地,内容分类,信访方式,案情\n"
    f"{PETITIONER['name']},{PETITIONER['id_number']},{PETITIONER['phone']},2026-11-02,东湖街道,"
    "城乡建设／物业管理,飞鸽,电梯停用两个月\n"
)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


@pytest.fixture
def replied(world, driver):
    """A matter with a scanned letter, through to the written reply."""
    letter = SimpleUploadedFile(
        "来信.pdf", f"%PDF-1.4 {PETITIONER['name']}".encode(), content_type="application/pdf"
    )
    matter = register_matter(
        world.alice,
        fields=matter_fields(world, received_at=driver.now),
        petitioners=[dict(PETITIONER)],
        files=[letter],
        now=driver.now,
    )
    for _, action in driver.PATH[1:5]:
        matter = driver.do(matter, action)
    assert matter.status == Status.REPLIED
    return matter


def shown(response) -> str:
    """What a response shows: a page, JSON, or the text of every member of a .docx / .xlsx; with
    XML character references and JSON escapes read as the characters they stand for."""
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
    text = html.unescape(content.decode("utf-8", "replace"))
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def matter_page(client, world, matter, capture):
    sign_in(client, "alice")
    return lambda: client.get(f"/matters/{matter.pk}/"), "read_personal", f"matter:{matter.pk}"


def reveal(client, world, matter, capture):
    sign_in(client, "sam")
    return (
        lambda: client.post(f"/matters/{matter.pk}/reveal/", {"reason": "核实督办事项联系人"}),
        "reveal_personal",
        f"matter:{matter.pk}",
    )


def api_read(client, world, matter, capture):
    _, token = ApiToken.issue(
        name="热线", user=world.alice, scopes=["read"], expires_at=timezone.now() + timedelta(days=1)
    )
    headers = {"Authorization": f"Bearer {token}"}
    return (
        lambda: client.get(f"/api/v1/matters/{matter.pk}", headers=headers),
        "read_personal",
        f"matter:{matter.pk}",
    )


def list_export(client, world, matter, capture):
    sign_in(client, "alice")
    return lambda: client.get("/matters/export/", {"tab": "all"}), "export", "matters"


def export_download(client, world, matter, capture):
    from django.conf import settings

    settings.XINFANG_EXPORT_INLINE_ROWS = 0
    sign_in(client, "alice")
    with capture(execute=True):
        client.get("/matters/export/", {"tab": "all"})
    job = ExportJob.objects.get(state=ExportJob.State.DONE)
    return lambda: client.get(f"/matters/exports/{job.pk}/download/"), "export", f"export:{job.pk}"


def notice(client, world, matter, capture):
    sign_in(client, "alice")
    return (
        lambda: client.get(f"/documents/matters/{matter.pk}/reply.docx"),
        "read_personal",
        f"matter:{matter.pk}",
    )


def portal_notice(client, world, matter, capture):
    client.post("/portal/track/", {"code": matter.display_code, "phone_tail": PETITIONER["phone"][-4:]})
    return (
        lambda: client.get(f"/portal/m/{matter.code}/documents/acceptance.docx"),
        "read_personal",
        f"matter:{matter.pk}",
    )


def attachment(client, world, matter, capture):
    sign_in(client, "bob")
    pk = matter.attachments.get().pk
    return lambda: client.get(f"/matters/attachments/{pk}/"), "read_personal", f"matter:{matter.pk}"


def import_error_rows(client, world, matter, capture):
    job = jobs.new_job(world.alice, LEDGER.encode(), "台账.csv")
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
    job = jobs.run(job.pk)
    assert job.state == ImportJob.State.REJECTED and job.error_file
    sign_in(client, "alice")
    return lambda: client.get(f"/ledger/{job.pk}/errors/"), "export", f"import:{job.pk}"


READS = [
    matter_page,
    reveal,
    api_read,
    list_export,
    export_download,
    notice,
    portal_notice,
    attachment,
    import_error_rows,
]


@pytest.mark.parametrize("path", READS, ids=[f.__name__ for f in READS])
def test_each_full_read_of_personal_data_writes_one_audit_row(
    client, world, replied, path, django_capture_on_commit_callbacks
):
    read, action, target = path(client, world, replied, django_capture_on_commit_callbacks)
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = read()
    assert PETITIONER["name"] in shown(response)
    rows = list(AuditEntry.objects.filter(seq__gt=before))
    assert [(r.action, r.target) for r in rows] == [(action, target)]
    if path is portal_notice:  # the petitioner: no account, the address only
        assert rows[0].user is None and rows[0].ip == "127.0.0.1"
        assert rows[0].detail == {"via": "portal", "document": "acceptance"}
    else:
        assert rows[0].user is not None and rows[0].user.username in {"alice", "bob", "sam"}


def test_a_notice_with_the_names_masked_and_a_missing_notice_write_no_row(client, world, replied):
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    sign_in(client, "sam")  # 督查员: names masked
    text = shown(client.get(f"/documents/matters/{replied.pk}/reply.docx"))
    assert PETITIONER["name"] not in text and PETITIONER["name"][0] + "*" in text
    sign_in(client, "alice")
    assert client.get(f"/documents/matters/{replied.pk}/review.docx").status_code == 404
    assert set(AuditEntry.objects.filter(seq__gt=before).values_list("action", flat=True)) == {"login"}
