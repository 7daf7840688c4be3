"""信访形势分析报告 (monthly, quarterly, annual): plain figures in (`ReportData`), documents out.

`narrative()` writes the text from the numbers only: shares, 同比 (against the same period last
year) and 环比 (against the previous period) are computed here, rounded half-up to one decimal;
a missing base says so (无同期数据) instead of dividing by zero, and the 下一步工作建议 are
triggered by what the figures show (the largest rise, overdue matters, low rates, warnings).
`render_report()` lays it out as a GB/T 9704 公文 with charts and numbered tables;
`render_tables_xlsx()` gives the same tables as a workbook. No database access here: the caller
(xinfang/analytics) gathers the figures.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from docx.shared import Pt

from xinfang.core.xlsx_tables import TableSheet, tables_xlsx

from . import charts
from .gongwen import Gongwen

KINDS = ("monthly", "quarterly", "annual")
# kind -> (this period, the previous period) as the text names them
PERIOD_WORDS = {
    "monthly": ("本月", "上月"),
    "quarterly": ("本季度", "上季度"),
    "annual": ("本年度", "上年"),
}
# A rate below this is named in 下一步工作建议 (按期受理/答复率, 满意率).
RATE_CONCERN = 0.9
# How many rows a ranking paragraph names before summing up the rest.
TOP = 5
TABLE_SIZE = Pt(12)  # 小四: the report's tables carry seven columns in the 156 mm text block


@dataclass(frozen=True)
class Count:
    """One figure for this period with its bases: `previous` is the previous period (上月/上季度;
    unused in annual reports, whose base is last year), `last_year` the same period last year.
    None means no data for that base (the system did not exist yet, or it was not counted)."""

    current: int
    previous: int | None = None
    last_year: int | None = None


@dataclass(frozen=True)
class Row:
    """One line of a breakdown (by channel, nature, category, division, unit, organ): its name as
    printed, this period's count (件), and the same counts for the previous period and for the same
    period last year (None: no data)."""

    name: str
    count: int
    previous: int | None = None
    last_year: int | None = None


@dataclass(frozen=True)
class Issue:
    """A second-level category among the most reported ones: `name` (e.g. 物业管理), `parent` its
    first-level category (e.g. 城乡建设), this period's and last year's counts, and 0–2 titles of
    matters that illustrate it (as registered: the caller picks ones the reader may see, none for
    a reader without matter access)."""

    name: str
    parent: str
    count: int
    last_year: int | None = None
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenMatter:
    """A matter still open: its tracking code as displayed, title, handling unit, days since it was
    received (自然日)."""

    code: str
    title: str
    unit: str
    days_open: int


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
    issuing_unit / issued_on: 发文机关署名 and 成文日期; scope: the area the figures cover as the
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
    scope: str = "全市"
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
        for name in ("accepted_on_time_rate", "answered_on_time_rate", "rated_rate", "satisfaction_rate"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} 须为 0–1 之间的比例（如 0.985），得到 {value}")
        if self.as_of is None:
            self.as_of = self.issued_on

    @property
    def title(self) -> str:
        return f"关于{self.period_label}{self.scope}信访形势的分析报告"

    @property
    def annual_title(self) -> str:
        return f"{self.period_label.removesuffix('年')}年度信访工作报告事项"


# ---------------------------------------------------------------- numbers as the text says them


def _n(value: int) -> str:
    return f"{value:,}"


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _percent(ratio) -> str:
    """0.985 -> '98.5%' (half-up, from the decimal the caller gave, not its binary float)."""
    return f"{_one_decimal(Decimal(str(ratio)) * 100)}%"


def _share(part: int, total: int) -> str:
    return f"{_one_decimal(Decimal(part) * 100 / Decimal(total))}%" if total else "—"


def _change_pct(current: int, base: int | None) -> Decimal | None:
    if base is None or base == 0:
        return None
    return _one_decimal(Decimal(current - base) * 100 / Decimal(base))


def _ratio(current: int, base: int | None) -> float | None:
    """The change as a ratio for the workbook (0.123 shown as 12.3%), None without a base."""
    return None if not base else (current - base) / base


@dataclass(frozen=True)
class _Base:
    label: str  # 同比 / 环比
    name: str  # 去年同期 / 上月 …
    missing: str  # 无同期数据 / 无上期数据


def _yoy(data):
    return _Base("同比", "上年" if data.kind == "annual" else "去年同期", "无同期数据")


def _mom(data):
    return _Base("环比", PERIOD_WORDS[data.kind][1], "无上期数据")


def _change(current: int, base: int | None, how: _Base, unit: str = "件") -> str:
    """'同比上升12.3%', '环比下降4.5%', '同比持平', '同比增加5件（去年同期为0）' or '无同期数据'."""
    if base is None:
        return how.missing
    if base == 0:
        return f"{how.label}持平" if current == 0 else f"{how.label}增加{_n(current)}{unit}（{how.name}为0）"
    if current == base:
        return f"{how.label}持平"
    pct = _change_pct(current, base)
    if pct == 0:
        return f"{how.label}基本持平"
    return f"{how.label}{'上升' if pct > 0 else '下降'}{abs(pct)}%"


def _table_change(current: int, base: int | None) -> str:
    """The change as a table cell: '+12.3%', '-4.5%', '持平', '新增' (base 0) or '—' (no base)."""
    if base is None:
        return "—"
    if base == 0:
        return "持平" if current == 0 else "新增"
    pct = _change_pct(current, base)
    return "持平" if current == base else f"{'+' if pct > 0 else ''}{pct}%"


_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十 (headings and 一是/二是 run far below 100)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def _ranked(rows):
    return sorted(rows, key=lambda r: -r.count)


def _rise_phrase(data, row, suffix):
    """'同比增加最多的是X类，增加48件，同比上升18.2%。' (or '…增加5件（去年同期为0）。')."""
    yoy = _yoy(data)
    text = f"同比增加最多的是{row.name}{suffix}，增加{_n(row.count - row.last_year)}件"
    if row.last_year:
        return text + f"，{_change(row.count, row.last_year, yoy)}。"
    return text + f"（{yoy.name}为0）。"


OTHER = ("其他", "其它")


def _biggest_rise(rows):
    """The row whose count rose most against last year (by 件), or None if none rose; a catch-all
    row (其他) is no finding to act on and is left out."""
    risen = [r for r in rows if r.last_year is not None and r.count > r.last_year and r.name not in OTHER]
    return max(risen, key=lambda r: r.count - r.last_year, default=None)


# ------------------------------------------------------------------------------- the narrative


@dataclass
class _Section:
    key: str
    heading: str  # without its number; level 1 (一、) or 2 (（一）)
    level: int
    paragraphs: list[str]


def _sections(data: ReportData) -> list[_Section]:
    this_word = PERIOD_WORDS[data.kind][0]
    total = data.matters.current
    out = [_Section("overview", "总体情况", 1, _overview(data))]
    out.append(_Section("features", "主要特点", 1, []))
    if data.channels:
        out.append(_Section("channels", "按信访方式", 2, [_channels(data, this_word)]))
    if data.categories or data.top_issues:
        out.append(_Section("categories", "按内容分类", 2, _categories(data)))
    # (section key, heading, rows, lead, suffix after a name, noun for "the other k …")
    breakdowns = [
        ("divisions", "按属地", data.divisions, "按属地分", "", "地区"),
        ("units", "按承办单位", data.handling_units, "按承办单位分", "", "承办单位"),
        ("natures", "按信访性质", data.natures, "按信访性质分", "类", "类别"),
    ]
    for key, heading, rows, lead, suffix, noun in breakdowns:
        if rows:
            out.append(_Section(key, heading, 2, [_breakdown(data, rows, lead, suffix, total, noun)]))
    out.append(_Section("collective", "集体访和重复信访", 2, [_collective(data, this_word)]))
    out.append(_Section("quality", "办理质效", 1, _quality(data, this_word)))
    out.append(_Section("risks", "预警与风险", 1, _risks(data, this_word)))
    out.append(_Section("advice", "下一步工作建议", 1, _advice(data, this_word)))
    return out


def _numbered(sections):
    level1 = level2 = 0
    for s in sections:
        if s.level == 1:
            level1, level2 = level1 + 1, 0
            yield s, f"{_cn_number(level1)}、{s.heading}"
        else:
            level2 += 1
            yield s, f"（{_cn_number(level2)}）{s.heading}"


def narrative(data: ReportData) -> list[tuple[str, list[str]]]:
    """The report's text as (numbered heading, paragraphs), in order; for the annual kind followed
    by the art. 41 attachment's sections (their numbering restarts, as in the attachment)."""
    out = [(heading, list(s.paragraphs)) for s, heading in _numbered(_sections(data))]
    if data.annual is not None:
        out += [(heading, list(s.paragraphs)) for s, heading in _numbered(_annual_sections(data))]
    return out


