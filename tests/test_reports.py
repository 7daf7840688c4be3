"""信访形势分析报告 from hand-built figures: the 公文 layout checked in the .docx itself, the
narrative's numbers against shares and changes worked out by hand, zero and missing bases, the
annual art. 41 attachment, the workbook, and one real PDF through LibreOffice."""

import io
import os
import re
import struct
import subprocess
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import load_workbook

from xinfang.analytics.figures import Count, Issue, OpenMatter, Row
from xinfang.analytics.situation_report import wording
from xinfang.analytics.situation_report.docx import render_report
from xinfang.analytics.situation_report.figures import Alert, AnnualItems, Proposal, ReportData
from xinfang.analytics.situation_report.narrative import narrative
from xinfang.analytics.situation_report.xlsx import render_tables_xlsx
from xinfang.documents import charts, convert
from xinfang.documents.gongwen import Gongwen

# --------------------------------------------------------------------------- figures by hand

# October 2026, one count per day: a quiet National Day week, then weekdays and weekends.
OCTOBER = [14, 12, 10, 11, 13, 15, 16] + [60, 57, 21, 18] + [64, 59, 58, 60, 56, 22, 19]
OCTOBER += [62, 58, 57, 55, 57, 21, 19] + [61, 56, 55, 54, 57]
OCTOBER.append(1234 - sum(OCTOBER))
assert len(OCTOBER) == 31 and OCTOBER[-1] > 0


def monthly(**changes) -> ReportData:
    """A month of a mid-sized city: 1,234 matters, against 1,292 last month and 1,099 a year ago."""
    fields = dict(
        kind="monthly",
        period_label="2026年10月",
        first_day=date(2026, 10, 1),
        last_day=date(2026, 10, 31),
        issuing_unit="青溪市信访局",
        issued_on=date(2026, 11, 5),
        addressee="市委、市政府",
        matters=Count(1234, previous=1292, last_year=1099),
        people=Count(1456, previous=1503, last_year=1380),
        volume=[(f"10月{d}日", n) for d, n in enumerate(OCTOBER, 1)],
        channels=[
            Row("网上", 812, 850, 690),
            Row("来访", 236, 240, 250),
            Row("来信", 120, 130, 101),
            Row("电话", 48, 52, 45),
            Row("上级转送", 18, 20, 13),
        ],
        natures=[
            Row("申诉求决", 930, 960, 820),
            Row("建议意见", 190, 200, 170),
            Row("检举控告", 114, 132, 109),
        ],
        categories=[
            Row("城乡建设", 312, 330, 264),
            Row("劳动社会保障", 198, 205, 205),
            Row("农业农村", 156, 160, 150),
            Row("国土资源", 142, 150, 118),
            Row("卫生健康", 95, 99, 101),
            Row("教育", 88, 90, 60),
            Row("交通运输", 76, 80, 70),
            Row("纪检监察", 61, 70, None),
            Row("其他", 106, 108, 95),
        ],
        divisions=[
            Row("东城区", 402, 420, 330),
            Row("西城区", 318, 330, 320),
            Row("南山区", 260, 270, 240),
            Row("北湖县", 150, 160, 140),
            Row("市本级", 104, 112, 69),
        ],
        handling_units=[
            Row("东城区住建局", 156, 160, 120),
            Row("市人社局", 140, 150, 150),
            Row("西城区住建局", 110, 115, 100),
            Row("市自然资源局", 98, 100, 80),
            Row("南山区农业农村局", 90, 92, 85),
            Row("市卫健委", 70, 75, 72),
            Row("北湖县人社局", 44, 40, 30),
        ],
        top_issues=[
            Issue(
                "物业管理", "城乡建设", 96, 70, ("湖滨小区物业费未经业主大会表决上调", "西岭花园电梯长期停运")
            ),
            Issue("拖欠工资", "劳动社会保障", 88, 91, ("某建筑工地拖欠农民工工资",)),
            Issue("征地补偿", "国土资源", 64, 50),
        ],
        collective_matters=Count(23, last_year=18),
        collective_people=Count(412, last_year=350),
        repeat_matters=Count(87, last_year=95),
        accepted_on_time_rate=0.985,
        answered_on_time_rate=0.952,
        rated_rate=0.803,
        satisfaction_rate=0.876,
        overdue_open=7,
        longest_open=[
            OpenMatter("QX2607-0012", "老旧小区加装电梯补贴未兑现", "东城区住建局", 96),
            OpenMatter("QX2607-0188", "征地补偿款分配争议", "南山区农业农村局", 88),
            OpenMatter("QX2608-0031", "工伤认定久拖不决", "市人社局", 71),
        ],
        alerts=[
            Alert("红色", "东城区湖滨小区物业纠纷10日内集体访3批次"),
            Alert("红色", "北湖县某企业欠薪涉及职工120人"),
            Alert("橙色", "西城区征地补偿重复信访上升"),
        ],
    )
    fields.update(changes)
    return ReportData(**fields)


