"""The statistical tables of the 信访形势分析报告, defined once for both of its forms: the .docx
prints them (a change as '+12.3%', '新增' or '—'), the .xlsx keeps their numbers (a change as the
fraction 0.123 in a percent cell). A cell is a number, a text, None (no data), or one of `Change`,
`Share` and `Rate`, which each form writes its own way.
"""

from dataclasses import dataclass, field

from xinfang.analytics.figures import SUMMARY_LABELS

from .figures import ReportData
from .wording import adoption, previous_base, ranked, this_column, year_base


@dataclass(frozen=True)
class Change:
    """`current` against `base` (None: no data for the base)."""

    current: int
    base: int | None


@dataclass(frozen=True)
class Share:
    """`part` of `total`."""

    part: int
    total: int


@dataclass(frozen=True)
class Rate:
    """A rate in [0, 1], None when there was nothing to compute it on."""

    value: float | None


@dataclass
class StatTable:
    """A table: header and rows; `widths` in mm for the document; `numeric` the columns it
    right-aligns (None: every column but the first)."""

    header: list[str]
    rows: list[list]
    widths: list[int] = field(default_factory=list)
    numeric: set[int] | None = None


# The breakdowns of the report: ReportData field -> (first column, sheet name, document title).
BREAKDOWNS = {
    "channels": ("信访方式", "信访方式", "按信访方式统计"),
    "natures": ("信访性质", "信访性质", "按信访性质统计"),
    "categories": ("内容分类", "内容分类", "按内容分类统计"),
    "divisions": ("地区", "属地", "按属地统计"),
    "handling_units": ("承办单位", "承办单位", "按承办单位统计"),
}
SUMMARY_ORDER = ("matters", "people", "collective_matters", "collective_people", "repeat_matters")


def _header(data, first: str, with_share: bool) -> list[str]:
    """[first, this period, (占比), (previous period, 环比), last year, 同比]: annual reports have no
    previous-period columns (their base is last year)."""
    header = [first, this_column(data)] + (["占比"] if with_share else [])
    if data.kind != "annual":
        header += [previous_base(data).name, "环比"]
    return header + [year_base(data).name, "同比"]


def _row(data, name: str, current: int, previous, last_year, share: Share | None = None) -> list:
    row = [name, current] + ([share] if share is not None else [])
    if data.kind != "annual":
        row += [previous, Change(current, previous)]
    return row + [last_year, Change(current, last_year)]


def summary(data: ReportData) -> StatTable:
    counts = [(SUMMARY_LABELS[name], getattr(data, name)) for name in SUMMARY_ORDER]
    return StatTable(
        _header(data, "指标", with_share=False),
        [_row(data, label, c.current, c.previous, c.last_year) for label, c in counts],
        [60, 32, 32, 32] if data.kind == "annual" else [40, 22, 22, 24, 24, 24],
    )


def breakdown(data: ReportData, rows, first: str) -> StatTable:
    """Lines of a breakdown, largest first, each with its share of all matters."""
    total = data.matters.current
    return StatTable(
        _header(data, first, with_share=True),
        [_row(data, r.name, r.count, r.previous, r.last_year, Share(r.count, total)) for r in ranked(rows)],
        [56, 25, 25, 25, 25] if data.kind == "annual" else [36, 18, 20, 18, 21, 22, 21],
    )


def quality(data: ReportData) -> StatTable:
    rows = [[label, Rate(value)] for label, value in data.rates]
    rows.append(["超期未办结事项（件）", data.overdue_open])
    return StatTable(["指标", "数值"], rows, [70, 40])


def longest_open(data: ReportData) -> StatTable:
    return StatTable(
        ["查询码", "事项", "承办单位", "在办天数"],
        [[m.code, m.title, m.unit, m.days_open] for m in data.longest_open],
        [30, 66, 40, 20],
        numeric={3},
    )


def top_issues(data: ReportData) -> StatTable:
    """典型事项 name matters: the column is left out when there are none to name (a report for a
    reader without matter access has none)."""
    with_examples = any(t.examples for t in data.top_issues)
    header = ["序号", "问题", "所属类别", "件数", year_base(data).name, "同比"]
    rows = [
        [i, t.name, t.parent, t.count, t.last_year, Change(t.count, t.last_year)]
        + (["；".join(t.examples)] if with_examples else [])
        for i, t in enumerate(data.top_issues, 1)
    ]
    return StatTable(header + (["典型事项"] if with_examples else []), rows)


def volume(data: ReportData) -> StatTable:
    return StatTable(["时间", "件数"], [[label, c] for label, c in data.volume])


def alerts(data: ReportData) -> StatTable:
    return StatTable(
        ["序号", "级别", "内容"], [[i, a.severity, a.text] for i, a in enumerate(data.alerts, 1)]
    )


def organs(data: ReportData) -> StatTable:
    """The units most complained about (annual reports)."""
    return StatTable(
        ["序号", "被反映单位", "件数", year_base(data).name, "同比"],
        [
            [i, r.name, r.count, r.last_year, Change(r.count, r.last_year)]
            for i, r in enumerate(ranked(data.annual.organs), 1)
        ],
        [14, 70, 24, 24, 24],
    )


def dispatch(data: ReportData, indent: str = "　　　") -> StatTable:
    """转送, 交办, 督办 and the 督办 by state (annual reports); `indent` sets the states under 督办."""
    a = data.annual
    rows = [
        ["转送", a.forwarded],
        ["交办", a.assigned],
        ["督办", a.supervised],
        ["其中：已办结销号", a.supervision_closed],
        [f"{indent}已反馈待审核", a.supervision_answered],
        [f"{indent}升级督办", a.supervision_escalated],
    ]
    rest = a.supervised - a.supervision_answered - a.supervision_closed - a.supervision_escalated
    if rest > 0:
        rows.append([f"{indent}尚在督办中", rest])
    return StatTable(["项目", "件数"], rows, [70, 40])


def proposals(data: ReportData) -> StatTable:
    return StatTable(
        ["序号", "建议", "采纳情况"],
        [[i, p.text, adoption(p)] for i, p in enumerate(data.annual.proposals, 1)],
    )
