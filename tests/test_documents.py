"""Written notices of a matter and the 督办单 in the GB/T 9704 layout: page, margins, grid, fonts and
page numbers checked in the .docx itself, contents from the records, and who may download them."""

import io
from datetime import date, timedelta

import pytest
from conftest import PETITIONER, sign_in
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from xinfang.core import clock
from xinfang.documents import notices
from xinfang.petitions.choices import Status
from xinfang.petitions.promises import cn_date
from xinfang.supervision import supervisions

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def opened(response):
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == DOCX
    return Document(io.BytesIO(response.content))


def text_of(doc):
    return "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        cell.text for table in doc.tables for row in table.rows for cell in row.cells
    )


def east_asian_font(run_or_style_element):
    fonts = run_or_style_element.find(qn("w:rPr")).find(qn("w:rFonts"))
    return fonts.get(qn("w:eastAsia"))


def check_layout(doc):
    section = doc.sections[0]

    def mm(emu):  # Word stores lengths in twentieths of a point: compare to 0.1 mm
        return round(emu / 36000, 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210.0, 297.0)
    assert (mm(section.top_margin), mm(section.bottom_margin)) == (37.0, 35.0)
    assert (mm(section.left_margin), mm(section.right_margin)) == (28.0, 26.0)
    # The text block is 156 × 225 mm, gridded 22 lines × 28 characters of 3号 (16 pt).
    assert mm(section.page_width - section.left_margin - section.right_margin) == 156.0
    assert mm(section.page_height - section.top_margin - section.bottom_margin) == 225.0
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert abs(int(grid.get(qn("w:linePitch"))) / 20 * 22 - Mm(225).pt) < 1  # 22 lines fill the block
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16) and east_asian_font(normal.element) == "仿宋_GB2312"
    assert abs(normal.paragraph_format.line_spacing.pt - Mm(225).pt / 22) < 0.05
    title = doc.paragraphs[0].runs[0]
    assert title.font.size == Pt(22) and east_asian_font(title._element) == "方正小标宋简体"
    # Page numbers: "— N —" in 4号宋体, odd pages right, even pages left.
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "RIGHT"), (section.even_page_footer, "LEFT")):
        p = footer.paragraphs[0]
        assert p.alignment.name == align
        assert p._p.find(qn("w:fldSimple")).get(qn("w:instr")) == "PAGE"
        assert all(r.font.size == Pt(14) and east_asian_font(r._element) == "宋体" for r in p.runs)
        assert p.runs[0].text == "— " and p.runs[-1].text == " —"


@pytest.fixture
def closed(driver):
    """A matter through acceptance, extension, reply, review and re-review."""
    matter = driver.to(Status.HANDLING)
    matter = driver.do(matter, "extend")
    for _, action in driver.PATH[3:]:
        matter = driver.do(matter, action)
    assert matter.status == Status.CLOSED
    return matter


def test_every_notice_of_a_matter_renders_as_a_gongwen_from_its_records(client, world, closed):
    kinds = [kind for kind, _ in notices.available(closed)]
    assert kinds == ["acceptance", "extension", "reply", "review", "rereview"]
    sign_in(client, "hope")
    detail = client.get(reverse("petitions:detail", args=[closed.pk])).content.decode()
    texts = {}
    for kind in kinds:
        assert reverse("documents:matter", args=[closed.pk, kind]) in detail
        doc = opened(client.get(reverse("documents:matter", args=[closed.pk, kind])))
        check_layout(doc)
        texts[kind] = text_of(doc)
        assert doc.paragraphs[0].text == notices.KINDS[kind][0]
        assert closed.display_code in texts[kind] and closed.title in texts[kind]
        assert texts[kind].startswith(notices.KINDS[kind][0]) and PETITIONER["name"] + "：" in texts[kind]
    # Each notice names the date its act set, as recorded with the act.
    promised = {
        e.action: cn_date(date.fromisoformat(e.data["due"])) for e in closed.events.all() if "due" in e.data
    }
    assert f"本机关将于{promised['accept']}前办结" in texts["acceptance"]
    assert "延长30日" in texts["extension"] and "需要现场测量" in texts["extension"]
    assert f"本机关将于{promised['extend']}前办结" in texts["extension"]
    assert f"（即{promised['approve_reply']}前）" in texts["reply"]
    assert f"（即{promised['decide_review']}前）" in texts["review"]
    reply = texts["reply"]
    assert "物业公司调价未经业主大会表决" in reply and "《物业管理条例》第七条" in reply
    assert "本机关支持" in reply and f"向{world.units.d1_gov.name}书面申请复查" in reply
    assert "维持" in texts["review"] and f"向{world.units.city_gov.name}请求复核" in texts["review"]
    assert "不再受理" in texts["rereview"]
    # The signature is the unit that decided, on the day it decided.
    decided = closed.events.get(action="approve_reply")
    day = timezone.localdate(decided.at)
    assert f"{world.units.d1_dept.name}\n{day.year}年{day.month}月{day.day}日" in reply


def test_names_are_masked_for_roles_that_see_them_masked_and_missing_notices_are_404(client, world, closed):
    sign_in(client, "sam")  # 督查员: masked personal data
    text = text_of(opened(client.get(reverse("documents:matter", args=[closed.pk, "reply"]))))
    assert PETITIONER["name"] not in text and PETITIONER["name"][0] in text
    assert client.get(reverse("documents:matter", args=[closed.pk, "not_accepted"])).status_code == 404
    assert client.get(reverse("documents:matter", args=[closed.pk, "nonsense"])).status_code == 404
    client.logout()
    sign_in(client, "nora")  # 南山区: the matter is not hers to see
    assert client.get(reverse("documents:matter", args=[closed.pk, "reply"])).status_code == 404


def test_a_not_accepted_notice_states_the_reason(client, world, driver):
    matter = driver.to(Status.NOT_ACCEPTED)
    sign_in(client, "bob")
    text = text_of(opened(client.get(reverse("documents:matter", args=[matter.pk, "not_accepted"]))))
    assert "已经复核终结" in text and "不予受理" in text


def test_the_petitioner_downloads_their_own_notices_in_the_portal(client, world, closed, driver):
    url = reverse("portal:document", args=[closed.code, "reply"])
    assert client.get(url)["Location"] == reverse("portal:track")  # not before the code and phone are checked
    client.post(
        reverse("portal:track"), {"code": closed.display_code, "phone_tail": PETITIONER["phone"][-4:]}
    )
    page = client.get(reverse("portal:matter", args=[closed.code])).content.decode()
    assert url in page
    doc = opened(client.get(url))
    check_layout(doc)
    assert PETITIONER["name"] + "：" in text_of(doc)
    other = driver.to(Status.HANDLING)
    assert client.get(reverse("portal:document", args=[other.code, "acceptance"])).status_code == 302


def test_the_supervision_sheet_downloads_in_the_same_layout(client, world, driver):
    matter = driver.to(Status.HANDLING)
    sup = supervisions.issue(
        world.sam,
        kind="supervise",
        cases=[matter],
        level="red",
        reasons=["overdue"],
        text="请主要负责人亲自督办。",
        due_on=clock.today() + timedelta(days=5),
    )
    sign_in(client, "sam")
    doc = opened(client.get(reverse("documents:supervision", args=[sup.pk])))
    check_layout(doc)
    text = text_of(doc)
    assert doc.paragraphs[0].text == "信访事项督办单" and sup.number in text
    assert "红牌督办" in text and matter.display_code in text and world.units.d1_dept.name in text