def annual(**changes) -> ReportData:
    fields = dict(
        kind="annual",
        period_label="2026年",
        first_day=date(2026, 1, 1),
        last_day=date(2026, 12, 31),
        issued_on=date(2027, 1, 20),
        matters=Count(14321, last_year=13880),
        people=Count(17002, last_year=16890),
        volume=[
            (f"{m}月", n)
            for m, n in enumerate([980, 1010, 1190, 1205, 1260, 1188, 1302, 1240, 1199, 1234, 1251, 1262], 1)
        ],
        volume_by="月",
        annual=AnnualItems(
            organs=[
                Row("东城区住建局", 1380, last_year=1200),
                Row("市人社局", 1222, last_year=1310),
                Row("南山区自然资源分局", 640, last_year=640),
            ],
            forwarded=9120,
            assigned=2310,
            supervised=186,
            supervision_answered=30,
            supervision_closed=140,
            supervision_escalated=6,
            proposals=[Proposal("完善物业服务收费监管办法", True), Proposal("建立欠薪预警机制", None)],
        ),
    )
    fields.update(changes)
    return monthly(**fields)


def opened(data) -> Document:
    return Document(io.BytesIO(render_report(data)))


def text_of(doc):
    return "\n".join(p.text for p in doc.paragraphs)


def east_asian_font(element):
    return element.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia"))


def paragraph(doc, text):
    """The one paragraph whose text is `text`."""
    found = [p for p in doc.paragraphs if p.text == text]
    assert len(found) == 1, (text, [p.text for p in doc.paragraphs][:40])
    return found[0]


def narrative_text(data):
    return "\n".join(h + "\n" + "\n".join(ps) for h, ps in narrative(data))


def table_after(doc, title):
    """The table that follows the paragraph `title` (表N　…) in the body."""
    body = list(doc.element.body.iterchildren())
    for i, el in enumerate(body):
        if el.tag == qn("w:p") and "".join(t.text or "" for t in el.iter(qn("w:t"))) == title:
            nxt = body[i + 1]
            assert nxt.tag == qn("w:tbl"), title
            return next(t for t in doc.tables if t._tbl is nxt)
    raise AssertionError(f"no table titled {title}")


def cells(table):
    return [[c.text for c in row.cells] for row in table.rows]


# ------------------------------------------------------------------------------------ layout


def test_the_report_is_a_gongwen_a4_with_the_standard_margins_grid_fonts_and_page_numbers():
    doc = opened(monthly())
    section = doc.sections[0]

    def mm(length):
        return round(length / 36000, 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210.0, 297.0)
    assert (
        mm(section.top_margin),
        mm(section.bottom_margin),
        mm(section.left_margin),
        mm(section.right_margin),
    ) == (
        37.0,
        35.0,
        28.0,
        26.0,
    )
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    pitch = int(grid.get(qn("w:linePitch"))) / 20  # pt per line
    assert pitch * 22 <= Mm(225).pt < pitch * 23 and abs(pitch * 22 - Mm(225).pt) < 1  # 22 lines fit
    # 28 characters of 16 pt plus the grid's extra spacing (1/4096 pt) fill the 156 mm line.
    char_pitch = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    assert round(Mm(156).pt / char_pitch) == 28 and abs(char_pitch * 28 - Mm(156).pt) < 1

    title = doc.paragraphs[0]
    assert title.text == "关于2026年10月全市信访形势的分析报告"
    assert title.alignment.name == "CENTER"
    assert title.runs[0].font.size == Pt(22) and east_asian_font(title.runs[0]._element) == "方正小标宋简体"
    assert title.runs[0].font.color.rgb is None  # black, not red: a report is not a 红头 document
    assert paragraph(doc, "市委、市政府：").paragraph_format.first_line_indent is None
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16) and east_asian_font(normal.element) == "仿宋_GB2312"

    body = next(p for p in doc.paragraphs if p.text.startswith("2026年10月，全市信访部门"))
    assert body.paragraph_format.first_line_indent == Pt(32)  # two characters of 3号
    assert body.runs[0].font.size == Pt(16) and east_asian_font(body.runs[0]._element) == "仿宋_GB2312"
    for text, font in (
        ("一、总体情况", "黑体"),
        ("五、下一步工作建议", "黑体"),
        ("（一）按信访方式", "楷体_GB2312"),
    ):
        run = paragraph(doc, text).runs[0]
        assert run.font.size == Pt(16) and east_asian_font(run._element) == font, text

    assert doc.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "RIGHT"), (section.even_page_footer, "LEFT")):
        p = footer.paragraphs[0]
        assert p.alignment.name == align
        assert p._p.find(qn("w:fldSimple")).get(qn("w:instr")) == "PAGE"
        assert p.runs[0].text == "— " and p.runs[-1].text == " —"
        assert all(r.font.size == Pt(14) and east_asian_font(r._element) == "宋体" for r in p.runs)

    # 署名 and 成文日期 close the report, right-aligned.
    texts = [p.text for p in doc.paragraphs]
    assert texts[-2:] == ["青溪市信访局", "2026年11月5日"]
    assert doc.paragraphs[-1].alignment.name == "RIGHT"


