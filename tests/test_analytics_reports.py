"""信访形势分析报告 from the records: the numbers gathered, the command and the download."""

import io
from datetime import date

import pytest
from conftest import Driver, at, sign_in
from django.core.management import CommandError, call_command
from docx import Document
from openpyxl import load_workbook
from test_analytics import october  # noqa: F401  (fixture)

from xinfang.analytics import situation_report, snapshot
from xinfang.analytics.figures import Count, Row
from xinfang.analytics.panels import Period
from xinfang.analytics.situation_report.data import gather


@pytest.mark.parametrize(
    "kind, value, first, last",
    [
        ("monthly", "2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("monthly", "2024-2", date(2024, 2, 1), date(2024, 2, 29)),
        ("quarterly", "2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("quarterly", "2026-q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("annual", "2025", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_report_periods(kind, value, first, last):
    p = situation_report.period_of(kind, value)
    assert (p.first, p.last) == (first, last)


@pytest.mark.parametrize(
    "kind, value",
    [("monthly", "2026-13"), ("monthly", "2026年10月"), ("quarterly", "2026Q5"), ("annual", "25")],
)
def test_bad_report_periods_are_explained(kind, value):
    with pytest.raises(situation_report.ReportError, match="格式不正确"):
        situation_report.period_of(kind, value)


def test_the_monthly_numbers_are_the_dashboards(world, october):  # noqa: F811
    snapshot.refresh()
    data = gather("monthly", Period(date(2026, 10, 1), date(2026, 10, 31)), today=date(2026, 11, 22))
    assert data.area == "全市" and data.issuing_unit == "青溪市信访局"
    assert data.matters == Count(8, previous=1, last_year=2)
    assert data.people == Count(19, previous=1, last_year=2)
    assert data.collective_matters == Count(1, previous=0, last_year=0)
    assert data.repeat_matters.current == 1
    assert {r.name: r.count for r in data.channels} == {"来信": 4, "网上": 2, "来访": 2}
    assert Row("南山区", 2, previous=0, last_year=0) in data.divisions
    assert data.volume[0] == ("10-01", 2) and data.volume_by == "日"
    assert data.top_issues[0].name == "物业管理" and data.top_issues[0].count == 6
    assert data.annual is None


def test_the_annual_report_carries_the_article_41_items(world, october):  # noqa: F811
    """The units complained about count complaints only: the October 检举控告 naming 区住建局 is
    not among them, because whoever reads the report may be the accused."""
    d = Driver(world)
    d.now = at(2026, 10, 15)
    d.register(request_type="complaint", complained_unit=world.units.d2_dept)
    snapshot.refresh()
    data = gather("annual", Period(date(2026, 1, 1), date(2026, 12, 31)), today=date(2026, 11, 22))
    assert data.annual.assigned == 1 and data.annual.forwarded == 0
    assert data.annual.organs == [Row("南山区住房和城乡建设局", 1, previous=0, last_year=0)]


def test_report_command_writes_docx_and_xlsx(world, october, tmp_path):  # noqa: F811
    snapshot.refresh()
    out, xlsx = tmp_path / "r.docx", tmp_path / "r.xlsx"
    call_command("report", "monthly", "--month", "2026-10", "--out", str(out), "--xlsx", str(xlsx))
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "关于2026年10月全市信访形势的分析报告" in text
    assert "8件" in text
    assert load_workbook(xlsx).sheetnames
    with pytest.raises(CommandError, match="请用 --month"):
        call_command("report", "monthly", "--out", str(out))
    with pytest.raises(CommandError, match="格式不正确"):
        call_command("report", "monthly", "--month", "2026/10", "--out", str(out))
    with pytest.raises(CommandError, match=r"\.docx、\.pdf 或 \.xlsx"):
        call_command("report", "monthly", "--month", "2026-10", "--out", str(tmp_path / "r.txt"))


def test_report_download(client, world, october):  # noqa: F811
    snapshot.refresh()
    sign_in(client, "ann")
    response = client.get("/analytics/report/", {"kind": "monthly", "period": "2026-10", "format": "docx"})
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert "2026年10月" in "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    page = client.get("/analytics/report/", {"kind": "annual", "period": "2026-10", "format": "docx"})
    assert "格式不正确" in page.content.decode()
