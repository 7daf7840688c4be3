"""Statistics of the dispute ledger: screened, resolved and 化解率 by type, division, grid, risk
level and source for a period, with 同比 (the same period a year before) and 环比 (the period of
the same length just before); the monthly 矛盾纠纷排查化解情况表 (.xlsx, through the one workbook
writer) and its summary in the 公文 layout (.docx).

Each figure is one GROUP BY over the period's disputes (the (screened_on, type_top, risk) index),
restricted to the divisions of the user's government; 化解 counts the disputes screened in the
period that mediation settled (by now)."""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO

from django.db.models import Count, Q

from xinfang.cases.scoping import stats_divisions
from xinfang.core.dates import cn_date
from xinfang.core.workbook import Book
from xinfang.documents.gongwen import Gongwen
from xinfang.org.models import Division, Unit

from .choices import Outcome, Risk, Source, Status
from .models import Dispute, DisputeType

TOWNSHIP_LEVEL = 4


@dataclass
class Row:
    key: object
    label: str
    screened: int = 0
    resolved: int = 0
    failed: int = 0
    major: int = 0
    open: int = 0

    @property
    def rate(self) -> float | None:
        return self.resolved / self.screened if self.screened else None

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


@dataclass
class Report:
    first: date
    last: date
    total: Row
    by: dict = field(default_factory=dict)  # dimension → [Row]
    previous: Row | None = None  # 环比
    year_before: Row | None = None  # 同比

    @staticmethod
    def change(now: int, before: int) -> str:
        if not before:
            return "—"
        return f"{(now - before) / before * 100:+.1f}%"

    @property
    def mom(self):
        return self.change(self.total.screened, self.previous.screened)

    @property
    def yoy(self):
        return self.change(self.total.screened, self.year_before.screened)


def month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def base(user, first: date, last: date):
    qs = Dispute.objects.filter(screened_on__gte=first, screened_on__lte=last)
    ids = stats_divisions(user)
    return qs if ids is None else qs.filter(division_id__in=ids)


COUNTS = {
    "screened": Count("pk"),
    "resolved": Count("pk", filter=Q(outcome=Outcome.SUCCESS)),
    "failed": Count("pk", filter=Q(outcome=Outcome.FAILED)),
    "major": Count("pk", filter=Q(risk=Risk.MAJOR)),
    "open": Count("pk", filter=Q(status__in=[Status.REGISTERED, Status.MEDIATING])),
}


def _row(key, label, counts) -> Row:
    return Row(key, label, **{k: counts.get(k, 0) for k in COUNTS}) if counts else Row(key, label)


def _total(qs, label="合计") -> Row:
    return _row(None, label, qs.order_by().aggregate(**COUNTS))


def township_of(division_ids) -> dict[int, Division]:
    """Each division's township (乡镇街道, level 4) or the division itself above that level."""
    rows = {d.pk: d for d in Division.objects.filter(pk__in=division_ids)}
    codes = {c for d in rows.values() for c in d.path.strip("/").split("/") if c}
    towns = {d.code: d for d in Division.objects.filter(code__in=codes, level=TOWNSHIP_LEVEL)}
    out = {}
    for pk, d in rows.items():
        found = [towns[c] for c in d.path.strip("/").split("/") if c in towns]
        out[pk] = found[0] if found else d
    return out


# Two GROUP BYs cover the five dimensions: few groups each, folded here.
GROUPINGS = [("type_top", "risk", "source"), ("division", "grid")]


def report(user, first: date, last: date) -> Report:
    """The period's disputes by every dimension, from two GROUP BYs that read only the covering
    index (disputes_screened_idx); 环比 and 同比 are one count each."""
    qs = base(user, first, last).order_by()
    days = (last - first).days + 1
    folded = {}
    total = Row(None, "合计")
    for n, columns in enumerate(GROUPINGS):
        for cell in qs.values(*columns).annotate(**COUNTS):
            if n == 0:
                for name in COUNTS:
                    setattr(total, name, getattr(total, name) + cell[name])
            for g in columns:
                acc = folded.setdefault(g, {}).setdefault(cell[g], dict.fromkeys(COUNTS, 0))
                for name in COUNTS:
                    acc[name] += cell[name]
    for g in ("type_top", "division", "grid", "risk", "source"):
        folded.setdefault(g, {})
    out = Report(first, last, total)
    out.previous = _total(base(user, first - timedelta(days=days), first - timedelta(days=1)))
    out.year_before = _total(base(user, _year_back(first), _year_back(last)))

    types = {t.pk: t.name for t in DisputeType.objects.filter(parent=None)}
    out.by["type"] = [_row(k, types.get(k, "?"), c) for k, c in folded["type_top"].items()]
    towns = township_of(folded["division"])
    merged = {}
    for pk, counts in folded["division"].items():
        town = towns[pk]
        row = merged.setdefault(town.pk, Row(town.pk, town.name))
        for k in COUNTS:
            setattr(row, k, getattr(row, k) + counts[k])
    out.by["division"] = list(merged.values())

    from xinfang.grid.models import Grid

    by_grid = {k: c for k, c in folded["grid"].items() if k is not None}
    names = dict(Grid.objects.filter(pk__in=by_grid).values_list("pk", "name"))
    out.by["grid"] = [_row(k, names.get(k, "?"), c) for k, c in by_grid.items()]
    risks = dict(Risk.choices) | {"": "未研判"}
    out.by["risk"] = [_row(k, risks.get(k, k), c) for k, c in folded["risk"].items()]
    sources = dict(Source.choices)
    out.by["source"] = [_row(k, sources.get(k, k), c) for k, c in folded["source"].items()]
    for rows in out.by.values():
        rows.sort(key=lambda r: (-r.screened, str(r.label)))
    return out


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