def test_the_sections_are_numbered_in_order_and_skip_what_has_no_rows():
    headings = [h for h, _ in narrative(monthly())]
    assert headings == [
        "一、总体情况",
        "二、主要特点",
        "（一）按信访方式",
        "（二）按内容分类",
        "（三）按属地",
        "（四）按承办单位",
        "（五）按信访性质",
        "（六）集体访和重复信访",
        "三、办理质效",
        "四、预警与风险",
        "五、下一步工作建议",
    ]
    # A county report without divisions: the numbering closes up.
    headings = [h for h, _ in narrative(monthly(divisions=[], natures=[]))]
    assert headings[2:7] == [
        "（一）按信访方式",
        "（二）按内容分类",
        "（三）按承办单位",
        "（四）集体访和重复信访",
        "三、办理质效",
    ]


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_charts_are_embedded_no_wider_than_the_text_block_with_numbered_captions():
    doc = opened(monthly())
    shapes = doc.inline_shapes
    assert len(shapes) == 3  # volume line, channel bars, category bars
    for shape in shapes:
        assert 0 < shape.width <= Mm(156)
        assert shape.height < Mm(225)
    for rel in doc.part.rels.values():
        if "image" in rel.reltype:
            width, height = png_size(rel.target_part.blob)
            assert width >= 1000 and height > 200  # 200 dpi at ~150 mm: sharp in print
    texts = [p.text for p in doc.paragraphs]
    assert "图1\u30002026年10月信访事项收到量走势（按日）" in texts
    assert "图2\u3000信访方式分布" in texts
    assert "图3\u3000主要内容分类信访量同比" in texts
    # Each picture sits in its own centred paragraph that leaves the exact-height grid (not clipped).
    for p in doc.paragraphs:
        if p._p.xpath(".//w:drawing"):
            assert p.alignment.name == "CENTER"
            assert p.paragraph_format.line_spacing == 1.0


def test_the_tables_hold_the_figures_numbered_with_numbers_right_aligned():
    doc = opened(monthly())
    summary = cells(table_after(doc, "表1\u30002026年10月信访总体情况"))
    assert summary[0] == ["指标", "本期", "上月", "环比", "去年同期", "同比"]
    assert summary[1] == ["信访事项（件）", "1,234", "1,292", "-4.5%", "1,099", "+12.3%"]
    assert summary[2] == ["信访人次", "1,456", "1,503", "-3.1%", "1,380", "+5.5%"]
    assert summary[3] == ["集体访（件）", "23", "—", "—", "18", "+27.8%"]
    channels = table_after(doc, "表2\u3000按信访方式统计")
    assert cells(channels)[1] == ["网上", "812", "65.8%", "850", "-4.5%", "690", "+17.7%"]
    assert [c.paragraphs[0].alignment.name for c in channels.rows[1].cells[1:]] == ["RIGHT"] * 6
    assert channels.rows[1].cells[0].paragraphs[0].alignment is None
    categories = cells(table_after(doc, "表3\u3000按内容分类统计"))
    assert [r[0] for r in categories[1:4]] == ["城乡建设", "劳动社会保障", "农业农村"]  # ranked
    assert categories[1][1:] == ["312", "25.3%", "330", "-5.5%", "264", "+18.2%"]
    assert ["纪检监察", "61", "4.9%", "70", "-12.9%", "—", "—"] in categories
    assert cells(table_after(doc, "表4\u3000按属地统计"))[1] == [
        "东城区",
        "402",
        "32.6%",
        "420",
        "-4.3%",
        "330",
        "+21.8%",
    ]
    quality = cells(table_after(doc, "表7\u3000办理质效"))
    assert ["按期受理率", "98.5%"] in quality and ["超期未办结事项（件）", "7"] in quality
    longest = cells(table_after(doc, "表8\u3000在办时间最长的信访事项"))
    assert longest[1] == ["QX2607-0012", "老旧小区加装电梯补贴未兑现", "东城区住建局", "96"]
    # Every table fits the text block.
    for table in doc.tables:
        widths = [c.width for c in table.rows[0].cells]  # stored in twips: compare to 0.1 mm
        assert round(sum(widths) / 36000, 1) <= 156.0


