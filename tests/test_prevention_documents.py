"""The prevention ledgers' 公文 in the GB/T 9704 layout, checked in the .docx (as tests/
test_documents.py checks the notices of a matter) with their content from the records: the
隐患整改通知书, the 挂牌督办公告, the quarterly summary; and the notice through LibreOffice to PDF."""

import io
import subprocess
from datetime import date

import pytest
from conftest import sign_in
from django.urls import reverse
from docx import Document
from prevention import HazardDriver, enterprises
from test_documents import check_layout, text_of
from test_reports import needs_libreoffice

from xinfang.documents import convert
from xinfang.hazards import services
from xinfang.hazards.choices import Level


def opened(response):
    assert response.status_code == 200, response.content[:200]
    return Document(io.BytesIO(response.content))


@pytest.fixture
def major(world):
    e = enterprises(world)
    d = HazardDriver(world)
    h = d.register(e.chem, level=Level.MAJOR, title="液氯储罐区无泄漏报警装置", location="液氯储罐区")
    h = d.do(
        h,
        "notify",
        requirements="立即停用液氯储罐区。\n设置有毒气体泄漏报警装置。",
        stoppage="partial",
        stoppage_scope="液氯储罐区",
    )
    services.list_for_supervision(
        h.pk, world.sam, requirement="一个月内完成治理。", due_on=date(2026, 12, 31), now=d.now
    )
    return h


def test_the_rectification_notice_is_a_gongwen_of_the_notice_given(client, world, major):
    sign_in(client, "hank")
    doc = opened(client.get(reverse("hazards:notice", args=[major.pk])))
    check_layout(doc)
    text = text_of(doc)
    assert doc.paragraphs[0].text == "隐患整改通知书" and major.display_code in text
    assert "青溪湖滨化工有限公司：" in text
    assert "液氯储罐区存在以下危化品类重大隐患" in text
    assert "设置有毒气体泄漏报警装置。" in text
    assert "于2026年11月18日前制定并报送隐患治理方案" in text and "“五落实”" in text  # 15 days from 11月3日
    assert "局部停产停业（范围：液氯储罐区）" in text
    assert f"{world.units.d1_dept.name}\n2026年11月3日" in text


def test_the_listing_is_published_as_a_gongwen(client, world, major):
    sign_in(client, "sam")
    doc = opened(client.get(reverse("hazards:listing", args=[major.pk])))
    check_layout(doc)
    text = text_of(doc)
    assert doc.paragraphs[0].text == "重大事故隐患挂牌督办公告"
    assert "青溪市人民政府决定对下列重大事故隐患实行市级挂牌督办" in text
    assert "液氯储罐区无泄漏报警装置" in text and "于2026年12月31日前完成治理" in text
    assert "一个月内完成治理。" in text


def test_the_quarterly_summary_has_the_layout_of_the_other_gongwen(client, world, major):
    sign_in(client, "sam")
    doc = opened(client.get(reverse("hazards:summary"), {"kind": "quarterly", "period": "2026Q4"}))
    check_layout(doc)
    assert [t.rows[0].cells[0].text for t in doc.tables] == ["单位", "行业", "隐患编号"]
    assert doc.tables[0].rows[1].cells[0].text == world.units.d1_dept.name


def test_a_notice_converts_to_pdf_with_its_text(client, world, major):
    needs_libreoffice()
    sign_in(client, "hank")
    pdf = convert.to_pdf(client.get(reverse("hazards:notice", args=[major.pk])).content)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    flat = "".join(text.split())
    assert "隐患整改通知书" in flat and "液氯储罐区" in flat and "—1—" in flat
    assert b"NotoSerifCJK" in pdf