def _overview(data: ReportData) -> list[str]:
    m, p = data.matters, data.people
    yoy, mom = _yoy(data), _mom(data)
    if m.current == 0:
        text = f"{data.period_label}，{data.scope}信访部门未受理信访事项"
        if m.last_year:
            text += f"（{yoy.name}为{_n(m.last_year)}件）"
        return [text + "。"]
    text = f"{data.period_label}，{data.scope}信访部门共受理信访事项{_n(m.current)}件、{_n(p.current)}人次。"
    changes = []
    for what, c, unit in (("件数", m, "件"), ("人次", p, "人次")):
        parts = [_change(c.current, c.last_year, yoy, unit)]
        if data.kind != "annual":
            parts.append(_change(c.current, c.previous, mom, unit))
        changes.append(what + "，".join(parts))
    text += "其中" + "；".join(changes) + "。"
    days = (data.last_day - data.first_day).days + 1
    average = _one_decimal(Decimal(m.current) / Decimal(days))
    text += f"日均受理{average}件。"
    if data.channels:
        top = _ranked(data.channels)[0]
        text += f"从渠道看，{top.name}渠道最多，{_n(top.count)}件，占{_share(top.count, m.current)}。"
    if len(data.volume) >= 2:
        counts = [c for _, c in data.volume]
        high = max(range(len(counts)), key=counts.__getitem__)
        low = min(range(len(counts)), key=counts.__getitem__)
        if counts[high] != counts[low]:
            text += (
                f"从走势看，{data.volume[high][0]}受理量最高，为{_n(counts[high])}件；"
                f"{data.volume[low][0]}最低，为{_n(counts[low])}件。"
            )
    return [text]