# --------------------------------------------------------------------------------- narrative


def test_the_narrative_states_the_figures_with_shares_and_changes_worked_out_by_hand():
    text = narrative_text(monthly())
    # 135 / 1099 = 12.28%, −58 / 1292 = −4.49%; people 76 / 1380 = 5.51%, −47 / 1503 = −3.13%.
    assert (
        "2026年10月，全市信访部门共收到信访事项1,234件、1,456人次。"
        "其中件数同比上升12.3%，环比下降4.5%；人次同比上升5.5%，环比下降3.1%。" in text
    )
    assert "日均收到39.8件" in text  # 1234 / 31 = 39.81
    assert "从渠道看，网上渠道最多，812件，占65.8%。" in text  # 812 / 1234 = 65.80%
    # Channels: 来访 236 / 1234 = 19.12%, (236 − 250) / 250 = −5.6%.
    assert "网上渠道812件，占65.8%，同比上升17.7%；来访渠道236件，占19.1%，同比下降5.6%" in text
    # Categories: 城乡建设 312 / 1234 = 25.28%, 48 / 264 = 18.18%; 劳动社会保障 −7 / 205 = −3.41%.
    assert (
        "居首位的是城乡建设类312件，占25.3%，同比上升18.2%；劳动社会保障类198件，占16.0%，同比下降3.4%"
        in text
    )
    assert "前三类合计666件，占54.0%" in text  # (312 + 198 + 156) / 1234 = 53.97%
    assert "同比增加最多的是城乡建设类，增加48件，同比上升18.2%" in text
    assert (
        "一是物业管理问题（城乡建设类）96件，同比上升37.1%，如“湖滨小区物业费未经业主大会表决上调”“西岭花园电梯长期停运”"
        in text
    )
    assert "二是拖欠工资问题（劳动社会保障类）88件，同比下降3.3%，如“某建筑工地拖欠农民工工资”" in text
    # Divisions: 东城区 402 / 1234 = 32.58%, 72 / 330 = 21.82%; 西城区 −2 / 320 = −0.63%.
    assert "按属地分，东城区402件，占32.6%，同比上升21.8%；西城区318件，占25.8%，同比下降0.6%" in text
    # Units: seven rows, five named, the other two summed (70 + 44).
    assert "其余2个承办单位共114件" in text
    assert "申诉求决类930件，占75.4%，同比上升13.4%" in text  # 110 / 820 = 13.41%
    # Collective: 5 / 18 = 27.78%, 62 / 350 = 17.71%, 412 / 1456 = 28.30%; repeat −8 / 95 = −8.42%.
    assert (
        "本月发生集体访23件、412人次，件数同比上升27.8%，人次同比上升17.7%，集体访人次占总人次的28.3%。"
        in text
    )
    assert "重复信访87件，同比下降8.4%，占信访事项总量的7.1%。" in text
    assert "本月按期受理率98.5%，按期答复率95.2%，参评率80.3%，满意率87.6%。" in text
    assert "截至2026年11月5日，仍有7件信访事项超期未办结。" in text
    assert "东城区住建局承办的“老旧小区加装电梯补贴未兑现”（QX2607-0012），已96日" in text
    assert "本月共产生预警3条，其中红色2条、橙色1条。" in text
    assert "1．东城区湖滨小区物业纠纷10日内集体访3批次（红色）。" in text


