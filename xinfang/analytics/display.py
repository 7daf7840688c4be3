"""The dashboard's tables and charts, laid out from the panels' figures: each panel a titled table
(what the page shows, what its .xlsx export holds) with the drill-down link of every cell, and the
chart the page draws from the same figures.

`DASHBOARD` names the panels of the page in order; a name is also the panel's `export=` value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xinfang.core.xlsx_tables import TableSheet

from . import panels
from .figures import SUMMARY_LABELS, Breakdown, Held, Issue, Month, OpenMatter, Summary, Trend, change, share


@dataclass
class Table:
    """One panel: `rows` are lists of cell values; `links[i][j]` the drill-down of a cell or None."""

    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    links: list[list] = field(default_factory=list)
    chart: dict = field(default_factory=dict)
    note: str = ""

    export: str = ""  # the .xlsx link, set by the view

    @property
    def open(self) -> bool:
        """Tables without a chart are shown unfolded."""
        return not self.chart

    @property
    def cells(self):
        return [
            (list(zip(row, links, strict=True)), links)
            for row, links in zip(self.rows, self.links, strict=True)
        ]

    def add(self, row, links=None):
        self.rows.append(row)
        self.links.append(links or [None] * len(row))

    def sheet(self) -> TableSheet:
        """The table as a sheet of the .xlsx export."""
        return TableSheet(self.title[:31].replace("/", "、"), self.headers, self.rows, note=self.note)


def _pct(x):
    """A fraction as a percentage with one decimal, as the tables show it."""
    return None if x is None else round(x * 100, 1)


def _month(d) -> str:
    return f"{d.year}-{d.month:02d}"


def summary_table(s: Summary, selection) -> Table:
    t = Table("summary", "总体情况", ["指标", "本期", "同期", "同比(%)", "上期", "环比(%)"])
    lines = (
        ("matters", s.matters),
        ("people", s.people),
        ("repeat_matters", s.repeat_matters),
        ("collective_matters", s.collective_matters),
        ("collective_people", s.collective_people),
    )
    for name, c in lines:
        t.add(
            [
                SUMMARY_LABELS[name],
                c.current,
                c.last_year,
                _pct(change(c.current, c.last_year)),
                c.previous,
                _pct(change(c.current, c.previous)),
            ],
            [None, c.link, None, None, None, None],
        )
    return t


def trend_table(trend: Trend, selection) -> Table:
    if trend.by == "month":
        t = Table("trend", "信访量走势（按月）", ["月份", "本期（件）", "同期（件）"])
        labels = [_month(p.first) for p in trend.points]
    else:
        t = Table("trend", "信访量走势（按日）", ["日期", "本期（件）", "同期（件）"])
        labels = [p.first.isoformat() for p in trend.points]
    for label, p in zip(labels, trend.points, strict=True):
        t.add([label, p.count, p.last_year])
    now, before = [p.count for p in trend.points], [p.last_year for p in trend.points]
    t.chart = {"type": "line", "x": labels, "series": [["本期", now], ["同期", before]]}
    return t


def _breakdown_table(b: Breakdown, title: str) -> Table:
    """名称, 本期, 占比, 同期, 同比, 上期, 环比; the name narrows the dashboard, the count lists."""
    t = Table(b.key, title, ["名称", "本期（件）", "占比(%)", "同期", "同比(%)", "上期", "环比(%)"])
    for r in b.rows:
        t.add(
            [
                r.name,
                r.count,
                _pct(r.share),
                r.last_year,
                _pct(change(r.count, r.last_year)),
                r.previous,
                _pct(change(r.count, r.previous)),
            ],
            [r.narrow, r.link, None, None, None, None, None],
        )
    return t


def _bars(b: Breakdown, kind="bar") -> dict:
    return {
        "type": kind,
        "x": [r.name for r in b.rows],
        "series": [["本期", [r.count for r in b.rows]]],
        "links": [r.narrow for r in b.rows],
    }


def channel_table(b: Breakdown, selection) -> Table:
    t = _breakdown_table(b, "按信访方式")
    t.chart = _bars(b, "pie")
    return t


def nature_table(b: Breakdown, selection) -> Table:
    t = _breakdown_table(b, "按事项性质")
    t.chart = _bars(b)
    return t


def category_table(b: Breakdown, selection) -> Table:
    t = _breakdown_table(b, "按内容分类")
    t.chart = {
        "type": "bar",
        "x": [r.name for r in b.rows],
        "series": [["本期", [r.count for r in b.rows]], ["同期", [r.last_year for r in b.rows]]],
        "links": [r.narrow or r.link for r in b.rows],
    }
    return t


def division_table(b: Breakdown, selection) -> Table:
    """The divisions below the chosen one, and a treemap two levels deep: every block narrows the
    dashboard to its division."""
    t = _breakdown_table(b, "按问题属地")
    nodes = [
        {
            "name": r.name,
            "value": r.count,
            "link": selection.dashboard_link(division=r.key),
            "children": [
                {"name": g.name, "value": g.count, "link": selection.dashboard_link(division=g.key)}
                for g in r.parts
            ],
        }
        for r in b.rows
        if r.count
    ]
    t.chart = {"type": "treemap", "data": nodes}
    return t


def unit_table(b: Breakdown, selection) -> Table:
    t = _breakdown_table(b, f"按承办单位（前{panels.TOP}位）")
    t.chart = _bars(b)
    t.note = "承办单位：已转送交办的为承办单位，未转送交办的为当前责任单位。"
    return t


def backlog_table(held: list[Held], selection) -> Table:
    t = Table(
        "backlog", f"在办事项及期限（按当前责任单位，前{panels.TOP}位）", ["单位", "在办", "临期", "超期"]
    )
    for h in held:
        t.add(
            [h.name, h.open.current, h.warning.current, h.overdue.current],
            [None, h.open.link, h.warning.link, h.overdue.link],
        )
    t.chart = {
        "type": "stack",
        "x": [h.name for h in held],
        "series": [
            ["临期", [h.warning.current for h in held]],
            ["超期", [h.overdue.current for h in held]],
            ["其他在办", [h.open.current - h.warning.current - h.overdue.current for h in held]],
        ],
        "links": [h.open.link for h in held],
    }
    t.note = "在办事项不限收到日期。"
    return t


def repeat_table(months: list[Month], selection) -> Table:
    t = Table(
        "repeat", "重复信访与集体访（近12个月）", ["月份", "信访事项", "重复信访", "重复率(%)", "集体访"]
    )
    for m in months:
        total, rep, col = m.matters, m.repeat_matters, m.collective_matters
        t.add(
            [
                _month(m.first),
                total.current,
                rep.current,
                _pct(share(rep.current, total.current)),
                col.current,
            ],
            [None, total.link, rep.link, None, col.link],
        )
    t.chart = {
        "type": "line",
        "x": [_month(m.first) for m in months],
        "series": [
            ["重复信访", [m.repeat_matters.current for m in months]],
            ["集体访", [m.collective_matters.current for m in months]],
        ],
    }
    return t


def issues_table(issues: list[Issue], selection) -> Table:
    t = Table("top", "本期突出问题", ["问题（二级分类）", "件数", "示例事项"])
    for i in issues:
        name = f"{i.parent}·{i.name}" if i.parent else i.name
        t.add([name, i.count, "；".join(i.examples)], [None, i.link, None])
    return t


def longest_table(matters: list[OpenMatter], selection) -> Table:
    t = Table(
        "longest", "办理时间最长的在办事项", ["查询码", "标题", "当前责任单位", "收到日期", "已历时（天）"]
    )
    for m in matters:
        t.add(
            [m.code, m.title, m.unit, m.received.isoformat(), m.days_open],
            [m.link, None, None, None, None],
        )
    return t


# name -> (the panel's figures, their table)
PANELS = {
    "summary": (panels.summary, summary_table),
    "trend": (panels.trend, trend_table),
    "by_channel": (panels.by_channel, channel_table),
    "by_nature": (panels.by_nature, nature_table),
    "by_category": (panels.by_category, category_table),
    "by_division": (panels.by_division, division_table),
    "by_unit": (panels.by_unit, unit_table),
    "backlog": (panels.backlog, backlog_table),
    "repeat_collective": (panels.repeat_collective, repeat_table),
    "top_issues": (panels.top_issues, issues_table),
    "longest_open": (panels.longest_open, longest_table),
}
# The dashboard's panels in order; the list of the longest-open matters names matters, for those
# who may open them only (the view adds it).
DASHBOARD = [name for name in PANELS if name != "longest_open"]
COCKPIT = ["summary", "backlog", "top_issues"]


def table(name: str, selection) -> Table:
    """Panel `name` for `selection`, laid out."""
    figures, layout = PANELS[name]
    return layout(figures(selection), selection)
