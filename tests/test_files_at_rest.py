"""Files with personal data are encrypted at rest and decrypted on download: attachments, the list
exports kept for download, the 台账 being imported and its refused rows. An import's messages, kept
on the job, mask the values they quote."""

import io
import zipfile

import pytest
from conftest import PETITIONER, TEST_KEYRING, matter_fields, sign_in
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from xinfang.core import crypto
from xinfang.ledger import jobs
from xinfang.ledger.models import ImportJob
from xinfang.petitions.models import ExportJob
from xinfang.petitions.services import register_matter

LETTER = f"%PDF-1.4 来信人{PETITIONER['name']} 身份证{PETITIONER['id_number']}".encode()


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


def holds_in_clear(raw: bytes) -> bool:
    """Whether the bytes show the petitioner's name, ID number or phone, in a ZIP member too."""
    texts = [raw]
    if raw.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            texts += [archive.read(name) for name in archive.namelist()]
    values = [PETITIONER["name"], PETITIONER["id_number"], PETITIONER["phone"]]
    # openpyxl writes Chinese as XML character references
    values.append("".join(f"&#{ord(c)};" for c in PETITIONER["name"]))
    return any(v.encode() in t for v in values for t in texts)


def test_file_contents_seal_like_field_values_and_detect_tampering():
    sealed = crypto.encrypt_bytes(LETTER, TEST_KEYRING)
    assert sealed.startswith(b"sm4gcm:test1:") and not holds_in_clear(sealed)
    assert crypto.decrypt_bytes(sealed, TEST_KEYRING) == LETTER
    assert crypto.key_id_of_bytes(sealed[:40]) == "test1"
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(crypto.CryptoKeyError, match="篡改"):
        crypto.decrypt_bytes(bytes(tampered), TEST_KEYRING)
    with pytest.raises(crypto.CryptoKeyError):
        crypto.decrypt_bytes(b"sm4gcm:te st:xxxx", TEST_KEYRING)


def test_attachments_are_stored_encrypted_and_download_as_uploaded(client, world):
    matter = register_matter(
        world.alice,
        fields=matter_fields(world),
        petitioners=[dict(PETITIONER)],
        files=[SimpleUploadedFile("来信.pdf", LETTER, content_type="application/pdf")],
    )
    att = matter.attachments.get()
    with open(att.file.path, "rb") as stored:
        raw = stored.read()
    assert crypto.is_encrypted_bytes(raw) and not holds_in_clear(raw)
    sign_in(client, "alice")
    response = client.get(f"/matters/attachments/{att.pk}/")
    assert b"".join(response.streaming_content) == LETTER
    assert int(response["Content-Length"]) == len(LETTER)


def test_a_file_stored_before_encryption_reads_as_it_is_and_reencrypt_seals_it(client, world, settings):
    matter = register_matter(
        world.alice,
        fields=matter_fields(world),
        petitioners=[dict(PETITIONER)],
        files=[SimpleUploadedFile("来信.pdf", LETTER, content_type="application/pdf")],
    )
    att = matter.attachments.get()
    with open(att.file.path, "wb") as legacy:  # as an earlier version stored it
        legacy.write(LETTER)
    sign_in(client, "alice")
    assert b"".join(client.get(f"/matters/attachments/{att.pk}/").streaming_content) == LETTER
    status = io.StringIO()
    call_command("keys", "status", stdout=status)
    assert "（未加密）: 1 个附件文件" in status.getvalue()
    call_command("keys", "reencrypt", stdout=io.StringIO())
    status = io.StringIO()
    call_command("keys", "status", stdout=status)
    assert "test1: 1 个附件文件" in status.getvalue() and "未加密" not in status.getvalue()
    with open(att.file.path, "rb") as stored:
        raw = stored.read()
    assert crypto.is_encrypted_bytes(raw) and not holds_in_clear(raw)
    assert b"".join(client.get(f"/matters/attachments/{att.pk}/").streaming_content) == LETTER


