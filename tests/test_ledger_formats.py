"""台账 files as people have them: .xls (Excel 97–2003, written here with xlwt), .et (WPS 表格,
which keeps Excel 97–2003's compound-file layout: the same bytes under WPS's name) and .ods (written
with odfpy) import with the same checks, mapping and errors as .xlsx; they are read by the worker in a
bounded child process (xinfang/core/sheets.py), never in the web request."""

import io
import zipfile
from datetime import date, datetime

import pytest
import xlwt
from conftest import sign_in
from django.core.files.storage import storages
from django.utils import timezone
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from test_ledger_import import HEADER, row, write_xlsx

from xinfang.core import sheets
from xinfang.core.tables import FileRefused, Limits, kind_of, open_table
from xinfang.ledger import jobs
from xinfang.ledger.models import ImportJob
from xinfang.petitions.models import Matter

LIMITS = Limits(max_bytes=10**6, max_unpacked=10**7, max_rows=1000)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


def xls_bytes(rows, header=HEADER) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    day = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, title in enumerate(header):
        sheet.write(0, c, title)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            sheet.write(r, c, value, day if isinstance(value, date | datetime) else xlwt.Style.default_style)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods_bytes(rows, header=HEADER, *, repeat_last=1) -> bytes:
    doc = OpenDocumentSpreadsheet()
    table = Table(name="台账")
    for i, values in enumerate([header, *rows]):
        tr = TableRow(numberrowsrepeated=repeat_last) if i == len(rows) and repeat_last > 1 else TableRow()
        for value in values:
            if isinstance(value, date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.isoformat()))
            elif isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


FORMATS = {
    "xls": lambda rows: ("台账.xls", xls_bytes(rows)),
    "et": lambda rows: ("台账.et", xls_bytes(rows)),
    "ods": lambda rows: ("台账.ods", ods_bytes(rows)),
}
ROWS = [row(1), row(2, 信访时间=date(2026, 11, 3)), row(3, 信访时间="2026-13-45")]


def import_in_worker(user, name, content, mode=ImportJob.Mode.VALID) -> ImportJob:
    """What the pages and the worker do: keep the upload (no header read), the worker reads the
    header, the guessed mapping is taken, the job runs."""
    job = jobs.new_job(user, content, name)
    assert job.header == [] and jobs.reading(job)  # the request read nothing of the sheet
    job = jobs.read_header(job.pk)
    job.mode, job.state = mode, ImportJob.State.QUEUED
    job.save()
    return jobs.run(job.pk)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_imports_like_the_same_rows_in_xlsx(world, tmp_path, fmt):
    name, content = FORMATS[fmt](ROWS)
    job = import_in_worker(world.alice, name, content)
    reference = jobs.new_job(world.alice, write_xlsx(tmp_path / "同样.xlsx", ROWS).read_bytes(), "同样.xlsx")
    assert job.header == HEADER == reference.header and job.mapping == reference.mapping
    assert (job.written, job.error_count) == (2, 1)
    assert [tuple(e) for e in job.errors] == [(4, "信访时间", job.errors[0][2])]
    assert "2026-13-45" in job.errors[0][2] or "日期" in job.errors[0][2]
    second = Matter.objects.get(ledger_number="TZ-00002")
    assert timezone.localdate(second.received_at) == date(2026, 11, 3)  # a date cell, read as a date
    assert second.division == world.divisions.township and str(second.category) == "城乡建设／物业管理"
    assert Matter.objects.get(ledger_number="TZ-00001").petitioners.get().phone == "13900000001"


def test_the_same_errors_as_xlsx(world, tmp_path):
    bad = [row(1, 身份证号="123", 问题属地="火星")]
    from_xls = import_in_worker(world.alice, "错.xls", xls_bytes(bad), mode=ImportJob.Mode.ALL)
    reference = jobs.new_job(world.alice, write_xlsx(tmp_path / "错.xlsx", bad).read_bytes(), "错.xlsx")
    reference.state = ImportJob.State.QUEUED
    reference.save()
    from_xlsx = jobs.run(reference.pk)
    assert from_xls.state == from_xlsx.state == ImportJob.State.REJECTED
    assert from_xls.errors == from_xlsx.errors and len(from_xls.errors) == 2