def test_the_advice_follows_from_what_rose_is_overdue_or_low():
    advice = dict(narrative(monthly()))["五、下一步工作建议"]
    assert advice[0].startswith(
        "一是加强城乡建设领域信访问题研判化解。本月城乡建设类信访312件，同比上升18.2%，增加48件"
    )
    assert advice[1].startswith(
        "二是压实东城区属地责任。本月东城区信访402件，同比上升21.8%"
    )  # +72, the largest
    assert any("超期事项" in a and "7件" in a and "老旧小区加装电梯补贴未兑现" in a for a in advice)
    assert any("满意率为87.6%" in a for a in advice)  # below 90%
    assert not any("按期办理" in a for a in advice)  # 98.5% and 95.2% are not named
    assert any("集体访23件，同比上升27.8%" in a for a in advice)
    assert not any("重复信访" in a for a in advice)  # it fell
    assert any("红色预警2条" in a for a in advice)
    # Nothing rose, nothing overdue, good rates, no alerts: one general sentence, no invented problem.
    calm = monthly(
        categories=[Row("城乡建设", 300, None, 310)],
        divisions=[Row("东城区", 300, None, 300)],
        overdue_open=0,
        longest_open=[],
        satisfaction_rate=0.95,
        collective_matters=Count(3, last_year=3),
        alerts=[],
    )
    assert dict(narrative(calm))["五、下一步工作建议"] == [
        "本月各项指标未触发专项建议，建议继续做好信访事项受理、办理和回访工作，巩固现有工作成效。"
    ]


def test_missing_and_zero_bases_are_said_not_divided_by():
    data = monthly(
        matters=Count(8, previous=0, last_year=None),
        people=Count(8, previous=8, last_year=0),
        channels=[Row("网上", 8, 0, None)],
        categories=[Row("城乡建设", 5, None, 0), Row("教育", 3, None, 3)],
        divisions=[Row("东城区", 8, None, None)],
        handling_units=[],
        natures=[],
        top_issues=[],
        collective_matters=Count(0, last_year=2),
        collective_people=Count(0, last_year=40),
        repeat_matters=Count(0),
        accepted_on_time_rate=None,
        answered_on_time_rate=None,
        rated_rate=None,
        satisfaction_rate=None,
        overdue_open=0,
        longest_open=[],
        alerts=[],
        volume=[("10月1日", 8)],
    )
    text = narrative_text(data)
    assert "其中件数无同期数据，环比增加8件（上月为0）；人次同比增加8人次（去年同期为0），环比持平。" in text
    assert "本月信访事项均通过网上渠道反映，共8件，无同期数据。" in text  # a single channel
    assert "城乡建设类5件，占62.5%，同比增加5件（去年同期为0）；教育类3件，占37.5%，同比持平" in text
    assert "按属地分，信访事项均集中在东城区，共8件，无同期数据。" in text
    assert "本月未发生集体访（去年同期2件）。未发生重复信访。" in text
    assert "本月无可计算按期受理率、按期答复率、参评率、满意率的事项。" in text
    assert "截至2026年11月5日，无超期未办结的信访事项。" in text
    assert "本月未产生预警。" in text
    assert "（四）集体访和重复信访" in text and "（五）" not in text  # no units, no natures
    doc = opened(data)
    assert len(doc.inline_shapes) == 1  # one channel and one day: only the category chart
    summary = cells(table_after(doc, "表1\u30002026年10月信访总体情况"))
    assert summary[1] == ["信访事项（件）", "8", "0", "新增", "—", "—"]
    assert summary[2] == ["信访人次", "8", "8", "持平", "0", "新增"]


def test_an_empty_period_renders_without_shares_or_charts():
    empty = monthly(
        matters=Count(0, previous=0, last_year=3),
        people=Count(0, previous=0, last_year=3),
        volume=[(f"10月{d}日", 0) for d in range(1, 32)],
        channels=[Row("网上", 0, 0, 3)],
        natures=[],
        categories=[],
        divisions=[],
        handling_units=[],
        top_issues=[],
        collective_matters=Count(0),
        collective_people=Count(0),
        repeat_matters=Count(0),
        overdue_open=0,
        longest_open=[],
        alerts=[],
    )
    text = narrative_text(empty)
    assert "2026年10月，全市信访部门未收到信访事项（去年同期为3件）。" in text
    assert "本月各渠道均未收到信访事项。" in text
    assert "%" not in text.split("三、办理质效")[0]  # no share of nothing
    doc = opened(empty)
    assert doc.paragraphs[0].text == "关于2026年10月全市信访形势的分析报告"
    assert cells(table_after(doc, "表2\u3000按信访方式统计"))[1] == [
        "网上",
        "0",
        "—",
        "0",
        "持平",
        "3",
        "-100.0%",
    ]


