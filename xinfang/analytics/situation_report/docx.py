"""The 信访形势分析报告 as a GB/T 9704 公文 (.docx): the narrative's numbered sections, each
followed by its charts and numbered tables, the signature, and for annual reports the art. 41
attachment."""

from docx.shared import Pt

from xinfang.documents import charts
from xinfang.documents.gongwen import Gongwen

from . import art41, narrative, tables
from .figures import ReportData
from .tables import Change, Rate, Share, StatTable
from .wording import numbered, percent, ranked, share_text, table_change, this_column, year_base

TABLE_SIZE = Pt(12)  # 小四: the report's tables carry seven columns in the 156 mm text block


def render_report(data: ReportData) -> bytes:
    """The report as .docx bytes in the 公文 layout, with charts and numbered tables."""
    doc = Gongwen()
    doc.title(data.title)
    if data.addressee:
        doc.salutation(data.addressee.rstrip("：:") + "：")
    for section, heading in numbered(narrative.sections(data)):
        (doc.heading1 if section.level == 1 else doc.heading2)(heading)
        for text in section.paragraphs:
            doc.paragraph(text)
        EXTRAS.get(section.key, _nothing)(doc, data)
    if data.annual is not None:
        doc.attachment_note(f"{data.annual_title}（《信访工作条例》第四十一条）")
    doc.signature(data.issuing_unit, data.issued_on)
    if data.annual is not None:
        doc.attachment(data.annual_title, subtitle="（依据《信访工作条例》第四十一条）")
        for section, heading in numbered(art41.sections(data)):
            doc.heading1(heading)
            for text in section.paragraphs:
                doc.paragraph(text)
            ANNUAL_EXTRAS.get(section.key, _nothing)(doc, data)
    return doc.to_bytes()


def _nothing(doc, data):
    pass


def _cell(value):
    """A table cell as the document prints it."""
    if isinstance(value, Change):
        return table_change(value.current, value.base)
    if isinstance(value, Share):
        return share_text(value.part, value.total)
    if isinstance(value, Rate):
        return "—" if value.value is None else percent(value.value)
    return "—" if value is None else value


def _add(doc, title: str, table: StatTable):
    doc.table(
        table.header,
        [[_cell(v) for v in row] for row in table.rows],
        title=title,
        numeric=table.numeric if table.numeric is not None else set(range(1, len(table.header))),
        widths_mm=table.widths,
        size=TABLE_SIZE,
    )


def _breakdown(doc, data, field):
    first, _sheet, title = tables.BREAKDOWNS[field]
    _add(doc, title, tables.breakdown(data, getattr(data, field), first))


def _overview_extras(doc, data):
    _add(doc, f"{data.period_label}信访总体情况", tables.summary(data))
    if len(data.volume) >= 2:
        png = charts.volume_line([label for label, _ in data.volume], [c for _, c in data.volume])
        doc.image(png, 150, f"{data.period_label}信访事项收到量走势（按{data.volume_by}）")


def _channel_extras(doc, data):
    rows = [r for r in ranked(data.channels) if r.count]
    if len(rows) >= 2:
        doc.image(charts.channel_bars([r.name for r in rows], [r.count for r in rows]), 140, "信访方式分布")
    _breakdown(doc, data, "channels")


def _category_extras(doc, data):
    rows = [r for r in ranked(data.categories) if r.count or r.last_year]
    if rows:
        shown = rows[:10]
        png = charts.category_bars(
            [r.name for r in shown],
            [r.count for r in shown],
            [r.last_year for r in shown],
            this_label=this_column(data),
            last_label=year_base(data).name,
        )
        doc.image(png, 150, "主要内容分类信访量同比" if len(rows) <= 10 else "信访量居前十位的内容分类同比")
        _breakdown(doc, data, "categories")


def _table_only(field):
    def extras(doc, data):
        if getattr(data, field):
            _breakdown(doc, data, field)

    return extras


def _quality_extras(doc, data):
    _add(doc, "办理质效", tables.quality(data))
    if data.longest_open:
        _add(doc, "在办时间最长的信访事项", tables.longest_open(data))


# section key -> what follows its text
EXTRAS = {
    "overview": _overview_extras,
    "channels": _channel_extras,
    "categories": _category_extras,
    "divisions": _table_only("divisions"),
    "units": _table_only("handling_units"),
    "natures": _table_only("natures"),
    "quality": _quality_extras,
}


def _art41_stats_extras(doc, data):
    _add(doc, "年度信访数据统计", tables.summary(data))
    if data.categories:
        first, _sheet, _title = tables.BREAKDOWNS["categories"]
        _add(doc, "信访事项涉及领域", tables.breakdown(data, data.categories, first))


def _art41_organ_extras(doc, data):
    if data.annual.organs:
        _add(doc, "被投诉较多的机关或者单位", tables.organs(data))


def _art41_dispatch_extras(doc, data):
    _add(doc, "转送、交办、督办情况", tables.dispatch(data))


ANNUAL_EXTRAS = {
    "art41_stats": _art41_stats_extras,
    "art41_organs": _art41_organ_extras,
    "art41_dispatch": _art41_dispatch_extras,
}