def test_a_background_export_is_kept_encrypted_and_downloads_decrypted(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.XINFANG_EXPORT_INLINE_ROWS = 0
    register_matter(world.alice, fields=matter_fields(world), petitioners=[dict(PETITIONER)])
    sign_in(client, "alice")
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/matters/export/", {"tab": "all"})
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.DONE
    raw = storages["exports"].raw(job.file_name)
    assert crypto.is_encrypted_bytes(raw) and not holds_in_clear(raw)
    content = b"".join(client.get(f"/matters/exports/{job.pk}/download/").streaming_content)
    assert holds_in_clear(content)
    rows = list(load_workbook(io.BytesIO(content)).active.values)
    assert rows[1][4] == PETITIONER["name"] and rows[1][5] == PETITIONER["id_number"]


LEDGER = (
    "信访人,身份证号,电话,信访时间,问题属地,内容分类,信访方式,案情\n"
    f"{PETITIONER['name']},{PETITIONER['id_number']},{PETITIONER['phone']},2026-11-02,东湖街道,"
    "城乡建设／物业管理,来访,电梯停用两个月\n"
    f"{PETITIONER['name']}、王芳,{PETITIONER['id_number']}、11010119900307777X,"
    f"{PETITIONER['phone']}0,2026-11-03,东湖街道,城乡建设／物业管理,来访,楼道灯坏了\n"
)


def test_an_import_keeps_its_upload_and_refused_rows_encrypted_and_masks_its_messages(client, world):
    sign_in(client, "alice")
    upload = SimpleUploadedFile("台账.csv", LEDGER.encode(), content_type="text/csv")
    assert client.post("/ledger/", {"file": upload}).status_code == 302
    job = ImportJob.objects.get()
    assert storages["imports"].listdir("")[1] == [job.stored_name]
    raw = storages["imports"].raw(job.stored_name)
    assert crypto.is_encrypted_bytes(raw) and not holds_in_clear(raw)
    assert PETITIONER["name"] in client.get(f"/ledger/{job.pk}/map/").content.decode()  # the preview

    ImportJob.objects.filter(pk=job.pk).update(mode=ImportJob.Mode.VALID, state=ImportJob.State.QUEUED)
    job = jobs.run(job.pk)
    assert (job.state, job.written, job.error_count) == (ImportJob.State.DONE, 1, 1)
    assert {(c, m) for _, c, m in job.errors} == {
        ("身份证号", "「110***********777X」的格式或校验位不正确"),
        ("电话", "「138*****0000」不是有效的电话号码：手机号为11位，固定电话请带区号"),
    }
    assert storages["imports"].listdir("")[1] == [job.error_file]  # the upload is gone
    raw = storages["imports"].raw(job.error_file)
    assert crypto.is_encrypted_bytes(raw) and not holds_in_clear(raw)
    content = b"".join(client.get(f"/ledger/{job.pk}/errors/").streaming_content)
    rows = list(load_workbook(io.BytesIO(content)).active.values)
    assert rows[1][:3] == (
        f"{PETITIONER['name']}、王芳",
        f"{PETITIONER['id_number']}、11010119900307777X",
        f"{PETITIONER['phone']}0",
    )
    page = client.get(f"/ledger/{job.pk}/").content.decode()
    assert "11010119900307777X" not in page and f"{PETITIONER['phone']}0" not in page


def test_the_import_command_writes_the_refused_rows_beside_the_file(world, tmp_path):
    source = tmp_path / "台账.csv"
    source.write_text(LEDGER, encoding="utf-8")
    with pytest.raises(CommandError, match="一行都没有导入"):
        call_command("import", "matters", str(source), user="alice")
    job = ImportJob.objects.get()
    raw = storages["imports"].raw(job.error_file)
    assert crypto.is_encrypted_bytes(raw)
    beside = tmp_path / "台账-错误行.xlsx"
    rows = list(load_workbook(beside).active.values)
    assert rows[1][1] == f"{PETITIONER['id_number']}、11010119900307777X"
    assert jobs.content_of(job.error_file) == beside.read_bytes()
