"""Excel export of list views: the filters on screen, masking by role, the audit row, scoping (an
accusation never reaches the accused unit's export), and large exports by the worker."""

from io import BytesIO
from urllib.parse import quote

from conftest import PETITIONER, Driver, sign_in
from openpyxl import load_workbook

from xinfang.audit.models import AuditEntry
from xinfang.petitions.choices import Nature, RequestType, Status
from xinfang.petitions.models import ExportJob


def rows_of(content: bytes):
    sheet = load_workbook(BytesIO(content), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def download(response) -> bytes:
    return b"".join(response.streaming_content)


def test_export_follows_the_filters_and_is_audited(client, world):
    d = Driver(world)
    d.register(title="停车费上涨")
    d.to(Status.DISPATCHED, title="电梯故障")
    sign_in(client, "alice")
    response = client.get("/matters/export/", {"tab": "all", "status": Status.DISPATCHED})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, rows = rows_of(download(response))
    assert header[:5] == ["查询码", "收到时间", "信访方式", "标题", "信访人"]
    assert [r[3] for r in rows] == ["电梯故障"]
    assert rows[0][6] == PETITIONER["phone"]  # a registrar sees full data
    entry = AuditEntry.objects.get(action="export")
    assert entry.user == world.alice and entry.detail["rows"] == 1
    assert entry.detail["filters"]["status"] == Status.DISPATCHED and entry.detail["personal_data"] == "full"


def test_export_masks_personal_data_for_roles_that_see_it_masked(client, world):
    Driver(world).register()
    sign_in(client, "sam")  # 督查员
    _, rows = rows_of(download(client.get("/matters/export/", {"tab": "all"})))
    assert rows[0][4] == "李*" and rows[0][6] == "138****8000"
    assert PETITIONER["id_number"] not in str(rows)
    assert AuditEntry.objects.get(action="export").detail["personal_data"] == "masked"


def test_accusation_never_reaches_the_accused_units_export(client, world):
    d = Driver(world)
    d.do(d.register(title="普通事项"), "assign", unit=world.units.d1_dept)
    accusation = d.register(
        title="检举住建局工作人员",
        nature=Nature.ACCUSATION,
        request_type=RequestType.REPORT,
        complained_unit=world.units.d1_dept,
        division=world.divisions.other_township,
    )
    d.screen(accusation, units=[world.units.d1_dept])
    d.do(accusation, "assign", unit=world.units.discipline)
    sign_in(client, "hank")
    _, rows = rows_of(download(client.get("/matters/export/", {"tab": "all"})))
    assert [r[3] for r in rows] == ["普通事项"]
    sign_in(client, "dora")  # 纪委监委 handles it and sees it
    _, rows = rows_of(download(client.get("/matters/export/", {"tab": "all"})))
    assert [r[3] for r in rows] == ["检举住建局工作人员"]


def test_large_export_runs_in_the_background_for_its_requester_only(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.XINFANG_EXPORT_INLINE_ROWS = 2
    d = Driver(world)
    for i in range(3):
        d.register(title=f"事项{i}")
    sign_in(client, "alice")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/matters/export/", {"tab": "all"})
    job = ExportJob.objects.get()
    assert response["Location"] == f"/matters/exports/{job.pk}/"
    assert job.state == ExportJob.State.DONE and job.done == 3
    page = client.get(response["Location"]).content.decode()
    assert "已完成" in page and "下载表格文件" in page
    _, rows = rows_of(download(client.get(f"/matters/exports/{job.pk}/download/")))
    assert sorted(r[3] for r in rows) == ["事项0", "事项1", "事项2"]
    # Asking for the export and downloading the file are both audited.
    audited = AuditEntry.objects.filter(action="export").order_by("seq")
    assert [(e.target, e.detail.get("download", False)) for e in audited] == [
        (f"export:{job.pk}", False),
        (f"export:{job.pk}", True),
    ]
    sign_in(client, "bob")  # same bureau, but not the one who asked
    assert client.get(f"/matters/exports/{job.pk}/download/").status_code == 404

    # A day later the file, which holds personal data, is gone.
    from datetime import timedelta

    from django.utils import timezone

    from xinfang.petitions.export import remove_old_files

    assert remove_old_files(now=timezone.now() + timedelta(hours=23)) == 0
    assert remove_old_files(now=timezone.now() + timedelta(hours=25)) == 1
    sign_in(client, "alice")
    response = client.get(f"/matters/exports/{job.pk}/download/")
    assert response.status_code == 404


def test_search_words_are_kept_out_of_the_audit_log_and_stored_encrypted(client, world, settings):
    """A search by a petitioner's name must not end up in the audit log (which can never be edited)
    nor in clear in a background export's saved query."""
    from django.db import connection

    d = Driver(world)
    d.register(title="停车费上涨")
    sign_in(client, "alice")
    client.get("/matters/export/", {"tab": "all", "q": PETITIONER["name"]})
    entry = AuditEntry.objects.get(action="export")
    assert (
        PETITIONER["name"] not in str(entry.detail) and entry.detail["filters"]["q"] == "（已输入，不记录）"
    )
    settings.XINFANG_EXPORT_INLINE_ROWS = -1  # even an empty list goes to the worker
    client.get("/matters/export/", {"tab": "all", "q": PETITIONER["name"]})
    job = ExportJob.objects.get()
    encoded = quote(PETITIONER["name"])
    assert encoded in job.query  # read back through the field
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM petitions_exportjob WHERE id = %s", [job.pk])
        stored = cursor.fetchone()[0]
    assert encoded not in stored and "q=" not in stored


def test_attachment_paths_do_not_carry_the_tracking_code(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xinfang.petitions.services import register_matter

    d = Driver(world)
    from conftest import matter_fields

    matter = register_matter(
        world.alice,
        fields=matter_fields(world, received_at=d.now),
        petitioners=[dict(PETITIONER)],
        files=[SimpleUploadedFile("来信.pdf", b"%PDF-1.4 letter", content_type="application/pdf")],
        now=d.now,
    )
    assert matter.code not in matter.attachments.get().file.name