def _row_phrase(data, row, total, suffix, with_mom=False):
    text = f"{row.name}{suffix}{_n(row.count)}件"
    if total:
        text += f"，占{_share(row.count, total)}"
    text += f"，{_change(row.count, row.last_year, _yoy(data))}"
    if with_mom and data.kind != "annual":
        text += f"，{_change(row.count, row.previous, _mom(data))}"
    return text


def _channels(data, this_word):
    rows = [r for r in _ranked(data.channels) if r.count]
    total = data.matters.current
    if not rows:
        return f"{this_word}各渠道均未受理信访事项。"
    if len(rows) == 1:
        r = rows[0]
        return f"{this_word}信访事项均通过{r.name}渠道反映，共{_n(r.count)}件，{_change(r.count, r.last_year, _yoy(data))}。"
    return "按信访方式分，" + "；".join(_row_phrase(data, r, total, "渠道") for r in rows) + "。"


def _breakdown(data, rows, lead, suffix, total, noun="项"):
    """'{lead}，A{suffix}N件，占x%，同比…；B…；其余k个共M件。' plus the biggest rise if unnamed."""
    rows = [r for r in _ranked(rows) if r.count]
    if not rows:
        return f"{lead}，均无信访事项。"
    if len(rows) == 1:
        r = rows[0]
        return f"{lead}，信访事项均集中在{r.name}{suffix}，共{_n(r.count)}件，{_change(r.count, r.last_year, _yoy(data))}。"
    shown, rest = rows[:TOP], rows[TOP:]
    text = lead + "，" + "；".join(_row_phrase(data, r, total, suffix) for r in shown)
    if rest:
        text += f"；其余{len(rest)}个{noun}共{_n(sum(r.count for r in rest))}件"
    text += "。"
    rise = _biggest_rise(rows)
    if rise is not None and rise not in shown:
        text += _rise_phrase(data, rise, suffix)
    return text


def _categories(data):
    total = data.matters.current
    rows = [r for r in _ranked(data.categories) if r.count]
    out = []
    if len(rows) == 1:
        r = rows[0]
        out.append(
            f"按内容分类，信访事项均为{r.name}类，共{_n(r.count)}件，{_change(r.count, r.last_year, _yoy(data))}。"
        )
    elif rows:
        shown = rows[:TOP]
        text = "按内容分类，" + "；".join(
            ("居首位的是" if i == 0 else "") + _row_phrase(data, r, total, "类") for i, r in enumerate(shown)
        )
        text += "。"
        if len(rows) > 3 and total:
            top3 = sum(r.count for r in rows[:3])
            text += f"前三类合计{_n(top3)}件，占{_share(top3, total)}。"
        rise = _biggest_rise(rows)
        if rise is not None:
            text += _rise_phrase(data, rise, "类")
        out.append(text)
    if data.top_issues:
        items = []
        for i, issue in enumerate(data.top_issues, 1):
            item = f"{_cn_number(i)}是{issue.name}问题（{issue.parent}类）{_n(issue.count)}件，"
            item += _change(issue.count, issue.last_year, _yoy(data))
            if issue.examples:
                item += "，如" + "".join(f"“{t}”" for t in issue.examples[:2])
            items.append(item)
        out.append("反映较为集中的具体问题：" + "；".join(items) + "。")
    return out