DIMENSIONS = [
    ("division", "乡镇（街道）"),
    ("type", "纠纷类型"),
    ("risk", "风险等级"),
    ("source", "来源"),
    ("grid", "网格"),
]
COLUMNS = ["排查数", "化解数", "化解率", "调解不成", "重大风险", "化解中"]


def _cells(row: Row) -> list:
    return [row.screened, row.resolved, row.rate, row.failed, row.major, row.open]


def monthly_xlsx(user, month: date) -> bytes:
    """The monthly 矛盾纠纷排查化解情况表: one sheet per dimension, a total line on each."""
    first, last = month_bounds(month)
    rep = report(user, first, last)
    book = Book()
    head = book.sheet("情况表", ["矛盾纠纷排查化解情况表", f"{first:%Y年%m月}"], widths=(30, 20))
    head.append(["统计期间", f"{cn_date(first)}至{cn_date(last)}"])
    head.append(["排查数", rep.total.screened])
    head.append(["化解数", rep.total.resolved])
    head.append(["化解率", rep.total.rate_text])
    head.append(["环比（排查数）", rep.mom])
    head.append(["同比（排查数）", rep.yoy])
    for key, label in DIMENSIONS:
        sheet = book.sheet(label[:31], [label, *COLUMNS], widths=(24, 10, 10, 10, 10, 10, 10), freeze=True)
        formats = [None, None, None, "0.0%", None, None, None]
        for row in rep.by[key]:
            sheet.append([row.label, *_cells(row)], formats=formats)
        sheet.append(["合计", *_cells(rep.total)], formats=formats)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def monthly_docx(user, month: date) -> bytes:
    """The month's summary in the 公文 layout."""
    first, last = month_bounds(month)
    rep = report(user, first, last)
    unit = user.unit.government() or user.unit
    doc = Gongwen()
    doc.title(f"{unit}矛盾纠纷排查化解情况（{first.year}年{first.month}月）")
    t = rep.total
    doc.heading1("一、总体情况")
    doc.paragraph(
        f"{first.year}年{first.month}月，全区域共排查矛盾纠纷{t.screened}件，环比{rep.mom}，同比{rep.yoy}；"
        f"已化解{t.resolved}件，化解率{t.rate_text}；调解不成依法转入诉讼、仲裁或信访途径{t.failed}件；"
        f"仍在化解中{t.open}件，其中研判为重大风险的{t.major}件。"
    )
    doc.heading1("二、分类型情况")
    top = rep.by["type"][:3]
    if top:
        doc.paragraph(
            "排查数量较多的类型依次为" + "、".join(f"{r.label}（{r.screened}件）" for r in top) + "。"
        )
    doc.table(["纠纷类型", *COLUMNS], [[r.label, r.screened, r.resolved, r.rate_text, r.failed, r.major, r.open]
                                   for r in rep.by["type"]], title="按纠纷类型统计")  # fmt: skip
    doc.heading1("三、分区域情况")
    doc.table(["乡镇（街道）", *COLUMNS], [[r.label, r.screened, r.resolved, r.rate_text, r.failed, r.major, r.open]
                                      for r in rep.by["division"]], title="按乡镇（街道）统计")  # fmt: skip
    doc.heading1("四、下一步工作")
    doc.paragraph("对仍在化解中的矛盾纠纷逐件落实包案领导和化解责任人，重大风险纠纷按规定上报并跟踪督办；"
                  "对已化解的纠纷按期回访，防止反复。")  # fmt: skip
    doc.signature(str(unit), last)
    return doc.to_bytes()


def units_named(pks) -> dict:
    return dict(Unit.objects.filter(pk__in=pks).values_list("pk", "name"))