def test_the_kinds_are_told_by_content(tmp_path):
    assert kind_of(xls_bytes(ROWS), LIMITS) == "xls"
    assert kind_of(ods_bytes(ROWS), LIMITS) == "ods"
    assert kind_of(write_xlsx(tmp_path / "a.xlsx", ROWS).read_bytes(), LIMITS) == "xlsx"
    assert open_table(ods_bytes(ROWS), LIMITS).encoding == "OpenDocument 表格（.ods）"


def test_the_upload_page_leaves_the_reading_to_the_worker(client, world, django_capture_on_commit_callbacks):
    sign_in(client, "alice")
    upload = io.BytesIO(ods_bytes(ROWS))
    upload.name = "街道台账.ods"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post("/ledger/", {"file": upload})
    job = ImportJob.objects.get()
    assert job.header == [] and len(queued) == 1  # the header is read after commit, by the worker
    assert client.get(response.url).url == f"/ledger/{job.pk}/"  # mapping waits for the header
    assert "正在读取文件" in client.get(f"/ledger/{job.pk}/").content.decode()
    queued[0]()  # the worker's task (huey runs inline in the tests)
    job.refresh_from_db()
    assert job.header == HEADER
    assert "核对列对应" in client.get(f"/ledger/{job.pk}/").content.decode()
    assert "内容分类" in client.get(f"/ledger/{job.pk}/map/").content.decode()


def test_too_many_rows_or_columns_are_refused_before_any_row_is_read(world, settings):
    settings.XINFANG_IMPORT_MAX_ROWS = 5
    job = jobs.read_header(jobs.new_job(world.alice, xls_bytes([row(i) for i in range(1, 9)]), "多.xls").pk)
    assert job.state == ImportJob.State.FAILED and "行数超过5行的上限" in job.message
    # an .ods whose last row is repeated a million times (a few KB on disk): calamine spreads it
    # out, and the reader's memory limit stops it
    job = jobs.read_header(
        jobs.new_job(world.alice, ods_bytes([row(1)], repeat_last=1_000_000), "重复.ods").pk
    )
    assert job.state == ImportJob.State.FAILED and (
        "行数超过" in job.message or "内存或时间上限" in job.message
    )
    wide = [[*row(1), *["多余"] * 600]]
    job = jobs.read_header(jobs.new_job(world.alice, ods_bytes(wide, [*HEADER, *["x"] * 600]), "宽.ods").pk)
    assert job.state == ImportJob.State.FAILED and "列数上限" in job.message


def test_an_ods_zip_bomb_is_refused_in_the_request(world):
    content = ods_bytes(ROWS)
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "content.xml":
                data = data.replace(b"</office:body>", b"<!--" + b" " * 20_000_000 + b"--></office:body>")
            out.writestr(
                info, data, compress_type=zipfile.ZIP_STORED if info.filename == "mimetype" else None
            )
    with pytest.raises(FileRefused, match="倍"):
        jobs.new_job(world.alice, bomb.getvalue(), "炸弹.ods")
    assert storages["imports"].listdir("") == ([], [])


def test_a_broken_or_foreign_compound_file_fails_in_the_worker_with_the_reason(world):
    job = jobs.new_job(world.alice, sheets.OLE_MAGIC + bytes(2000), "坏.xls")
    job = jobs.read_header(job.pk)
    assert job.state == ImportJob.State.FAILED and "另存为 .xlsx" in job.message


def test_the_reader_stays_within_its_memory_limit():
    book = xlwt.Workbook()
    sheet = book.add_sheet("远")
    sheet.write(0, 0, "编号")
    sheet.write(65535, 255, "一个很远的单元格")  # a sheet of 65,536 × 256 cells, in 6 KB
    far = io.BytesIO()
    book.save(far)
    with pytest.raises(sheets.Refused, match="内存或时间上限"):
        list(sheets.rows(far.getvalue(), max_rows=100, max_columns=500, memory_mb=200))
    height, *rows = list(sheets.rows(xls_bytes(ROWS), max_rows=100, max_columns=500))
    assert height == 4 and rows[0] == (1, HEADER) and rows[2][1][5] == date(2026, 11, 3)


def test_the_command_line_reads_an_ods_itself(world, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "台账.ods"
    path.write_bytes(ods_bytes([row(1), row(2)]))
    call_command("import", "matters", str(path), "--user", "alice")
    assert Matter.objects.filter(ledger_number__in=["TZ-00001", "TZ-00002"]).count() == 2
