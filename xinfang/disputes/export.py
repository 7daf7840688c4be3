"""A filtered list of disputes as an .xlsx 台账 (through the one workbook writer). Parties' names
are masked unless the user's role works with them in full."""

from xinfang.core.workbook import Book

from .models import Party

HEADER = [
    "编号", "原台账编号", "排查日期", "来源", "纠纷类型", "发生地", "网格", "纠纷概要", "各方诉求", "当事人",
    "涉及人数", "涉及金额（元）", "风险等级", "风险因素", "责任单位", "化解方式", "调解员", "状态", "化解结果",
    "转入途径", "期限", "销号日期",
]  # fmt: skip
CHUNK = 2000


def write(qs, stream, *, full: bool) -> int:
    from .choices import RiskReason

    reasons = dict(RiskReason.choices)
    book = Book()
    sheet = book.sheet("矛盾纠纷排查化解台账", HEADER, widths=[14] * len(HEADER), freeze=True)
    qs = qs.select_related("dispute_type", "dispute_type__parent", "division", "grid", "holder_unit")
    count = 0
    ids = list(qs.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        by_id = {d.pk: d for d in qs.model.objects.filter(pk__in=chunk).select_related(
            "dispute_type", "dispute_type__parent", "division", "grid", "holder_unit")}  # fmt: skip
        parties = {}
        for p in Party.objects.filter(case_id__in=chunk):
            parties.setdefault(p.case_id, []).append(p.name if full else p.masked())
        for pk in chunk:
            d = by_id[pk]
            sheet.append([
                d.number, d.ledger_number, d.screened_on, d.get_source_display(), str(d.dispute_type),
                d.division.name, d.grid.name if d.grid_id else "", d.title, d.claims, "、".join(parties.get(pk, [])),
                d.headcount, float(d.amount) if d.amount is not None else None, d.get_risk_display(),
                "、".join(reasons.get(r, r) for r in d.risk_reasons), d.holder_unit.name, d.get_method_display(),
                d.mediator, d.get_status_display(), d.get_outcome_display(), d.get_next_channel_display(),
                d.due_date, d.closed_on,
            ], formats=[None, None, "yyyy-mm-dd"] + [None] * 17 + ["yyyy-mm-dd", "yyyy-mm-dd"])  # fmt: skip
            count += 1
    book.save(stream)
    return count