def _collective(data, this_word):
    cm, cp, rm = data.collective_matters, data.collective_people, data.repeat_matters
    yoy = _yoy(data)
    if cm.current:
        text = f"{this_word}发生集体访{_n(cm.current)}件、{_n(cp.current)}人次，件数{_change(cm.current, cm.last_year, yoy)}"
        text += f"，人次{_change(cp.current, cp.last_year, yoy, '人次')}"
        if data.people.current:
            text += f"，集体访人次占总人次的{_share(cp.current, data.people.current)}"
        text += "。"
    else:
        text = f"{this_word}未发生集体访"
        text += f"（{yoy.name}{_n(cm.last_year)}件）。" if cm.last_year else "。"
    if rm.current:
        text += f"重复信访{_n(rm.current)}件，{_change(rm.current, rm.last_year, yoy)}"
        if data.matters.current:
            text += f"，占信访事项总量的{_share(rm.current, data.matters.current)}"
        text += "。"
    else:
        text += "未发生重复信访" + (f"（{yoy.name}{_n(rm.last_year)}件）。" if rm.last_year else "。")
    return text


RATES = (
    ("accepted_on_time_rate", "按期受理率"),
    ("answered_on_time_rate", "按期答复率"),
    ("rated_rate", "参评率"),
    ("satisfaction_rate", "满意率"),
)


def _quality(data, this_word):
    known = [(label, getattr(data, name)) for name, label in RATES if getattr(data, name) is not None]
    unknown = [label for name, label in RATES if getattr(data, name) is None]
    out = []
    if known:
        text = f"{this_word}" + "，".join(f"{label}{_percent(v)}" for label, v in known) + "。"
    else:
        text = ""
    if unknown:
        text += f"{this_word}无可计算{'、'.join(unknown)}的事项。"
    out.append(text)
    as_of = f"截至{data.as_of.year}年{data.as_of.month}月{data.as_of.day}日"
    if data.overdue_open:
        text = f"{as_of}，仍有{_n(data.overdue_open)}件信访事项超期未办结。"
    else:
        text = f"{as_of}，无超期未办结的信访事项。"
    if data.longest_open:
        items = [
            f"{m.unit}承办的“{m.title}”（{m.code}），已{_n(m.days_open)}日" for m in data.longest_open[:3]
        ]
        text += "在办时间最长的是：" + "；".join(items) + "。"
    out.append(text)
    return out


def _risks(data, this_word):
    if not data.alerts:
        return [f"{this_word}未产生预警。"]
    tally = {}
    for a in data.alerts:
        tally[a.severity] = tally.get(a.severity, 0) + 1
    text = f"{this_word}共产生预警{_n(len(data.alerts))}条"
    if len(tally) > 1:
        text += "，其中" + "、".join(f"{s}{n}条" for s, n in tally.items())
    elif data.alerts:
        text += f"，均为{data.alerts[0].severity}预警"
    out = [text + "。"]
    shown = data.alerts[:10]
    out += [f"{i}．{a.text.rstrip('。')}（{a.severity}）。" for i, a in enumerate(shown, 1)]
    if len(data.alerts) > len(shown):
        out.append(f"另有{_n(len(data.alerts) - len(shown))}条预警，详见统计表。")
    return out


