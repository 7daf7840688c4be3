"""台账 files that would take the server down are refused with the reason: an .xlsx that unpacks to
far more than it weighs (checked from the zip's directory, before any XML is read), more rows than
the limit (from the sheet's dimension when it has one, otherwise by the job's streaming pass), and
the upload request reads only the head of the file. Reading streams: memory does not grow with
the number of rows."""

import tracemalloc
import zipfile

import pytest
from conftest import sign_in
from django.core.files.storage import storages
from test_ledger_import import HEADER, row, write_csv, write_xlsx

from xinfang.core import xlsx
from xinfang.core.tables import FileRefused, Limits, open_table
from xinfang.ledger import jobs
from xinfang.ledger.models import ImportJob
from xinfang.petitions.models import Matter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


def handmade_xlsx(path, sheet_rows, *, dimension=None, repeat=1, prelude=""):
    """A minimal workbook whose sheet holds `sheet_rows` (XML text) `repeat` times, written as a
    stream so that a large sheet costs no memory here."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="台账" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{prelude}<worksheet xmlns="{MAIN}">'.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            block = sheet_rows.encode()
            for _ in range(repeat):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def inline_row(*values):
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>"


def bomb(path, megabytes):
    """Rows of one character repeated: about a thousand to one once deflated."""
    line = inline_row("张三", "电" * 30000) * 10
    return handmade_xlsx(path, line, repeat=megabytes * 1048576 // len(line.encode()))


def upload(client, path):
    with path.open("rb") as f:
        return client.post("/ledger/", {"file": f})


# ---------------------------------------------------------------- unpacked size


def test_a_zip_bomb_is_refused_from_its_directory_before_any_xml_is_read(
    client, world, tmp_path, monkeypatch
):
    path = bomb(tmp_path / "台账.xlsx", 50)
    assert path.stat().st_size < 100 * 1024  # under 100 KB, 50 MB once unpacked
    monkeypatch.setattr(xlsx, "_parser", lambda *a, **k: pytest.fail("XML was parsed"))
    sign_in(client, "alice")
    page = upload(client, path).content.decode()
    assert "文件解压后是原来的" in page and "倍，超过100倍的上限" in page
    assert not ImportJob.objects.exists() and storages["imports"].listdir("") == ([], [])


def test_a_file_that_unpacks_past_the_limit_is_refused(client, world, tmp_path, settings, monkeypatch):
    settings.XINFANG_IMPORT_MAX_UNPACKED_MB = 1
    lines = "".join(inline_row(f"TZ-{i:05d}", f"第{i}号楼电梯停用两个月") for i in range(30000))
    path = handmade_xlsx(tmp_path / "台账.xlsx", lines)
    monkeypatch.setattr(xlsx, "_parser", lambda *a, **k: pytest.fail("XML was parsed"))
    sign_in(client, "alice")
    page = upload(client, path).content.decode()
    assert "文件解压后超过1MB的上限（解压后" in page
    assert not ImportJob.objects.exists()


def test_a_part_that_unpacks_to_more_than_its_directory_says_is_not_read_past_it(tmp_path):
    path = handmade_xlsx(tmp_path / "t.xlsx", inline_row("编号", "案情") + inline_row("A1", "内容") * 5000)
    # lower the sheet's unpacked size in the central directory: the file now lies about it
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    directory = int.from_bytes(data[end + 16 : end + 20], "little")
    entry = data.find(b"xl/worksheets/sheet1.xml", directory) - 46
    assert data[entry : entry + 4] == b"PK\x01\x02"
    data[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(FileRefused):
        table = open_table(path, Limits(max_bytes=10**7, max_unpacked=10**7, max_rows=10**6))
        list(table.rows())


@pytest.mark.parametrize(
    "prelude, sheet_rows, reason",
    [
        (
            '<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]>',
            inline_row("编号", "&a;") + inline_row("1", "2"),
            "DTD",
        ),
        ("", '<row><c r="ZZ1" t="inlineStr"><is><t>x</t></is></c></row>' + inline_row("1"), "超过了列数上限"),
        ("", inline_row("编号", "案情") + inline_row("1", "长" * 40000), "超过32767个字符"),
        ("", inline_row("编号", "案情") + '<row><c t="s"><v>7</v></c></row>', "共享文本"),
    ],
)
def test_sheets_no_spreadsheet_program_writes_are_refused(tmp_path, prelude, sheet_rows, reason):
    path = handmade_xlsx(tmp_path / "t.xlsx", sheet_rows, prelude=prelude)
    with pytest.raises(FileRefused, match=reason):
        table = open_table(path, Limits(max_bytes=10**7, max_unpacked=10**8, max_rows=10**6))
        list(table.rows())


# ---------------------------------------------------------------- rows


def test_a_sheet_claiming_too_many_rows_is_refused_on_upload(client, world, tmp_path, settings):
    settings.XINFANG_IMPORT_MAX_ROWS = 10
    path = handmade_xlsx(
        tmp_path / "t.xlsx", inline_row(*HEADER) + inline_row(*row(1)), dimension="A1:N1000000"
    )
    sign_in(client, "alice")
    assert "行数超过10行的上限。请拆分成几个文件分别导入。" in upload(client, path).content.decode()
    assert not ImportJob.objects.exists()


def run_uploaded(client, path):
    sign_in(client, "alice")
    response = upload(client, path)
    job = ImportJob.objects.get()
    assert response.status_code == 302, response.content.decode()
    job.state = ImportJob.State.QUEUED
    job.save()
    return jobs.run(job.pk)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_rows_past_the_limit_stop_the_job_before_anything_is_written(client, world, tmp_path, settings, kind):
    settings.XINFANG_IMPORT_MAX_ROWS = 10
    rows = [row(i) for i in range(1, 12)]
    path = write_xlsx(tmp_path / "t.xlsx", rows) if kind == "xlsx" else write_csv(tmp_path / "t.csv", rows)
    job = run_uploaded(client, path)
    assert (job.state, job.message) == (
        ImportJob.State.FAILED,
        "行数超过10行的上限。请拆分成几个文件分别导入。",
    )
    assert not Matter.objects.exists() and job.stored_name == ""


def test_rows_up_to_the_limit_import(client, world, tmp_path, settings):
    settings.XINFANG_IMPORT_MAX_ROWS = 10
    job = run_uploaded(client, write_xlsx(tmp_path / "t.xlsx", [row(i) for i in range(1, 11)]))
    assert (job.state, job.total, job.written) == (ImportJob.State.DONE, 10, 10)


def test_the_upload_request_reads_only_the_head_of_the_file(client, world, tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "t.xlsx", [row(i) for i in range(1, 3001)])
    rows_parsed = []
    end = xlsx._Sheet.end

    def counting(self, name):
        if name == "row":
            rows_parsed.append(self.number)
        end(self, name)

    monkeypatch.setattr(xlsx._Sheet, "end", counting)
    sign_in(client, "alice")
    assert upload(client, path).status_code == 302
    job = ImportJob.objects.get()
    assert job.header == HEADER and job.total == 0  # counted by the job, not by the request
    assert max(rows_parsed) < 100  # of 3,000: the XML chunk that holds the header and first rows
    rows_parsed.clear()
    page = client.get(f"/ledger/{job.pk}/map/").content.decode()
    assert "TZ-00003" in page and max(rows_parsed) < 100


# ---------------------------------------------------------------- memory


def peak_while(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_reading_a_file_holds_a_few_rows_at_a_time(tmp_path, kind):
    limits = Limits(max_bytes=10**8, max_unpacked=10**9, max_rows=10**6)
    write = write_xlsx if kind == "xlsx" else write_csv

    def read_all(count):
        path = write(
            tmp_path / f"{count}.{kind}", [row(i, 案情="电梯停用" * 50) for i in range(1, count + 1)]
        )
        table = open_table(path, limits)
        return lambda: sum(1 for _ in table.rows())

    small, large = read_all(1000), read_all(10000)
    assert peak_while(large) < 2 * peak_while(small)


def test_checking_a_large_file_does_not_keep_its_rows(world, tmp_path):
    def check_all(count):
        rows = [row(i) for i in range(1, count)] + [row(count, 信访方式="")]
        path = write_xlsx(tmp_path / f"{count}.xlsx", rows)
        job = jobs.new_job(world.alice, path.read_bytes(), path.name)
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
        return lambda: jobs.run(job.pk)

    small, large = check_all(1000), check_all(5000)
    small_peak, large_peak = peak_while(small), peak_while(large)
    rejected = ImportJob.objects.filter(state=ImportJob.State.REJECTED)
    assert rejected.count() == 2  # all or nothing with a bad last row: every row checked, none written
    # what is kept of a row is its import key (duplicates are found by it), not its cells or fields
    assert (large_peak - small_peak) / 4000 < 400


# ---------------------------------------------------------------- what the reader gives


def test_a_workbook_saved_as_excel_saves_it_reads_as_excel_shows_it(tmp_path):
    from datetime import date, datetime, time

    from openpyxl import Workbook

    book = Workbook()  # not write-only: shared strings and styles, as Excel and WPS write them
    sheet = book.active
    sheet.append(["编号", "信访时间", "电话", "金额", "是否", "时刻"])
    sheet.append(["TZ-1", datetime(2026, 3, 1), 13900000001, 12.5, True, time(14, 30)])
    sheet.append(["TZ-2", datetime(2026, 3, 2, 9, 15), "13900000002", None, False, None])
    sheet.append([])
    sheet["A5"] = "TZ-3"
    sheet["B5"] = date(2026, 3, 3)
    sheet["B5"].number_format = 'yyyy"年"m"月"d"日"'
    sheet["C5"] = "=1+1"  # a formula without a cached value reads as empty, as calamine gave it
    path = tmp_path / "t.xlsx"
    book.save(path)
    table = open_table(path, Limits(max_bytes=10**7, max_unpacked=10**8, max_rows=100))
    assert table.header == ["编号", "信访时间", "电话", "金额", "是否", "时刻"]
    assert list(table.rows()) == [
        (2, ["TZ-1", date(2026, 3, 1), 13900000001.0, 12.5, True, time(14, 30)]),
        (3, ["TZ-2", datetime(2026, 3, 2, 9, 15), "13900000002", "", False]),
        (5, ["TZ-3", date(2026, 3, 3)]),
    ]
    assert table.preview == list(table.rows())


def test_prefixed_elements_and_rows_without_references_are_read(tmp_path):
    sheet = (
        '<x:row><x:c t="inlineStr"><x:is><x:t>编号</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:r><x:t>案</x:t>'
        "</x:r><x:r><x:t>情</x:t></x:r></x:is></x:c></x:row>"
        '<x:row><x:c t="inlineStr"><x:is><x:t>A1</x:t></x:is></x:c><x:c r="C2"><x:v>7</x:v></x:c></x:row>'
    )
    path = tmp_path / "t.xlsx"
    handmade_xlsx(path, "")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp_path / "p.xlsx", "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("sheet1.xml"):
                data = (
                    f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>{sheet}</x:sheetData></x:worksheet>'.encode()
                )
            target.writestr(info, data)
    table = open_table(tmp_path / "p.xlsx", Limits(max_bytes=10**7, max_unpacked=10**8, max_rows=100))
    assert table.header == ["编号", "案情"] and list(table.rows()) == [(2, ["A1", "", 7.0])]