def test_changes_round_half_up_and_say_flat_when_equal_or_negligible():
    yoy = wording.Base("同比", "去年同期", "无同期数据")
    assert wording.change_text(2001, 2000, yoy) == "同比上升0.1%"  # 0.05% rounds half up
    assert wording.change_text(20001, 20000, yoy) == "同比基本持平"  # 0.005%
    assert wording.change_text(1999, 2000, yoy) == "同比下降0.1%"
    assert wording.change_text(50, 50, yoy) == "同比持平"
    assert wording.change_text(0, 4, yoy) == "同比下降100.0%"
    assert wording.change_text(7, None, yoy) == "无同期数据"
    assert (
        wording.percent(0.9875) == "98.8%"
        and wording.percent(0.0) == "0.0%"
        and wording.percent(1) == "100.0%"
    )
    assert wording.share_text(1, 8) == "12.5%" and wording.share_text(3, 0) == "—"


def test_invalid_figures_are_refused():
    with pytest.raises(ValueError, match="报告类型"):
        monthly(kind="weekly")
    with pytest.raises(ValueError, match="第四十一条"):
        monthly(kind="annual")
    with pytest.raises(ValueError, match="第四十一条"):
        annual(kind="quarterly")
    with pytest.raises(ValueError, match="0.985"):
        monthly(satisfaction_rate=87.6)
    with pytest.raises(ValueError, match="起始日期"):
        monthly(first_day=date(2026, 11, 1))


def test_a_quarterly_report_compares_with_the_previous_quarter():
    data = monthly(
        kind="quarterly",
        period_label="2026年第三季度",
        first_day=date(2026, 7, 1),
        last_day=date(2026, 9, 30),
    )
    doc = opened(data)
    assert doc.paragraphs[0].text == "关于2026年第三季度全市信访形势的分析报告"
    assert cells(table_after(doc, "表1\u30002026年第三季度信访总体情况"))[0][2] == "上季度"
    assert "本季度发生集体访23件" in text_of(doc)


# ------------------------------------------------------------------------------------ annual


def test_the_annual_report_carries_the_article_41_attachment():
    data = annual()
    assert data.title == "关于2026年全市信访形势的分析报告"
    text = narrative_text(data)
    assert "环比" not in text  # the base of a year is the year before
    # (14321 − 13880) / 13880 = 3.18%; (17002 − 16890) / 16890 = 0.66%.
    assert "其中件数同比上升3.2%；人次同比上升0.7%。" in text
    doc = opened(data)
    texts = [p.text for p in doc.paragraphs]
    note = texts.index("附件：2026年度信访工作报告事项（《信访工作条例》第四十一条）")
    unit = texts.index("青溪市信访局")
    assert note < unit  # 附件说明 before 署名, the attachment after the date
    start = texts.index("附件")
    assert start > unit and doc.paragraphs[start].paragraph_format.page_break_before
    assert east_asian_font(doc.paragraphs[start].runs[0]._element) == "黑体"
    title = doc.paragraphs[start + 2]
    assert title.text == "2026年度信访工作报告事项" and title.runs[0].font.size == Pt(22)
    assert texts[start + 3] == "（依据《信访工作条例》第四十一条）" and texts[start + 4] == ""
    # A wrapped attachment name lines up under its first character (GB/T 9704 附件说明).
    fmt = doc.paragraphs[note].paragraph_format
    assert (fmt.left_indent, fmt.first_line_indent) == (Pt(80), Pt(-48))
    attachment = texts[start:]
    for heading in (
        "一、信访事项数据统计和涉及领域",
        "二、被投诉较多的机关或者单位",
        "三、转送、交办、督办情况",
        "四、改进工作、完善政策和追究责任建议及采纳情况",
    ):
        assert heading in attachment
    joined = "\n".join(attachment)
    assert (
        "被投诉较多的机关或者单位依次为：东城区住建局1,380件，同比上升15.0%；市人社局1,222件，同比下降6.7%；南山区自然资源分局640件，同比持平。"
        in joined
    )
    assert "本年度转送信访事项9,120件，交办2,310件，督办186件。" in joined
    assert (
        "主要涉及城乡建设（312件）、劳动社会保障（198件）、农业农村（156件）、国土资源（142件）、卫生健康（95件）等领域"
        in joined
    )
    assert "已办结销号140件，已反馈待审核30件，升级督办6件，尚在督办中10件。督办办结率75.3%。" in joined
    assert "建议2条，已被采纳1条，尚待答复1条。" in joined
    organs = cells(table_after(doc, "表11\u3000被投诉较多的机关或者单位"))
    assert organs[1] == ["1", "东城区住建局", "1,380", "1,200", "+15.0%"]
    dispatch = cells(table_after(doc, "表12\u3000转送、交办、督办情况"))
    assert dispatch[1:4] == [["转送", "9,120"], ["交办", "2,310"], ["督办", "186"]]
    assert ["\u3000\u3000\u3000尚在督办中", "10"] in dispatch
    assert cells(table_after(doc, "表1\u30002026年信访总体情况"))[0] == ["指标", "本年", "上年", "同比"]
    assert "图1\u30002026年信访事项收到量走势（按月）" in texts