def _advice(data, this_word):
    yoy = _yoy(data)
    items = []
    rise = _biggest_rise(data.categories)
    if rise is not None:
        items.append(
            f"加强{rise.name}领域信访问题研判化解。{this_word}{rise.name}类信访{_n(rise.count)}件，"
            f"{_change(rise.count, rise.last_year, yoy)}"
            + (f"，增加{_n(rise.count - rise.last_year)}件" if rise.last_year else "")
            + "，增量居各类之首，"
            "建议督促相关职能部门排查共性问题，从源头上减少信访增量。"
        )
    rise = _biggest_rise(data.divisions)
    if rise is not None:
        items.append(
            f"压实{rise.name}属地责任。{this_word}{rise.name}信访{_n(rise.count)}件，"
            f"{_change(rise.count, rise.last_year, yoy)}，增量居各地之首，建议加强工作指导和督导。"
        )
    if data.overdue_open:
        text = f"加大超期事项督办力度。目前仍有{_n(data.overdue_open)}件信访事项超期未办结"
        if data.longest_open:
            m = data.longest_open[0]
            text += f"，其中{m.unit}承办的“{m.title}”已{_n(m.days_open)}日"
        items.append(text + "，建议逐件督办、限期办结。")
    slow = [
        (label, getattr(data, name))
        for name, label in RATES[:2]
        if getattr(data, name) is not None and getattr(data, name) < RATE_CONCERN
    ]
    if slow:
        items.append(
            f"提高按期办理水平。{this_word}"
            + "，".join(f"{label}为{_percent(v)}" for label, v in slow)
            + "，建议对逾期环节逐一分析原因，落实办理时限要求。"
        )
    if data.satisfaction_rate is not None and data.satisfaction_rate < RATE_CONCERN:
        items.append(
            f"提升群众满意度。{this_word}满意率为{_percent(data.satisfaction_rate)}，"
            "建议对不满意事项逐件回访，查找办理中的问题。"
        )
    cm = data.collective_matters
    if cm.last_year is not None and cm.current > cm.last_year:
        items.append(
            f"防范化解集体访风险。{this_word}集体访{_n(cm.current)}件，{_change(cm.current, cm.last_year, yoy)}，"
            "建议加强矛盾纠纷排查，及早介入、就地化解。"
        )
    rm = data.repeat_matters
    if rm.last_year is not None and rm.current > rm.last_year:
        items.append(
            f"推进重复信访治理。{this_word}重复信访{_n(rm.current)}件，{_change(rm.current, rm.last_year, yoy)}，"
            "建议对重复信访事项逐件梳理，落实化解责任。"
        )
    red = sum(1 for a in data.alerts if a.severity.startswith("红"))
    if red:
        items.append(
            f"妥善处置预警事项。{this_word}产生红色预警{_n(red)}条，建议逐条明确责任单位，跟踪处置到位。"
        )
    if not items:
        return [
            f"{this_word}各项指标未触发专项建议，建议继续做好信访事项受理、办理和回访工作，巩固现有工作成效。"
        ]
    if len(items) == 1:
        return items
    return [f"{_cn_number(i)}是{text}" for i, text in enumerate(items, 1)]


def _annual_sections(data):
    a = data.annual
    yoy = _yoy(data)
    m = data.matters
    stats = (
        f"{data.period_label}，{data.scope}信访部门共受理信访事项{_n(m.current)}件、{_n(data.people.current)}人次，"
        f"{_change(m.current, m.last_year, yoy)}。其中集体访{_n(data.collective_matters.current)}件、"
        f"{_n(data.collective_people.current)}人次，重复信访{_n(data.repeat_matters.current)}件。"
    )
    rows = [r for r in _ranked(data.categories) if r.count and r.name not in OTHER]
    if rows:
        fields = "、".join(f"{r.name}（{_n(r.count)}件）" for r in rows[:TOP])
        stats_fields = f"信访事项主要涉及{fields}等领域。"
    else:
        stats_fields = "本年度无分类统计数据。"
    organs = [r for r in _ranked(a.organs) if r.count]
    if organs:
        organ_text = (
            "被投诉较多的机关或者单位依次为："
            + "；".join(
                f"{r.name}{_n(r.count)}件，{_change(r.count, r.last_year, yoy)}" for r in organs[:TOP]
            )
            + "。"
        )
    else:
        organ_text = "本年度无被反映机关或者单位的统计数据。"
    dispatch = f"本年度转送信访事项{_n(a.forwarded)}件，交办{_n(a.assigned)}件，督办{_n(a.supervised)}件。"
    if a.supervised:
        rest = a.supervised - a.supervision_answered - a.supervision_closed - a.supervision_escalated
        dispatch += (
            f"督办事项中，已办结销号{_n(a.supervision_closed)}件，已反馈待审核{_n(a.supervision_answered)}件，"
            f"升级督办{_n(a.supervision_escalated)}件"
        )
        dispatch += f"，尚在督办中{_n(rest)}件。" if rest > 0 else "。"
        dispatch += f"督办办结率{_share(a.supervision_closed, a.supervised)}。"
    if a.proposals:
        adopted = sum(1 for p in a.proposals if p.adopted)
        pending = sum(1 for p in a.proposals if p.adopted is None)
        proposal_text = [
            f"本年度提出改进工作、完善政策和追究责任建议{_n(len(a.proposals))}条，已被采纳{_n(adopted)}条"
            + (f"，尚待答复{_n(pending)}条" if pending else "")
            + "。"
        ]
        proposal_text += [
            f"{i}．{p.text.rstrip('。')}（{'已采纳' if p.adopted else '待答复' if p.adopted is None else '未采纳'}）。"
            for i, p in enumerate(a.proposals, 1)
        ]
    else:
        proposal_text = ["本年度系统中未登记改进工作、完善政策和追究责任建议。"]
    return [
        _Section("art41_stats", "信访事项数据统计和涉及领域", 1, [stats, stats_fields]),
        _Section("art41_organs", "被投诉较多的机关或者单位", 1, [organ_text]),
        _Section("art41_dispatch", "转送、交办、督办情况", 1, [dispatch]),
        _Section("art41_proposals", "改进工作、完善政策和追究责任建议及采纳情况", 1, proposal_text),
    ]


