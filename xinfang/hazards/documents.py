"""The hazard ledger's 公文, built from its records in the GB/T 9704 layout (xinfang/documents/
gongwen.py): the 隐患整改通知书 of a hazard, the public notice of its 挂牌督办, and the quarterly or
annual summary sent to the government's 安全生产委员会办公室 (安委办)."""

from datetime import date

from django.utils import timezone

from xinfang.documents.gongwen import Gongwen

from .choices import Level, ListingLevel, Stoppage


def _cn(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _lines(doc, text):
    for line in (text or "").splitlines():
        if line.strip():
            doc.paragraph(line.strip())


def rectification_notice(hazard, event) -> bytes:
    """隐患整改通知书, from the 下达整改通知 event (what was decided then, with its deadline)."""
    e = hazard.enterprise
    data = event.data
    day = timezone.localdate(event.at)
    doc = Gongwen()
    doc.title("隐患整改通知书")
    doc.subtitle(f"（隐患编号：{hazard.display_code}）")
    doc.salutation(f"{e.name}：")
    level = Level(data.get("level") or hazard.level).label
    doc.paragraph(
        f"{_cn(hazard.found_on)}，经{hazard.get_source_display()}，发现你单位{hazard.location}存在以下"
        f"{hazard.hazard_type}类{level}：{hazard.description.rstrip('。')}。"
    )
    doc.heading1("一、整改要求")
    _lines(doc, data.get("requirements") or hazard.requirements)
    due = _day(data["due"]) if data.get("due") else hazard.due_date
    doc.heading1("二、整改期限")
    if level == Level.MAJOR.label:
        doc.paragraph(
            f"该隐患为重大事故隐患。你单位应当于{_cn(due)}前制定并报送隐患治理方案，做到责任、措施、资金、"
            "时限和预案“五落实”；治理方案经审定后，按方案确定的时限完成治理。"
        )
    else:
        doc.paragraph(f"请于{_cn(due)}前整改完毕，并向本机关书面申请复查验收。")
    stoppage = data.get("stoppage") or ""
    if stoppage:
        doc.heading1("三、停产停业")
        doc.paragraph(
            f"隐患排除前或者排除过程中无法保证安全的，责令你单位{Stoppage(stoppage).label}"
            f"（范围：{data.get('stoppage_scope', '')}），撤出作业人员，设置警戒标志。"
        )
    doc.paragraph("逾期未整改或者整改不合格的，本机关将依法处理。")
    doc.signature(str(event.actor_unit or hazard.holder_unit), day)
    return doc.to_bytes()


def listing_notice(hazard, event) -> bytes:
    """The public notice of a major hazard's 挂牌督办, from the event that listed it."""
    data = event.data
    day = timezone.localdate(event.at)
    level = ListingLevel(data.get("level")).label
    doc = Gongwen()
    doc.title("重大事故隐患挂牌督办公告")
    doc.subtitle(f"（隐患编号：{hazard.display_code}）")
    doc.paragraph(
        f"为有效防范和遏制生产安全事故，{data.get('unit', '')}决定对下列重大事故隐患实行{level}，现予公告。"
    )
    doc.table(
        ["生产经营单位", "隐患部位", "隐患内容", "行业监管部门"],
        [(hazard.enterprise.name, hazard.location, hazard.title, hazard.holder_unit.name)],
    )
    doc.heading1("一、督办要求")
    _lines(doc, event.note)
    due = _day(data["due_on"]) if data.get("due_on") else None
    if due:
        doc.paragraph(f"隐患所在单位应当于{_cn(due)}前完成治理并申请验收销号。")
    doc.heading1("二、责任落实")
    doc.paragraph(
        f"{hazard.holder_unit}负责督促隐患所在单位落实治理责任、措施、资金、时限和预案，"
        "跟踪治理进展，组织验收并按时销号。"
    )
    doc.heading1("三、社会监督")
    doc.paragraph("欢迎社会各界对隐患治理情况进行监督，发现问题可向行业监管部门反映。")
    doc.signature(data.get("unit", ""), day)
    return doc.to_bytes()


# The unit's name gets the room; the nine figures share the rest of the 156 mm text block.
SUMMARY_WIDTHS = (30, 13, 12, 12, 12, 16, 16, 15, 15, 13)
SUMMARY_HEADER = [
    "单位",
    "排查隐患",
    "一般隐患",
    "重大隐患",
    "已整改",
    "整改率",
    "按期整改率",
    "超期未整改",
    "重大隐患未销号",
    "挂牌督办",
]


def _rate(value):
    return "—" if value is None else f"{value * 100:.1f}%"


def summary_rows(rows) -> list[list]:
    return [
        [
            f.label,
            f.found,
            f.general,
            f.major,
            f.rectified,
            _rate(f.rate),
            _rate(f.on_time_rate),
            f.overdue,
            f.major_open,
            f.listed,
        ]
        for f in rows
    ]


def summary(report, title_period: str, author: str, addressee: str, majors, day: date) -> bytes:
    """The quarterly or annual summary as a report to the 安委办."""
    t = report.total
    doc = Gongwen()
    doc.title(f"关于{title_period}安全生产隐患排查治理情况的报告")
    doc.salutation(f"{addressee}：")
    doc.paragraph(f"现将{report.area.label}{title_period}安全生产事故隐患排查治理情况报告如下。")
    doc.heading1("一、总体情况")
    doc.paragraph(
        f"{_cn(report.first)}至{_cn(report.last)}，共排查发现隐患{t.found}项，其中一般隐患{t.general}项、"
        f"重大隐患{t.major}项；已整改{t.rectified}项，整改率{_rate(t.rate)}，按期整改率{_rate(t.on_time_rate)}。"
        f"截至{_cn(report.today)}，超期未整改隐患{t.overdue}项，重大隐患尚未销号{t.major_open}项，"
        f"其中挂牌督办{t.listed}项；落实重大隐患治理资金{t.funds / 10000:.1f}万元。"
    )
    doc.heading1("二、分部门情况")
    doc.table(
        SUMMARY_HEADER,
        summary_rows(report.by_unit),
        title="隐患排查治理情况（按行业监管部门）",
        widths_mm=SUMMARY_WIDTHS,
    )
    doc.heading1("三、分行业情况")
    doc.table(
        ["行业", *SUMMARY_HEADER[1:]],
        summary_rows(report.by_industry),
        title="隐患排查治理情况（按行业）",
        widths_mm=SUMMARY_WIDTHS,
    )
    doc.heading1("四、重大隐患治理情况")
    if majors:
        doc.table(
            ["隐患编号", "生产经营单位", "隐患", "状态", "整改期限"],
            [
                (
                    h.display_code,
                    h.enterprise.name,
                    h.title,
                    h.get_status_display(),
                    f"{h.due_date:%Y.%m.%d}" if h.due_date else "—",
                )
                for h in majors
            ],
            title="重大隐患清单",
            widths_mm=(28, 40, 44, 18, 26),
        )
    else:
        doc.paragraph("本期没有重大隐患。")
    doc.heading1("五、下一步工作")
    doc.paragraph(
        "对超期未整改的隐患逐项督办，必要时提请上级挂牌督办和约谈；重大隐患严格落实“五落实”，"
        "治理完成后及时组织验收销号。"
    )
    doc.signature(author, day)
    return doc.to_bytes()
