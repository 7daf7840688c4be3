"""Dashboard panels: each one a titled table (what the chart draws, what .xlsx exports) computed
from the column store, with links down to the matters behind every count.

Periods: 同比 is the same dates a year earlier, 环比 the period of the same length just before
(for a calendar month or quarter, the previous month or quarter).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

import numpy as np
from django.db.models import QuerySet
from django.urls import reverse

from xinfang.org.models import Unit
from xinfang.petitions.models import Matter
from xinfang.supervision import scores
from xinfang.supervision.scorecard import score

from .frame import Filter, Frame, day_number

TOP = 15
EXAMPLE_CHUNK = 500  # matter ids looked up at a time when picking example titles


@dataclass
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def label(self) -> str:
        f, e = self.first, self.last
        if f.day == 1 and e == _month_end(e) and (f.year, f.month) == (e.year, e.month):
            return f"{f.year}年{f.month}月"
        if (f.month, f.day, e.month, e.day) == (1, 1, 12, 31) and f.year == e.year:
            return f"{f.year}年"
        if (
            f.day == 1
            and e == _month_end(e)
            and f.year == e.year
            and f.month % 3 == 1
            and e.month == f.month + 2
        ):
            return f"{f.year}年第{'一二三四'[f.month // 3]}季度"
        return f"{f.year}年{f.month}月{f.day}日至{e.year}年{e.month}月{e.day}日"

    def last_year(self) -> Period:
        return Period(_year_back(self.first), _year_back(self.last))

    def previous(self) -> Period:
        f, e = self.first, self.last
        if f.day == 1 and e == _month_end(e):  # whole months: the same number of months before
            months = (e.year - f.year) * 12 + e.month - f.month + 1
            start = _add_months(f, -months)
            return Period(start, _month_end(_add_months(start, months - 1)))
        return Period(f - timedelta(days=self.days), f - timedelta(days=1))


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


def _year_back(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def change(now: int, before: int | None) -> float | None:
    """Relative change, None when there is nothing to compare with."""
    if not before:
        return None
    return (now - before) / before


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


def readable(user) -> QuerySet | None:
    """The matters `user` may open, or None for a reader without matter access (analysts,
    administrators, auditors, and the command line without a user): they get figures only."""
    if user is None or not user.does_casework:
        return None
    return Matter.objects.visible_to(user)


@dataclass
class Scope:
    """What a dashboard shows: the period, the filters (codes and tree positions) and the user's
    territory. `params` are the filters as they appear in the URL. `visible` is what `readable`
    gives for the reader: the matters a table may name (查询码, titles) and link to."""

    frame: Frame
    period: Period
    today: date
    channel: int | None = None
    nature: int | None = None
    category: int | None = None  # tree positions
    division: int = 0
    home: int = 0  # the user's territory (a division position): links never leave it
    unit: int | None = None
    visible: QuerySet | None = None
    unit_root: str = ""  # path of the unit whose subtree the user oversees (unit scores)
    params: dict = field(default_factory=dict)

    @property
    def can_list(self) -> bool:
        """Whether the reader may open matters and matter lists (drill-down)."""
        return self.visible is not None

    def filter(self, period: Period | None = None) -> Filter:
        p = period or self.period
        fr = self.frame

        def span(tree, pos):
            return None if pos is None else (pos, tree.end[pos])

        return Filter(
            day_number(p.first),
            day_number(p.last),
            (self.channel,) if self.channel is not None else (),
            (self.nature,) if self.nature is not None else (),
            span(fr.categories, self.category),
            span(fr.divisions, self.division),
            span(fr.units, self.unit),
        )

    def selection(self, period=None, whole_history=False):
        return self.frame.select(self.filter(period), whole_history=whole_history)

    def dashboard_link(self, **changes) -> str:
        params = {**self.params, **{k: v for k, v in changes.items()}}
        return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

    def list_link(self, period: Period | None = None, **extra) -> str | None:
        """The matter list (全部事项) with the same filters, for the drill-down."""
        if not self.can_list:
            return None
        p = period or self.period
        fr = self.frame
        query = {"tab": "all", "received_from": p.first.isoformat(), "received_to": p.last.isoformat()}
        if self.channel is not None:
            query["channel"] = fr.channels[self.channel][0]
        if self.nature is not None:
            query["nature"] = fr.natures[self.nature][0]
        if self.category is not None:
            query["category"] = fr.categories.ids[self.category]
        query["division"] = fr.divisions.ids[self.division]
        if self.unit is not None:
            query["unit"] = fr.units.ids[self.unit]
        query.update({k: v for k, v in extra.items() if v is not None})
        if extra.get("whole_history"):
            query.pop("received_from")
            query.pop("received_to")
            query.pop("whole_history")
        return reverse("petitions:queue") + "?" + urlencode(query)


def _compare(scope: Scope, column: str, size: int, extra: str | None = None):
    """Counts per code of `column` for the period, 同比 and 环比."""
    out = []
    for period in (scope.period, scope.period.last_year(), scope.period.previous()):
        sel = scope.selection(period)
        mask = scope.frame.extra(sel, extra) if extra else None
        out.append(scope.frame.count_by(column, sel, size, mask))
    return out


def _pct(x):
    return None if x is None else round(x * 100, 1)


def summary(scope: Scope) -> Table:
    fr = scope.frame
    t = Table("summary", "总体情况", ["指标", "本期", "同期", "同比(%)", "上期", "环比(%)"])
    periods = (scope.period, scope.period.last_year(), scope.period.previous())
    sels = [scope.selection(p) for p in periods]

    def line(label, values, link=None):
        now, ly, prev = values
        t.add(
            [label, now, ly, _pct(change(now, ly)), prev, _pct(change(now, prev))],
            [None, link, None, None, None, None],
        )

    line("信访事项（件）", [fr.count(s) for s in sels], scope.list_link())
    line("信访人次", [int(fr.values("heads", s).sum()) for s in sels])
    line("重复信访（件）", [fr.count(s, fr.extra(s, "repeat")) for s in sels], scope.list_link(repeat=1))
    line(
        "集体访（件）", [fr.count(s, fr.extra(s, "collective")) for s in sels], scope.list_link(collective=1)
    )
    collective_heads = [int(fr.values("heads", s, fr.extra(s, "collective")).sum()) for s in sels]
    line("集体访（人次）", collective_heads)
    return t


def backlog_totals(scope: Scope) -> dict[str, int]:
    """Open, 临期 and 超期 now, over the whole history (the period does not apply to a backlog)."""
    sel = scope.selection(whole_history=True)
    lights = scope.frame.deadline_lights(sel, day_number(scope.today))
    return {name: int(np.count_nonzero(mask)) for name, mask in lights.items()}


def trend(scope: Scope) -> Table:
    """Daily counts (monthly beyond three months), this period beside the same period last year."""
    fr = scope.frame
    p, ly = scope.period, scope.period.last_year()
    first, last = day_number(p.first), day_number(p.last)
    now = fr.per_day(scope.selection(), first, last)
    before = fr.per_day(scope.selection(ly), day_number(ly.first), day_number(ly.last))
    before = np.resize(before, len(now)) if len(before) else np.zeros_like(now)
    days = [p.first + timedelta(days=i) for i in range(len(now))]
    if p.days > 92:
        labels, a, b = [], [], []
        for d, x, y in zip(days, now, before, strict=True):
            key = f"{d.year}-{d.month:02d}"
            if not labels or labels[-1] != key:
                labels.append(key)
                a.append(0)
                b.append(0)
            a[-1] += int(x)
            b[-1] += int(y)
        t = Table("trend", "信访量走势（按月）", ["月份", "本期（件）", "同期（件）"])
    else:
        labels = [d.isoformat() for d in days]
        a, b = [int(x) for x in now], [int(y) for y in before]
        t = Table("trend", "信访量走势（按日）", ["日期", "本期（件）", "同期（件）"])
    for label, x, y in zip(labels, a, b, strict=True):
        t.add([label, x, y])
    t.chart = {"type": "line", "x": labels, "series": [["本期", a], ["同期", b]]}
    return t


def _compare_table(key: str, title: str, entries, total: int) -> Table:
    """Rows of 名称, 本期, 占比, 同期, 同比, 上期, 环比, largest first, leaving out what has nothing in
    any of the three periods. entries: (name, now, last year, previous, narrowing link, list link)."""
    t = Table(key, title, ["名称", "本期（件）", "占比(%)", "同期", "同比(%)", "上期", "环比(%)"])
    for name, n, ly, prev, narrow, listed in sorted(entries, key=lambda e: -e[1]):
        if n or ly or prev:
            t.add(
                [
                    name,
                    n,
                    _pct(n / total) if total else None,
                    ly,
                    _pct(change(n, ly)),
                    prev,
                    _pct(change(n, prev)),
                ],
                [narrow, listed, None, None, None, None, None],
            )
    return t


def _breakdown(scope, key, title, names, column, size, link_for, dashboard, positions=None, counts=None):
    """Counts per code of `column` (all codes, or the chosen `positions`), with a bar chart.
    `counts`: the (period, 同比, 环比) counts when the caller has them already."""
    now, ly, prev = counts or _compare(scope, column, size)
    entries = [
        (names[i], int(now[i]), int(ly[i]), int(prev[i]), dashboard(i), link_for(i))
        for i in (positions if positions is not None else range(size))
    ]
    t = _compare_table(key, title, entries, int(now.sum()))
    t.chart = {
        "type": "bar",
        "x": [r[0] for r in t.rows],
        "series": [["本期", [r[1] for r in t.rows]]],
        "links": [links[0] for links in t.links],
    }
    return t


def _by_choice(scope: Scope, name: str, title: str) -> Table:
    """A breakdown over a choice column (channel, nature): column, URL parameter and the frame's
    list of (code, label) share the name."""
    choices = getattr(scope.frame, name + "s")
    return _breakdown(
        scope,
        name,
        title,
        [label for _c, label in choices],
        name,
        len(choices),
        lambda i: scope.list_link(**{name: choices[i][0]}),
        dashboard=lambda i: scope.dashboard_link(**{name: choices[i][0]}),
    )


def by_channel(scope: Scope) -> Table:
    t = _by_choice(scope, "channel", "按信访方式")
    t.chart["type"] = "pie"
    return t


def by_nature(scope: Scope) -> Table:
    return _by_choice(scope, "nature", "按事项性质")


def _rolled(scope: Scope, tree, column: str, parent: int):
    """Per child of `parent` (or `parent` itself when it has none), the counts of its subtree:
    this period, 同比 and 环比."""
    children = tree.children(parent) or ([parent] if parent >= 0 else [])
    out = []
    for counts in _compare(scope, column, len(tree.ids)):
        out.append(tree.subtree_totals(counts))
    return children, out


def _tree_table(scope, key, title, tree, column, parent, param):
    """The children of `parent` in a tree, each with its subtree's counts; a child with children
    of its own narrows the dashboard to it."""
    children, (now, ly, prev) = _rolled(scope, tree, column, parent)
    entries = [
        (
            tree.names[c],
            int(now[c]),
            int(ly[c]),
            int(prev[c]),
            scope.dashboard_link(**{param: tree.ids[c]}) if tree.end[c] - c > 1 else None,
            scope.list_link(**{param: tree.ids[c]}),
        )
        for c in children
    ]
    return _compare_table(key, title, entries, int(sum(now[c] for c in children))), children, now


def by_category(scope: Scope) -> Table:
    fr = scope.frame
    parent = scope.category if scope.category is not None else -1
    t, _children, _now = _tree_table(
        scope, "category", "按内容分类", fr.categories, "category", parent, "category"
    )
    t.chart = {
        "type": "bar",
        "x": [r[0] for r in t.rows],
        "series": [["本期", [r[1] for r in t.rows]], ["同期", [r[3] for r in t.rows]]],
        "links": [links[0] or links[1] for links in t.links],
    }
    return t


def by_division(scope: Scope) -> Table:
    """The division tree below the chosen division, two levels deep, as a treemap."""
    fr = scope.frame
    tree = fr.divisions
    t, children, now = _tree_table(
        scope, "division", "按问题属地", tree, "division", scope.division, "division"
    )
    nodes = []
    for c in children:
        if not now[c]:
            continue
        grand = [
            {"name": tree.names[g], "value": int(now[g]), "link": scope.dashboard_link(division=tree.ids[g])}
            for g in tree.children(c)
            if now[g]
        ]
        nodes.append(
            {
                "name": tree.names[c],
                "value": int(now[c]),
                "link": scope.dashboard_link(division=tree.ids[c]),
                "children": grand,
            }
        )
    t.chart = {"type": "treemap", "data": nodes}
    return t


def by_unit(scope: Scope) -> Table:
    fr = scope.frame
    counts = _compare(scope, "unit", len(fr.units.ids))
    now = counts[0]
    top = [int(i) for i in np.argsort(-now, kind="stable")[:TOP] if now[i]]
    t = _breakdown(
        scope,
        "unit",
        f"按承办单位（前{TOP}位）",
        fr.units.names,
        "unit",
        len(fr.units.ids),
        lambda i: scope.list_link(unit=fr.units.ids[i]),
        positions=top,
        counts=counts,
        dashboard=lambda i: scope.dashboard_link(unit=fr.units.ids[i]),
    )
    t.note = "承办单位：已转送交办的为承办单位，未转送交办的为当前责任单位。"
    return t


def backlog(scope: Scope) -> Table:
    """Open, 临期 and 超期 matters now by the unit holding them (whole history)."""
    fr = scope.frame
    sel = scope.selection(whole_history=True)
    lights = fr.deadline_lights(sel, day_number(scope.today))
    size = len(fr.units.ids)
    holder = np.asarray(fr.columns["holder"][sel[0]])
    counts = {
        name: np.bincount(holder[mask & (holder >= 0)], minlength=size) for name, mask in lights.items()
    }
    top = [int(i) for i in np.argsort(-counts["open"], kind="stable")[:TOP] if counts["open"][i]]
    t = Table("backlog", f"在办事项及期限（按当前责任单位，前{TOP}位）", ["单位", "在办", "临期", "超期"])
    for i in top:
        uid = fr.units.ids[i]
        t.add(
            [fr.units.names[i], int(counts["open"][i]), int(counts["warning"][i]), int(counts["overdue"][i])],
            [
                None,
                scope.list_link(holder=uid, open=1, whole_history=1),
                scope.list_link(holder=uid, light="warning", whole_history=1),
                scope.list_link(holder=uid, light="overdue", whole_history=1),
            ],
        )
    t.chart = {
        "type": "stack",
        "x": [r[0] for r in t.rows],
        "series": [
            ["临期", [r[2] for r in t.rows]],
            ["超期", [r[3] for r in t.rows]],
            ["其他在办", [r[1] - r[2] - r[3] for r in t.rows]],
        ],
        "links": [links[1] for links in t.links],
    }
    t.note = "在办事项不限收到日期。"
    return t


def example_titles(scope: Scope, ids, count: int) -> list[str]:
    """Titles of the last `count` of `ids` (column-store order: by receipt) that the reader may
    open; none for a reader without matter access."""
    if scope.visible is None:
        return []
    ids = [int(x) for x in ids]
    found = []
    for end in range(len(ids), 0, -EXAMPLE_CHUNK):  # from the newest, until enough are readable
        piece = ids[max(0, end - EXAMPLE_CHUNK) : end]
        titles = dict(scope.visible.filter(pk__in=piece).values_list("pk", "title"))
        found = [titles[pk] for pk in piece if pk in titles] + found
        if len(found) >= count:
            break
    return found[-count:]


def longest_open(scope: Scope, limit=10) -> Table:
    """The longest-open matters (oldest receipt among open ones) in the scope that the reader may
    open (none for a reader without matter access)."""
    fr = scope.frame
    sel = scope.selection(whole_history=True)
    opened = fr.open_mask(sel)
    if sel[1] is not None:
        opened &= sel[1]
    rows = np.flatnonzero(opened)[: limit * 3] + sel[0].start  # sorted by receipt already
    ids = [int(i) for i in np.asarray(fr.columns["id"])[rows]]
    allowed = scope.visible if scope.visible is not None else Matter.objects.none()
    matters = allowed.filter(pk__in=ids).select_related("holder_unit")
    t = Table(
        "longest", "办理时间最长的在办事项", ["查询码", "标题", "当前责任单位", "收到日期", "已历时（天）"]
    )
    for m in sorted(matters, key=lambda m: (m.received_at, m.pk))[:limit]:
        received = m.received_at.date()
        t.add(
            [
                m.display_code,
                m.title,
                m.holder_unit.short_name or m.holder_unit.name,
                received.isoformat(),
                (scope.today - received).days,
            ],
            [reverse("petitions:detail", args=[m.pk]), None, None, None, None],
        )
    return t


def repeat_collective(scope: Scope, months=12) -> Table:
    """Repeat and collective petitions per month over the last `months` months."""
    fr = scope.frame
    end = _month_end(scope.period.last)
    start = _add_months(end.replace(day=1), -(months - 1))
    sel = scope.selection(Period(start, end))
    first = day_number(start)
    days = fr.values("day", sel).astype(np.int64) - first
    repeat = np.asarray(fr.values("repeat", sel))
    collective = np.asarray(fr.values("collective", sel))
    size = (end - start).days + 1
    per_day = {
        "all": np.bincount(days, minlength=size),
        "repeat": np.bincount(days[repeat], minlength=size),
        "collective": np.bincount(days[collective], minlength=size),
    }
    t = Table(
        "repeat", "重复信访与集体访（近12个月）", ["月份", "信访事项", "重复信访", "重复率(%)", "集体访"]
    )
    month = start
    while month <= end:
        a, b = (month - start).days, (_month_end(month) - start).days + 1
        total, rep, col = (int(per_day[k][a:b].sum()) for k in ("all", "repeat", "collective"))
        mp = Period(month, _month_end(month))
        t.add(
            [f"{month.year}-{month.month:02d}", total, rep, _pct(rep / total) if total else None, col],
            [
                None,
                scope.list_link(mp),
                scope.list_link(mp, repeat=1),
                None,
                scope.list_link(mp, collective=1),
            ],
        )
        month = _add_months(month, 1)
    t.chart = {
        "type": "line",
        "x": [r[0] for r in t.rows],
        "series": [["重复信访", [r[2] for r in t.rows]], ["集体访", [r[4] for r in t.rows]]],
    }
    return t


def top_issues(scope: Scope, limit=10, examples=2) -> Table:
    """The most frequent second-level categories of the period, with example matters."""
    fr = scope.frame
    tree = fr.categories
    sel = scope.selection()
    counts = fr.count_by("category", sel, len(tree.ids))
    leaves = [i for i in np.argsort(-counts, kind="stable") if counts[i] and tree.end[i] - i == 1][:limit]
    cats = fr.values("category", sel)
    ids = fr.values("id", sel)
    t = Table("top", "本期突出问题", ["问题（二级分类）", "件数", "示例事项"])
    for i in leaves:
        titles = example_titles(scope, ids[cats == i], examples)
        parent = tree.parents[i]
        name = f"{tree.names[parent]}·{tree.names[i]}" if parent >= 0 else tree.names[i]
        t.add([name, int(counts[i]), "；".join(titles)], [None, scope.list_link(category=tree.ids[i]), None])
    return t


def metrics(scope: Scope, limit=30) -> Table:
    """The DESIGN §4 rates per unit for the period: the same counts as unit scoring (考核), for the
    units the user oversees. Each unit links to its score page, whose every count lists its matters."""
    p = scope.period
    counts = scores.cached_unit_counts(p.first, p.last)
    units = Unit.objects.filter(pk__in=list(counts), path__startswith=scope.unit_root)
    if scope.unit is not None:
        chosen = Unit.objects.get(pk=scope.frame.units.ids[scope.unit])
        units = units.filter(path__startswith=chosen.path)
    weights = scores.active_weights()
    scored = sorted(
        ((u, score(counts[u.pk], weights)) for u in units), key=lambda us: (-us[1].total, us[0].path)
    )
    keys = ["timely", "reply", "satisfaction", "participation"]
    t = Table(
        "metrics",
        "办理质效（考核口径）",
        [
            "单位",
            "及时受理率(%)",
            "按期答复率(%)",
            "群众满意率(%)",
            "参评率(%)",
            "重复信访（件）",
            "包案化解率(%)",
            "得分",
        ],
    )
    query = urlencode({"start": p.first.isoformat(), "end": p.last.isoformat()})
    for unit, s in scored[:limit]:
        lines = {line.key: line for line in s.lines}
        owned = lines["ownership"]
        t.add(
            [unit.short_name or unit.name]
            + [_pct(lines[k].rate) for k in keys]
            + [lines["repeats"].numerator, _pct(owned.rate), round(s.total, 2)],
            [reverse("supervision:unit_score", args=[unit.pk]) + "?" + query] + [None] * 7,
        )
    t.note = "口径同考核评分：各率的分子分母及其事项见单位得分页；无应计事项的为“—”。"
    return t


DASHBOARD = [
    summary,
    trend,
    by_channel,
    by_nature,
    by_category,
    by_division,
    by_unit,
    backlog,
    repeat_collective,
    top_issues,
]
