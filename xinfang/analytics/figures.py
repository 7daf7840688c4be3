"""What the analytics panels compute, as typed figures, before anyone lays them out.

`xinfang.analytics.panels` computes these from the column store; the dashboard's tables and charts
(`xinfang.analytics.display`) and the 信访形势分析报告 (`xinfang.analytics.situation_report`) are
both built from them, so neither reads a number back out of the other's layout.

Every count of a period may carry its two bases: `previous`, the period of the same length just
before (环比; for a calendar month or quarter, the previous month or quarter), and `last_year`, the
same dates a year earlier (同比). None means no data for that base. A `link` is the list of the
matters behind a count, for a reader who may open them (None otherwise). Plain Python, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


def change(current: int, base: int | None) -> float | None:
    """Relative change (0.25: up by a quarter), None when there is nothing to compare with."""
    if not base:
        return None
    return (current - base) / base


def share(part: int, total: int) -> float | None:
    """`part` as a fraction of `total`, None for an empty total."""
    return part / total if total else None


@dataclass(frozen=True)
class Count:
    """One figure of the period with its bases; `link` lists the matters behind `current`."""

    current: int
    previous: int | None = None
    last_year: int | None = None
    link: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: its name as printed, this period's count (件) and the same count
    for the previous period and for the same period last year. `key` is what the line stands for
    (a choice's value or a record's id); `share` its part of the breakdown's total; `link` the
    matters behind `count`; `narrow` the dashboard narrowed to this line (None when there is
    nothing below it); `parts` the lines one level further down (a district's townships)."""

    name: str
    count: int
    previous: int | None = None
    last_year: int | None = None
    key: int | str | None = field(default=None, compare=False)
    share: float | None = field(default=None, compare=False)
    link: str | None = field(default=None, compare=False)
    narrow: str | None = field(default=None, compare=False)
    parts: tuple[Row, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Breakdown:
    """The matters of the period by one dimension (`key`: channel, nature, category, division,
    unit, complained): lines largest first, leaving out those with nothing in any of the three
    periods; `total` is this period's count over every line, shown or not (the base of shares)."""

    key: str
    rows: list[Row]
    total: int


# How the tables name the summary's figures.
SUMMARY_LABELS = {
    "matters": "信访事项（件）",
    "people": "信访人次",
    "repeat_matters": "重复信访（件）",
    "collective_matters": "集体访（件）",
    "collective_people": "集体访（人次）",
}


@dataclass(frozen=True)
class Summary:
    """The period's totals: matters (件), people (人次, the sum of the matters' headcounts), repeat
    petitions, collective visits (件 and 人次)."""

    matters: Count
    people: Count
    repeat_matters: Count
    collective_matters: Count
    collective_people: Count


@dataclass(frozen=True)
class Lights:
    """Matters open now, and among them 临期 (warned, not yet due) and 超期 (past the deadline)."""

    open: int
    warning: int
    overdue: int


@dataclass(frozen=True)
class Held:
    """The open matters a unit holds now (its name and id), as counts with their lists."""

    name: str
    key: int
    open: Count
    warning: Count
    overdue: Count


@dataclass(frozen=True)
class Point:
    """One step of a trend: the day (or the month, from its first day in the period), this
    period's count and the count of the same step a year earlier."""

    first: date
    count: int
    last_year: int


@dataclass(frozen=True)
class Trend:
    """Counts per day, or per month (`by`) for periods longer than three months."""

    by: str  # "day" or "month"
    points: list[Point]


@dataclass(frozen=True)
class Month:
    """One calendar month: matters, repeat petitions and collective visits received in it."""

    first: date
    matters: Count
    repeat_matters: Count
    collective_matters: Count


@dataclass(frozen=True)
class Issue:
    """A second-level category among the most reported ones: `name` (e.g. 物业管理), `parent` its
    first-level category (e.g. 城乡建设; empty for a category without one), this period's count
    and last year's (None: not counted), and 0–2 titles of matters that illustrate it (ones the
    reader may open; none for a reader without matter access)."""

    name: str
    parent: str
    count: int
    last_year: int | None = None
    examples: tuple[str, ...] = ()
    link: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class OpenMatter:
    """A matter still open: its tracking code as displayed, title, the unit holding it, days since
    it was received (自然日); the day it was received and its page."""

    code: str
    title: str
    unit: str
    days_open: int
    received: date | None = field(default=None, compare=False)
    link: str | None = field(default=None, compare=False)