# ------------------------------------------------------------------------------------- tables


def _summary_rows(data):
    """(指标, Count) rows of the summary table."""
    return [
        ("信访事项（件）", data.matters),
        ("信访人次", data.people),
        ("集体访（件）", data.collective_matters),
        ("集体访（人次）", data.collective_people),
        ("重复信访（件）", data.repeat_matters),
    ]


def _summary_table(data):
    annual = data.kind == "annual"
    yoy = _yoy(data)
    if annual:
        header = ["指标", "本年", yoy.name, "同比"]
        rows = [
            [n, c.current, c.last_year, _table_change(c.current, c.last_year)] for n, c in _summary_rows(data)
        ]
        return header, rows, [60, 32, 32, 32]
    header = ["指标", "本期", _mom(data).name, "环比", yoy.name, "同比"]
    rows = [
        [
            n,
            c.current,
            c.previous,
            _table_change(c.current, c.previous),
            c.last_year,
            _table_change(c.current, c.last_year),
        ]
        for n, c in _summary_rows(data)
    ]
    return header, rows, [40, 22, 22, 24, 24, 24]


def _breakdown_table(data, rows, first):
    total = data.matters.current
    yoy = _yoy(data)
    rows = _ranked(rows)
    if data.kind == "annual":
        header = [first, "本年", "占比", yoy.name, "同比"]
        body = [
            [r.name, r.count, _share(r.count, total), r.last_year, _table_change(r.count, r.last_year)]
            for r in rows
        ]
        return header, body, [56, 25, 25, 25, 25]
    header = [first, "本期", "占比", _mom(data).name, "环比", yoy.name, "同比"]
    body = [
        [
            r.name,
            r.count,
            _share(r.count, total),
            r.previous,
            _table_change(r.count, r.previous),
            r.last_year,
            _table_change(r.count, r.last_year),
        ]
        for r in rows
    ]
    return header, body, [36, 18, 20, 18, 21, 22, 21]


def _add_table(doc, title, header, rows, widths):
    numeric = set(range(1, len(header)))
    doc.table(
        header,
        [["—" if v is None else v for v in row] for row in rows],
        title=title,
        numeric=numeric,
        widths_mm=widths,
        size=TABLE_SIZE,
    )


# -------------------------------------------------------------------------------------- .docx


def render_report(data: ReportData) -> bytes:
    """The report as .docx bytes in the 公文 layout, with charts and numbered tables."""
    doc = Gongwen()
    doc.title(data.title)
    if data.addressee:
        doc.salutation(data.addressee.rstrip("：:") + "：")
    for section, heading in _numbered(_sections(data)):
        (doc.heading1 if section.level == 1 else doc.heading2)(heading)
        for text in section.paragraphs:
            doc.paragraph(text)
        EXTRAS.get(section.key, lambda doc, data: None)(doc, data)
    if data.annual is not None:
        doc.attachment_note(f"{data.annual_title}（《信访工作条例》第四十一条）")
    doc.signature(data.issuing_unit, data.issued_on)
    if data.annual is not None:
        doc.attachment(data.annual_title, subtitle="（依据《信访工作条例》第四十一条）")
        for section, heading in _numbered(_annual_sections(data)):
            doc.heading1(heading)
            for text in section.paragraphs:
                doc.paragraph(text)
            ANNUAL_EXTRAS.get(section.key, lambda doc, data: None)(doc, data)
    return doc.to_bytes()


