"""Numbers as the 信访形势分析报告 says them: counts with thousands separators, shares and changes
as percentages rounded half-up to one decimal (from the exact decimal, not a binary float), a
missing base said (无同期数据) instead of divided by, and Chinese ordinals for headings.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# kind -> (this period, the previous period) as the text names them
PERIOD_WORDS = {
    "monthly": ("本月", "上月"),
    "quarterly": ("本季度", "上季度"),
    "annual": ("本年度", "上年"),
}


def num(value: int) -> str:
    return f"{value:,}"


def one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent(ratio) -> str:
    """0.985 -> '98.5%' (half-up, from the decimal the caller gave, not its binary float)."""
    return f"{one_decimal(Decimal(str(ratio)) * 100)}%"


def share_text(part: int, total: int) -> str:
    return f"{one_decimal(Decimal(part) * 100 / Decimal(total))}%" if total else "—"


def change_pct(current: int, base: int | None) -> Decimal | None:
    if base is None or base == 0:
        return None
    return one_decimal(Decimal(current - base) * 100 / Decimal(base))


@dataclass(frozen=True)
class Base:
    label: str  # 同比 / 环比
    name: str  # 去年同期 / 上月 …
    missing: str  # 无同期数据 / 无上期数据


def year_base(data):
    return Base("同比", "上年" if data.kind == "annual" else "去年同期", "无同期数据")


def previous_base(data):
    return Base("环比", PERIOD_WORDS[data.kind][1], "无上期数据")


def change_text(current: int, base: int | None, how: Base, unit: str = "件") -> str:
    """'同比上升12.3%', '环比下降4.5%', '同比持平', '同比增加5件（去年同期为0）' or '无同期数据'."""
    if base is None:
        return how.missing
    if base == 0:
        return f"{how.label}持平" if current == 0 else f"{how.label}增加{num(current)}{unit}（{how.name}为0）"
    if current == base:
        return f"{how.label}持平"
    pct = change_pct(current, base)
    if pct == 0:
        return f"{how.label}基本持平"
    return f"{how.label}{'上升' if pct > 0 else '下降'}{abs(pct)}%"


def table_change(current: int, base: int | None) -> str:
    """The change as a table cell: '+12.3%', '-4.5%', '持平', '新增' (base 0) or '—' (no base)."""
    if base is None:
        return "—"
    if base == 0:
        return "持平" if current == 0 else "新增"
    pct = change_pct(current, base)
    return "持平" if current == base else f"{'+' if pct > 0 else ''}{pct}%"


DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十 (headings and 一是/二是 run far below 100)."""
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def ranked(rows):
    return sorted(rows, key=lambda r: -r.count)


# How many lines a ranking paragraph names before summing up the rest.
TOP = 5
# Names of a catch-all line (其他): no finding to act on.
OTHER = ("其他", "其它")


def adoption(proposal) -> str:
    """Whether a proposal was adopted, as the report says it."""
    return "已采纳" if proposal.adopted else "待答复" if proposal.adopted is None else "未采纳"


def this_column(data) -> str:
    """The tables' name for this period's column."""
    return "本年" if data.kind == "annual" else "本期"


@dataclass
class Section:
    """A part of the report's text: `key` names what follows it in the document (tables, charts)."""

    key: str
    heading: str  # without its number; level 1 (一、) or 2 (（一）)
    level: int
    paragraphs: list[str]


def numbered(sections):
    """(section, its numbered heading): 一、二、… for level 1, （一）（二）… under each."""
    level1 = level2 = 0
    for s in sections:
        if s.level == 1:
            level1, level2 = level1 + 1, 0
            yield s, f"{cn_number(level1)}、{s.heading}"
        else:
            level2 += 1
            yield s, f"（{cn_number(level2)}）{s.heading}"
