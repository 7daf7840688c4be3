"""The figures of one 信访形势分析报告 (`ReportData`): plain values in, from which the narrative, the
.docx and the .xlsx are written without any database access. `data.gather` fills them from the
dashboard's panels and the records; tests may build them by hand.

Counts, breakdown lines, the most reported issues and the open matters are the panels' own types
(`xinfang.analytics.figures`).
"""

from dataclasses import dataclass, field
from datetime import date

from xinfang.analytics.figures import Count, Issue, OpenMatter, Row

KINDS = {"monthly": "月度", "quarterly": "季度", "annual": "年度"}


class ReportError(ValueError):
    """A report that cannot be made as asked; the message says why, in Chinese."""


# ReportData's rates and what the report calls them, in the order it names them.
RATES = {
    "accepted_on_time_rate": "按期受理率",
    "answered_on_time_rate": "按期答复率",
    "rated_rate": "参评率",
    "satisfaction_rate": "满意率",
}


@dataclass(frozen=True)
class Alert:
    """A warning raised in the period: `severity` as its label (红色/橙色/黄色), `text` what it says."""

    severity: str
    text: str


@dataclass(frozen=True)
class Proposal:
    """A proposal of the 信访部门 (改进工作/完善政策/追究责任建议) and whether it was adopted
    (None: no answer yet)."""

    text: str
    adopted: bool | None = None


@dataclass(frozen=True)
class AnnualItems:
    """What 《信访工作条例》 art. 41 asks the annual report to contain, beyond the year's statistics
    and categories (which ReportData carries for every kind).

    organs: the organs or units most complained about (被反映单位), with last year's counts;
    forwarded / assigned / supervised: the year's 转送, 交办 and 督办 (件);
    supervision_answered / _closed / _escalated: the year's 督办 by their state at the year's end
    (a 督办 counts once, in its latest state: 已反馈待审核, 已办结销号, 已升级督办); the rest are open;
    proposals: 改进工作、完善政策和追究责任建议 and whether they were adopted."""

    organs: list[Row]
    forwarded: int
    assigned: int
    supervised: int
    supervision_answered: int
    supervision_closed: int
    supervision_escalated: int
    proposals: list[Proposal] = field(default_factory=list)


@dataclass(kw_only=True)
class ReportData:
    """Every figure of one 信访形势分析报告. Counts are 件 (matters) unless named people (人次, the
    sum of the matters' headcounts). Rates are shares in [0, 1] (0.985 = 98.5%), None when the
    period had nothing to compute them on.

    kind: "monthly" | "quarterly" | "annual"; period_label: as printed ("2026年10月",
    "2026年第三季度", "2026年"); first_day / last_day: the period, inclusive;
    issuing_unit / issued_on: 发文机关署名 and 成文日期; area: the area the figures cover as the
    text names it (全市/全区/全县); addressee: 主送机关 ("市委、市政府"), or None for none;
    as_of: the day overdue_open and longest_open were counted (default: issued_on).

    matters / people: totals with their 环比 and 同比 bases; volume: (label, count) points of the
    period, per day ("10月1日") or per month for annual reports, `volume_by` naming the step (日/月);
    channels, natures, categories (first level), divisions (县区), handling_units (承办单位):
    breakdowns of `matters`; top_issues: the most reported second-level categories, most first;
    collective_matters / collective_people: 集体访 (件, 人次); repeat_matters: 重复信访 (件);
    accepted_on_time_rate: 按期受理率; answered_on_time_rate: 按期答复率 (办结/答复 in time);
    rated_rate: 参评率 (replied matters the petitioner rated); satisfaction_rate: 满意率 (rated
    matters rated 满意 or 基本满意); overdue_open: matters past a deadline and still open on as_of;
    longest_open: the open matters received longest ago, longest first (only those the reader may
    see; empty for a figures-only report); alerts: warnings raised in the period; annual: the
    art. 41 items, required for (and only for) the annual kind."""

    kind: str
    period_label: str
    first_day: date
    last_day: date
    issuing_unit: str
    issued_on: date
    area: str = "全市"
    addressee: str | None = None
    as_of: date | None = None
    matters: Count
    people: Count
    volume: list[tuple[str, int]] = field(default_factory=list)
    volume_by: str = "日"
    channels: list[Row] = field(default_factory=list)
    natures: list[Row] = field(default_factory=list)
    categories: list[Row] = field(default_factory=list)
    divisions: list[Row] = field(default_factory=list)
    handling_units: list[Row] = field(default_factory=list)
    top_issues: list[Issue] = field(default_factory=list)
    collective_matters: Count = Count(0)
    collective_people: Count = Count(0)
    repeat_matters: Count = Count(0)
    accepted_on_time_rate: float | None = None
    answered_on_time_rate: float | None = None
    rated_rate: float | None = None
    satisfaction_rate: float | None = None
    overdue_open: int = 0
    longest_open: list[OpenMatter] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    annual: AnnualItems | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"报告类型须为 {'/'.join(KINDS)}，得到 {self.kind!r}")
        if (self.kind == "annual") != (self.annual is not None):
            raise ValueError("年度报告须提供《信访工作条例》第四十一条事项（annual），其他报告不得提供")
        if self.first_day > self.last_day:
            raise ValueError("统计期间的起始日期晚于截止日期")
        for name in RATES:
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} 须为 0–1 之间的比例（如 0.985），得到 {value}")
        if self.as_of is None:
            self.as_of = self.issued_on

    @property
    def rates(self) -> list[tuple[str, float | None]]:
        """(name as printed, rate or None) in the order the report names them."""
        return [(label, getattr(self, name)) for name, label in RATES.items()]

    @property
    def title(self) -> str:
        return f"关于{self.period_label}{self.area}信访形势的分析报告"

    @property
    def annual_title(self) -> str:
        return f"{self.period_label.removesuffix('年')}年度信访工作报告事项"