def _overview_extras(doc, data):
    header, rows, widths = _summary_table(data)
    _add_table(doc, f"{data.period_label}信访总体情况", header, rows, widths)
    if len(data.volume) >= 2:
        png = charts.volume_line([label for label, _ in data.volume], [c for _, c in data.volume])
        doc.image(png, 150, f"{data.period_label}信访事项受理量走势（按{data.volume_by}）")


def _channel_extras(doc, data):
    rows = [r for r in _ranked(data.channels) if r.count]
    if len(rows) >= 2:
        doc.image(charts.channel_bars([r.name for r in rows], [r.count for r in rows]), 140, "信访方式分布")
    _add_table(doc, "按信访方式统计", *_breakdown_table(data, data.channels, "信访方式"))


def _category_extras(doc, data):
    rows = [r for r in _ranked(data.categories) if r.count or r.last_year]
    if rows:
        shown = rows[:10]
        png = charts.category_bars(
            [r.name for r in shown],
            [r.count for r in shown],
            [r.last_year for r in shown],
            this_label="本年" if data.kind == "annual" else "本期",
            last_label=_yoy(data).name,
        )
        doc.image(png, 150, "主要内容分类信访量同比" if len(rows) <= 10 else "信访量居前十位的内容分类同比")
        _add_table(doc, "按内容分类统计", *_breakdown_table(data, data.categories, "内容分类"))


def _table_only(rows_of, first, title):
    def extras(doc, data):
        rows = rows_of(data)
        if rows:
            _add_table(doc, title, *_breakdown_table(data, rows, first))

    return extras


def _quality_extras(doc, data):
    rows = [
        [label, "—" if getattr(data, name) is None else _percent(getattr(data, name))]
        for name, label in RATES
    ]
    rows.append(["超期未办结事项（件）", data.overdue_open])
    doc.table(["指标", "数值"], rows, title="办理质效", numeric={1}, widths_mm=[70, 40], size=TABLE_SIZE)
    if data.longest_open:
        doc.table(
            ["查询码", "事项", "承办单位", "在办天数"],
            [[m.code, m.title, m.unit, m.days_open] for m in data.longest_open],
            title="在办时间最长的信访事项",
            numeric={3},
            widths_mm=[30, 66, 40, 20],
            size=TABLE_SIZE,
        )


EXTRAS = {
    "overview": _overview_extras,
    "channels": _channel_extras,
    "categories": _category_extras,
    "divisions": _table_only(lambda d: d.divisions, "地区", "按属地统计"),
    "units": _table_only(lambda d: d.handling_units, "承办单位", "按承办单位统计"),
    "natures": _table_only(lambda d: d.natures, "信访性质", "按信访性质统计"),
    "quality": _quality_extras,
}


def _dispatch_rows(a):
    rows = [
        ["转送", a.forwarded],
        ["交办", a.assigned],
        ["督办", a.supervised],
        ["其中：已办结销号", a.supervision_closed],
        ["　　　已反馈待审核", a.supervision_answered],
        ["　　　升级督办", a.supervision_escalated],
    ]
    rest = a.supervised - a.supervision_answered - a.supervision_closed - a.supervision_escalated
    if rest > 0:
        rows.append(["　　　尚在督办中", rest])
    return rows


def _organ_table(data):
    yoy = _yoy(data)
    return (
        ["序号", "被反映单位", "件数", yoy.name, "同比"],
        [
            [i, r.name, r.count, r.last_year, _table_change(r.count, r.last_year)]
            for i, r in enumerate(_ranked(data.annual.organs), 1)
        ],
        [14, 70, 24, 24, 24],
    )


def _art41_stats_extras(doc, data):
    _add_table(doc, "年度信访数据统计", *_summary_table(data))
    if data.categories:
        _add_table(doc, "信访事项涉及领域", *_breakdown_table(data, data.categories, "内容分类"))


def _art41_organ_extras(doc, data):
    if data.annual.organs:
        _add_table(doc, "被投诉较多的机关或者单位", *_organ_table(data))


def _art41_dispatch_extras(doc, data):
    doc.table(
        ["项目", "件数"],
        _dispatch_rows(data.annual),
        title="转送、交办、督办情况",
        numeric={1},
        widths_mm=[70, 40],
        size=TABLE_SIZE,
    )


