"""A filtered list of grid events as an .xlsx 台账 (through the one workbook writer)."""

from django.utils import timezone

from xinfang.core.workbook import Book

HEADER = [
    "事件编号", "上报时间", "上报人", "网格", "地点", "事件类型", "事件概要", "事件描述", "涉及人数", "紧急",
    "状态", "受理中心", "处置单位", "分拨日期", "期限", "处置反馈日期", "按期处置", "核查次数", "核查未通过次数",
    "结案日期",
]  # fmt: skip
DAY = "yyyy-mm-dd"
FORMATS = [None, "yyyy-mm-dd hh:mm"] + [None] * 11 + [DAY, DAY, DAY, None, None, None, DAY]
CHUNK = 2000


def _yes(value) -> str:
    return "" if value is None else ("是" if value else "否")


def write(qs, stream) -> int:
    book = Book()
    sheet = book.sheet("网格事件台账", HEADER, widths=[14] * len(HEADER), freeze=True)
    ids = list(qs.values_list("pk", flat=True))
    count = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = qs.model.objects.filter(pk__in=chunk).select_related(
            "grid", "reported_by", "centre", "handling_unit"
        )
        by_id = {e.pk: e for e in rows}
        for pk in chunk:
            e = by_id[pk]
            sheet.append([
                e.number, timezone.localtime(e.reported_at).replace(tzinfo=None), str(e.reported_by), e.grid.name if e.grid_id else "",
                e.place, e.get_kind_display(), e.title, e.description, e.headcount, _yes(e.urgent),
                e.get_status_display(), e.centre.name, e.handling_unit.name if e.handling_unit_id else "",
                e.dispatched_on, e.due_date, e.handled_on, _yes(e.handled_in_time), e.verify_rounds,
                e.verify_failures, e.closed_on,
            ], formats=FORMATS)  # fmt: skip
            count += 1
    book.save(stream)
    return count