# -------------------------------------------------------------------------------------- xlsx


def test_the_workbook_has_one_sheet_per_table_with_numbers_and_percent_formats():
    book = load_workbook(io.BytesIO(render_tables_xlsx(annual())))
    assert book.sheetnames == [
        "总体情况",
        "信访方式",
        "信访性质",
        "内容分类",
        "属地",
        "承办单位",
        "主要问题",
        "走势",
        "办理质效",
        "在办时间最长",
        "预警",
        "被反映单位",
        "转送交办督办",
        "建议及采纳",
    ]
    overall = book["总体情况"]
    assert [c.value for c in overall[1]] == ["指标", "本年", "上年", "同比"]  # a year has no 环比
    assert all(c.font.bold for c in overall[1])
    assert overall["B2"].value == 14321 and overall["C2"].value == 13880
    assert overall["D2"].number_format == "0.0%" and overall["D2"].value == pytest.approx(441 / 13880)
    channels = book["信访方式"]
    assert [c.value for c in channels[2]][:3] == ["网上", 812, pytest.approx(812 / 14321)]
    assert channels["C2"].number_format == "0.0%" and channels["B2"].number_format == "#,##0"
    assert book["内容分类"].column_dimensions["A"].width >= 12  # 劳动社会保障: six wide characters
    quality = book["办理质效"]
    assert quality["B2"].value == pytest.approx(0.985) and quality["B2"].number_format == "0.0%"
    assert quality["B6"].value == 7
    assert [c.value for c in book["转送交办督办"]["A"]][1:] == [
        "转送",
        "交办",
        "督办",
        "其中：已办结销号",
        "已反馈待审核",
        "升级督办",
        "尚在督办中",
    ]
    assert book["被反映单位"]["E4"].value == 0  # 640 against 640
    assert book["预警"]["B2"].value == "红色"
    monthly_book = load_workbook(io.BytesIO(render_tables_xlsx(monthly())))
    assert "被反映单位" not in monthly_book.sheetnames
    categories = monthly_book["内容分类"]
    assert [c.value for c in categories[1]] == [
        "内容分类",
        "本期",
        "占比",
        "上月",
        "环比",
        "去年同期",
        "同比",
    ]
    assert [c.value for c in categories[10]][:5] == [
        "纪检监察",
        61,
        pytest.approx(61 / 1234),
        70,
        pytest.approx(-9 / 70),
    ]
    assert categories["F10"].value is None and categories["G10"].value is None  # no last-year figure


def test_a_figures_only_report_has_no_columns_or_sheets_for_matters():
    """A report for a reader without matter access names no matter: its workbook leaves out the
    典型事项 column and the 在办时间最长 sheet, as the document leaves out the table."""
    issues = [Issue(i.name, i.parent, i.count, i.last_year) for i in monthly().top_issues]
    data = monthly(top_issues=issues, longest_open=[])
    book = load_workbook(io.BytesIO(render_tables_xlsx(data)))
    assert "在办时间最长" not in book.sheetnames
    assert [c.value for c in book["主要问题"][1]] == ["序号", "问题", "所属类别", "件数", "去年同期", "同比"]
    assert [c.value for c in book["主要问题"][2]][:4] == [1, "物业管理", "城乡建设", 96]
    text = "".join(p.text for p in Document(io.BytesIO(render_report(data))).paragraphs)
    assert "在办时间最长" not in text and "如“" not in text
    assert "物业管理问题（城乡建设类）96件" in text


# ------------------------------------------------------------------------ gongwen and charts