ANNUAL_EXTRAS = {
    "art41_stats": _art41_stats_extras,
    "art41_organs": _art41_organ_extras,
    "art41_dispatch": _art41_dispatch_extras,
}


# --------------------------------------------------------------------------------------- .xlsx


def _sheets(data):
    """(sheet name, header, rows, percent columns) of every statistical table; annual reports
    have no previous-period columns (their base is last year)."""
    annual = data.kind == "annual"
    yoy, mom = _yoy(data), _mom(data)
    total = data.matters.current
    this = "本年" if annual else "本期"

    def changes(name, current, previous, last_year, share=()):
        """[name, current, (share), (previous, 环比), last year, 同比] and its percent columns."""
        row = [name, current, *share]
        if not annual:
            row += [previous, _ratio(current, previous)]
        row += [last_year, _ratio(current, last_year)]
        return row

    def header(first, with_share):
        cols = [first, this] + (["占比"] if with_share else [])
        if not annual:
            cols += [mom.name, "环比"]
        return cols + [yoy.name, "同比"]

    def percent_columns(cols):
        return {i for i, c in enumerate(cols) if c in ("占比", "环比", "同比")}

    cols = header("指标", False)
    sheets = [
        (
            "总体情况",
            cols,
            [changes(n, c.current, c.previous, c.last_year) for n, c in _summary_rows(data)],
            percent_columns(cols),
        )
    ]
    for name, rows, first in (
        ("信访方式", data.channels, "信访方式"),
        ("信访性质", data.natures, "信访性质"),
        ("内容分类", data.categories, "内容分类"),
        ("属地", data.divisions, "地区"),
        ("承办单位", data.handling_units, "承办单位"),
    ):
        cols = header(first, True)
        sheets.append(
            (
                name,
                cols,
                [
                    changes(r.name, r.count, r.previous, r.last_year, [r.count / total if total else None])
                    for r in _ranked(rows)
                ],
                percent_columns(cols),
            )
        )
    # 典型事项 and 在办时间最长 name matters: left out when there are none to name (a report for
    # a reader without matter access has none), as the document leaves out the table
    with_examples = any(t.examples for t in data.top_issues)
    sheets.append(
        (
            "主要问题",
            ["序号", "问题", "所属类别", "件数", yoy.name, "同比"] + (["典型事项"] if with_examples else []),
            [
                [i, t.name, t.parent, t.count, t.last_year, _ratio(t.count, t.last_year)]
                + (["；".join(t.examples)] if with_examples else [])
                for i, t in enumerate(data.top_issues, 1)
            ],
            {5},
        )
    )
    sheets.append(("走势", ["时间", "件数"], [[label, c] for label, c in data.volume], set()))
    rates = [
        [label, None if getattr(data, name) is None else float(getattr(data, name))] for name, label in RATES
    ]
    sheets.append(("办理质效", ["指标", "数值"], rates + [["超期未办结事项（件）", data.overdue_open]], {1}))
    if data.longest_open:
        sheets.append(
            (
                "在办时间最长",
                ["查询码", "事项", "承办单位", "在办天数"],
                [[m.code, m.title, m.unit, m.days_open] for m in data.longest_open],
                set(),
            )
        )
    sheets.append(
        (
            "预警",
            ["序号", "级别", "内容"],
            [[i, a.severity, a.text] for i, a in enumerate(data.alerts, 1)],
            set(),
        )
    )
    if data.annual is not None:
        a = data.annual
        sheets.append(
            (
                "被反映单位",
                ["序号", "被反映单位", "件数", yoy.name, "同比"],
                [
                    [i, r.name, r.count, r.last_year, _ratio(r.count, r.last_year)]
                    for i, r in enumerate(_ranked(a.organs), 1)
                ],
                {4},
            )
        )
        sheets.append(
            ("转送交办督办", ["项目", "件数"], [[n.strip("\u3000"), v] for n, v in _dispatch_rows(a)], set())
        )
        sheets.append(
            (
                "建议及采纳",
                ["序号", "建议", "采纳情况"],
                [
                    [i, p.text, "已采纳" if p.adopted else "待答复" if p.adopted is None else "未采纳"]
                    for i, p in enumerate(a.proposals, 1)
                ],
                set(),
            )
        )
    return sheets


def render_tables_xlsx(data: ReportData) -> bytes:
    """The report's statistical tables as a workbook, one sheet each."""
    return tables_xlsx([TableSheet(*sheet) for sheet in _sheets(data)])
