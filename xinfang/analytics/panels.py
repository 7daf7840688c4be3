"""Dashboard panels: each one computes its figures (`xinfang.analytics.figures`) from the column
store, with links down to the matters behind every count. `display` lays them out as the
dashboard's tables and charts, `situation_report` writes them up as the 信访形势分析报告.

Periods: 同比 is the same dates a year earlier, 环比 the period of the same length just before
(for a calendar month or quarter, the previous month or quarter).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlencode

import numpy as np
from django.db.models import QuerySet
from django.urls import reverse

from xinfang.petitions.models import Matter

from .figures import (
    Breakdown,
    Count,
    Held,
    Issue,
    Lights,
    Month,
    OpenMatter,
    Point,
    Row,
    Summary,
    Trend,
    share,
)
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
        return self.dates()

    def dates(self) -> str:
        """Its first and last day: 2026年10月1日至2026年10月31日."""
        f, e = self.first, self.last
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


def readable(user) -> QuerySet | None:
    """The matters `user` may open, or None for a reader without matter access (analysts,
    administrators, auditors, and the command line without a user): they get figures only."""
    if user is None or not user.does_casework:
        return None
    return Matter.objects.visible_to(user)


@dataclass
class Selection:
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

    def rows(self, period=None, whole_history=False):
        """The frame rows the selection covers in `period` (its own by default)."""
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


def _compare(selection: Selection, column: str, size: int, extra: str | None = None):
    """Counts per code of `column`: (this period, the same period last year, the previous one)."""
    out = []
    for period in (selection.period, selection.period.last_year(), selection.period.previous()):
        sel = selection.rows(period)
        mask = selection.frame.extra(sel, extra) if extra else None
        out.append(selection.frame.count_by(column, sel, size, mask))
    return out


def summary(selection: Selection) -> Summary:
    fr = selection.frame
    periods = (selection.period, selection.period.last_year(), selection.period.previous())
    sels = [selection.rows(p) for p in periods]

    def count(values, link=None):
        now, last_year, previous = (int(v) for v in values)
        return Count(now, previous=previous, last_year=last_year, link=link)

    def heads(sel, extra=None):
        return fr.values("heads", sel, extra).sum()

    return Summary(
        matters=count([fr.count(s) for s in sels], selection.list_link()),
        people=count([heads(s) for s in sels]),
        repeat_matters=count(
            [fr.count(s, fr.extra(s, "repeat")) for s in sels], selection.list_link(repeat=1)
        ),
        collective_matters=count(
            [fr.count(s, fr.extra(s, "collective")) for s in sels], selection.list_link(collective=1)
        ),
        collective_people=count([heads(s, fr.extra(s, "collective")) for s in sels]),
    )


def backlog_totals(selection: Selection) -> Lights:
    """Open, 临期 and 超期 now, over the whole history (the period does not apply to a backlog)."""
    sel = selection.rows(whole_history=True)
    lights = selection.frame.deadline_lights(sel, day_number(selection.today))
    return Lights(**{name: int(np.count_nonzero(mask)) for name, mask in lights.items()})


def trend(selection: Selection) -> Trend:
    """Daily counts (monthly beyond three months), this period beside the same period last year."""
    fr = selection.frame
    p, ly = selection.period, selection.period.last_year()
    first, last = day_number(p.first), day_number(p.last)
    now = fr.per_day(selection.rows(), first, last)
    before = fr.per_day(selection.rows(ly), day_number(ly.first), day_number(ly.last))
    before = np.resize(before, len(now)) if len(before) else np.zeros_like(now)
    days = [p.first + timedelta(days=i) for i in range(len(now))]
    if p.days <= 92:
        return Trend("day", [Point(d, int(x), int(y)) for d, x, y in zip(days, now, before, strict=True)])
    months: dict[tuple[int, int], list] = {}  # (year, month) -> [first day, count, last year]
    for d, x, y in zip(days, now, before, strict=True):
        month = months.setdefault((d.year, d.month), [d, 0, 0])
        month[1] += int(x)
        month[2] += int(y)
    return Trend("month", [Point(*month) for month in months.values()])


def _breakdown(key: str, rows: list[Row], total: int) -> Breakdown:
    """The lines largest first, each with its share of `total`, leaving out what has nothing in
    any of the three periods."""
    ranked = sorted(rows, key=lambda r: -r.count)
    kept = [replace(r, share=share(r.count, total)) for r in ranked if r.count or r.last_year or r.previous]
    return Breakdown(key, kept, total)


def _by_choice(selection: Selection, name: str) -> Breakdown:
    """A breakdown over a choice column (channel, nature): column, URL parameter and the frame's
    list of (code, label) share the name."""
    choices = getattr(selection.frame, name + "s")
    now, last_year, previous = _compare(selection, name, len(choices))
    rows = [
        Row(
            label,
            int(now[i]),
            previous=int(previous[i]),
            last_year=int(last_year[i]),
            key=code,
            link=selection.list_link(**{name: code}),
            narrow=selection.dashboard_link(**{name: code}),
        )
        for i, (code, label) in enumerate(choices)
    ]
    return _breakdown(name, rows, int(now.sum()))


def by_channel(selection: Selection) -> Breakdown:
    return _by_choice(selection, "channel")


def by_nature(selection: Selection) -> Breakdown:
    return _by_choice(selection, "nature")


def _tree_breakdown(selection, key, tree, parent, param, parts=False) -> Breakdown:
    """The children of `parent` in a tree (or `parent` itself when it has none), each with its
    subtree's counts; a child with children of its own narrows the dashboard to it. `parts`: each
    line also carries its own children that have matters this period."""
    children = tree.children(parent) or ([parent] if parent >= 0 else [])
    now, last_year, previous = (tree.subtree_totals(c) for c in _compare(selection, key, len(tree.ids)))
    rows = []
    for c in children:
        node = tree.ids[c]
        below = (
            ()
            if not (parts and now[c])
            else tuple(Row(tree.names[g], int(now[g]), key=tree.ids[g]) for g in tree.children(c) if now[g])
        )
        rows.append(
            Row(
                tree.names[c],
                int(now[c]),
                previous=int(previous[c]),
                last_year=int(last_year[c]),
                key=node,
                link=selection.list_link(**{param: node}),
                narrow=selection.dashboard_link(**{param: node}) if tree.end[c] - c > 1 else None,
                parts=below,
            )
        )
    return _breakdown(key, rows, int(sum(now[c] for c in children)))


def by_category(selection: Selection) -> Breakdown:
    parent = selection.category if selection.category is not None else -1
    return _tree_breakdown(selection, "category", selection.frame.categories, parent, "category")


def by_division(selection: Selection) -> Breakdown:
    """The divisions just below the chosen one, each with its own children (two levels deep)."""
    return _tree_breakdown(
        selection, "division", selection.frame.divisions, selection.division, "division", parts=True
    )


def _top_units(selection: Selection, column: str, limit: int, param: str | None = None) -> Breakdown:
    """The `limit` units with the most matters by `column` (unit: handling unit, complained: the
    unit complained about); `param`: the filter of the dashboard and matter list that narrows to
    one of them (no links without one)."""
    units = selection.frame.units
    now, last_year, previous = _compare(selection, column, len(units.ids))
    top = [int(i) for i in np.argsort(-now, kind="stable")[:limit] if now[i]]
    rows = [
        Row(
            units.names[i],
            int(now[i]),
            previous=int(previous[i]),
            last_year=int(last_year[i]),
            key=units.ids[i],
            link=selection.list_link(**{param: units.ids[i]}) if param else None,
            narrow=selection.dashboard_link(**{param: units.ids[i]}) if param else None,
        )
        for i in top
    ]
    return _breakdown(column, rows, int(now.sum()))


def by_unit(selection: Selection) -> Breakdown:
    """The handling units (已转送交办的为承办单位，未转送交办的为当前责任单位) with the most matters."""
    return _top_units(selection, "unit", TOP, param="unit")


def by_complained(selection: Selection, limit=10) -> Breakdown:
    """The units complained about (被反映单位) most often."""
    return _top_units(selection, "complained", limit)


def backlog(selection: Selection) -> list[Held]:
    """Open, 临期 and 超期 matters now by the unit holding them (whole history), most open first."""
    fr = selection.frame
    sel = selection.rows(whole_history=True)
    lights = fr.deadline_lights(sel, day_number(selection.today))
    size = len(fr.units.ids)
    holder = np.asarray(fr.columns["holder"][sel[0]])
    counts = {
        name: np.bincount(holder[mask & (holder >= 0)], minlength=size) for name, mask in lights.items()
    }
    out = []
    for i in [int(i) for i in np.argsort(-counts["open"], kind="stable")[:TOP] if counts["open"][i]]:
        uid = fr.units.ids[i]
        out.append(
            Held(
                fr.units.names[i],
                uid,
                open=Count(
                    int(counts["open"][i]), link=selection.list_link(holder=uid, open=1, whole_history=1)
                ),
                warning=Count(
                    int(counts["warning"][i]),
                    link=selection.list_link(holder=uid, light="warning", whole_history=1),
                ),
                overdue=Count(
                    int(counts["overdue"][i]),
                    link=selection.list_link(holder=uid, light="overdue", whole_history=1),
                ),
            )
        )
    return out


def example_titles(selection: Selection, ids, count: int) -> list[str]:
    """Titles of the last `count` of `ids` (column-store order: by receipt) that the reader may
    open; none for a reader without matter access."""
    if selection.visible is None:
        return []
    ids = [int(x) for x in ids]
    found = []
    for end in range(len(ids), 0, -EXAMPLE_CHUNK):  # from the newest, until enough are readable
        piece = ids[max(0, end - EXAMPLE_CHUNK) : end]
        titles = dict(selection.visible.filter(pk__in=piece).values_list("pk", "title"))
        found = [titles[pk] for pk in piece if pk in titles] + found
        if len(found) >= count:
            break
    return found[-count:]


def longest_open(selection: Selection, limit=10) -> list[OpenMatter]:
    """The longest-open matters (oldest receipt among open ones) in the selection that the reader may
    open (none for a reader without matter access)."""
    fr = selection.frame
    sel = selection.rows(whole_history=True)
    opened = fr.open_mask(sel)
    if sel[1] is not None:
        opened &= sel[1]
    rows = np.flatnonzero(opened)[: limit * 3] + sel[0].start  # sorted by receipt already
    ids = [int(i) for i in np.asarray(fr.columns["id"])[rows]]
    allowed = selection.visible if selection.visible is not None else Matter.objects.none()
    matters = allowed.filter(pk__in=ids).select_related("holder_unit")
    out = []
    for m in sorted(matters, key=lambda m: (m.received_at, m.pk))[:limit]:
        received = m.received_at.date()
        out.append(
            OpenMatter(
                m.display_code,
                m.title,
                m.holder_unit.short_name or m.holder_unit.name,
                (selection.today - received).days,
                received=received,
                link=reverse("petitions:detail", args=[m.pk]),
            )
        )
    return out


def repeat_collective(selection: Selection, months=12) -> list[Month]:
    """Matters, repeat and collective petitions per month over the last `months` months."""
    fr = selection.frame
    end = _month_end(selection.period.last)
    start = _add_months(end.replace(day=1), -(months - 1))
    sel = selection.rows(Period(start, end))
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
    out = []
    month = start
    while month <= end:
        a, b = (month - start).days, (_month_end(month) - start).days + 1
        total, rep, col = (int(per_day[k][a:b].sum()) for k in ("all", "repeat", "collective"))
        mp = Period(month, _month_end(month))
        out.append(
            Month(
                month,
                Count(total, link=selection.list_link(mp)),
                Count(rep, link=selection.list_link(mp, repeat=1)),
                Count(col, link=selection.list_link(mp, collective=1)),
            )
        )
        month = _add_months(month, 1)
    return out


def top_issues(selection: Selection, limit=10, examples=2, with_last_year=False) -> list[Issue]:
    """The most frequent second-level categories of the period, with example matters (and, when
    asked, last year's counts)."""
    fr = selection.frame
    tree = fr.categories
    sel = selection.rows()
    counts = fr.count_by("category", sel, len(tree.ids))
    before = (
        fr.count_by("category", selection.rows(selection.period.last_year()), len(tree.ids))
        if with_last_year
        else None
    )
    leaves = [int(i) for i in np.argsort(-counts, kind="stable") if counts[i] and tree.end[i] - i == 1][
        :limit
    ]
    cats = fr.values("category", sel)
    ids = fr.values("id", sel)
    out = []
    for i in leaves:
        parent = tree.parents[i]
        out.append(
            Issue(
                tree.names[i],
                tree.names[parent] if parent >= 0 else "",
                int(counts[i]),
                last_year=None if before is None else int(before[i]),
                examples=tuple(example_titles(selection, ids[cats == i], examples)),
                link=selection.list_link(category=tree.ids[i]),
            )
        )
    return out