def test_gongwen_extensions_keep_within_the_text_block():
    doc = Gongwen()
    doc.title("测试")
    png = charts.volume_line(["1日", "2日"], [3, 5])
    with pytest.raises(ValueError, match="156"):
        doc.image(png, 160)
    doc.image(png, 156, "走势")
    table = doc.table(["名称", "件数", "说明"], [["甲", 1200, "一"], ["乙", None, "二"]], title="测试表")
    assert [c.text for c in table.rows[1].cells] == ["甲", "1,200", "一"]
    assert table.rows[1].cells[1].paragraphs[0].alignment.name == "RIGHT"  # a column of numbers
    assert table.rows[1].cells[2].paragraphs[0].alignment is None
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    with pytest.raises(ValueError, match="列宽"):
        doc.table(["a", "b"], [], widths_mm=[100, 60])
    saved = Document(io.BytesIO(doc.to_bytes()))
    assert [p.text for p in saved.paragraphs if p.text.startswith(("图", "表"))] == [
        "图1\u3000走势",
        "表1\u3000测试表",
    ]


def test_charts_need_a_cjk_font_and_say_so(monkeypatch):
    assert charts.cjk_family() in ("Noto Sans CJK SC", "Noto Serif CJK SC")
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font SC",))
    charts.cjk_family.cache_clear()
    try:
        with pytest.raises(charts.ChartFontMissing, match="fonts-noto-cjk"):
            charts.channel_bars(["网上"], [1])
    finally:
        monkeypatch.undo()
        charts.cjk_family.cache_clear()
    width, height = png_size(charts.category_bars(["城乡建设", "教育"], [3, 2], [None, 1]))
    assert abs(width - 150 / 25.4 * charts.DPI) <= 1 and abs(height - 75 / 25.4 * charts.DPI) <= 1


# ----------------------------------------------------------------------------------------- PDF


def test_without_libreoffice_the_pdf_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(convert.shutil, "which", lambda name: None)
    with pytest.raises(convert.ConversionError, match="未安装 LibreOffice"):
        convert.to_pdf(b"")
    with pytest.raises(convert.ConversionError, match="poppler-utils"):
        convert.pdf_pages_png(b"")


def needs_libreoffice():
    if convert.soffice_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI 必须安装 LibreOffice（scripts/setup.sh）")
        pytest.skip("LibreOffice is not installed")


def test_for_libreoffice_the_character_grid_becomes_condensed_text_on_the_line_grid():
    doc = Gongwen()
    doc.paragraph("正文")
    original = doc.to_bytes()
    adjusted = Document(io.BytesIO(convert._for_libreoffice(original)))
    grid = adjusted.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and grid.get(qn("w:charSpace")) is None
    assert int(grid.get(qn("w:linePitch"))) == 579  # the 22 lines stay: 22 × 28.95 pt ≤ 225 mm
    spacing = adjusted.styles["Normal"].element.rPr.find(qn("w:spacing"))
    assert spacing.get(qn("w:val")) == "-5"  # 16 pt − 0.25 pt fits the 15.8 pt of 28 per line
    assert adjusted.paragraphs[0].text == "正文"
    # What is handed out keeps Word's character grid.
    assert (
        Document(io.BytesIO(original)).sections[0]._sectPr.find(qn("w:docGrid")).get(qn("w:type"))
        == "linesAndChars"
    )
    plain = io.BytesIO()
    Document().save(plain)  # no character grid: handed to LibreOffice as it is
    assert convert._for_libreoffice(plain.getvalue()) == plain.getvalue()


def test_the_pdf_keeps_22_lines_of_28_characters_in_the_gongwen_fonts():
    needs_libreoffice()
    doc = Gongwen()
    doc.paragraph("信" * 82)  # 26 after the two-character indent, then 28 and 28
    for i in range(1, 41):
        doc.paragraph(f"第{i}行")
    pdf = convert.to_pdf(doc.to_bytes())
    done = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=pdf, capture_output=True, check=True
    )
    lines = [line.replace(" ", "") for line in done.stdout.decode().splitlines() if line.strip()]
    assert lines[:3] == ["信" * 26, "信" * 28, "信" * 28]
    assert lines[3:22] == [f"第{i}行" for i in range(1, 20)]  # 3 + 19 = 22 lines on the page
    assert lines[22] == "—1—"
    # The 公文 fonts are stood in for by serif faces, not the default sans-serif.
    assert b"NotoSerifCJK" in pdf


def test_the_report_converts_to_an_a4_pdf_and_png_pages():
    needs_libreoffice()
    pdf = convert.to_pdf(render_report(annual()))
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)
    page_count = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    pages = convert.pdf_pages_png(pdf, dpi=36)
    assert len(pages) == page_count >= 4  # body and attachment
    for page in pages:
        assert png_size(page) == (298, 421)  # 210 × 297 mm at 36 dpi
