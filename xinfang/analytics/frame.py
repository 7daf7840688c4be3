"""The analytics column store: one row per matter, held as numpy arrays (plain Python, no Django).

Why: a dashboard panel must answer any combination of filters over tens of millions of matters in
well under a second on a small server. Row-store GROUP BY reads every matching row through the
B-tree; rollup tables do not shrink enough once division, category, unit, channel and nature are
all dimensions (measured: a daily rollup of a million matters keeps 99 % of the rows). Columns
sorted by receipt day make any period a contiguous slice, and trees (divisions, categories, units)
numbered in depth-first order make any subtree a contiguous range, so every filter is one or two
comparisons over a slice and every breakdown is one `np.bincount`.

The arrays are saved as .npy files and opened memory-mapped, so every process of the server shares
one copy in the page cache. `xinfang.analytics.snapshot` builds them from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

EPOCH = date(2000, 1, 1)

# The columns themselves (name, what each holds, its type) are defined once, with the SQL that reads
# them, in `xinfang.analytics.snapshot.columns()`; -1 means "none" in the small-integer columns.


def position_dtype(size: int) -> type:
    """The integer type of a column of positions in a tree of `size` nodes (0 … size-1, and -1 for
    none): int16 while it fits (a city's divisions, its units and categories), int32 beyond (a
    province has more villages)."""
    for dtype in (np.int16, np.int32):
        if size - 1 <= np.iinfo(dtype).max:
            return dtype
    raise ValueError(f"树的节点数 {size:,} 超出统计列能表示的范围")


def typed(name: str, values: np.ndarray, dtype) -> np.ndarray:
    """`values` as a column of `dtype`; ValueError rather than a silent wrap-around when one of
    them does not fit (booleans must be 0 or 1)."""
    low, high = (0, 1) if np.dtype(dtype) == np.bool_ else (np.iinfo(dtype).min, np.iinfo(dtype).max)
    if len(values) and (values.min() < low or values.max() > high):
        raise ValueError(
            f"统计列 {name} 的取值 {values.min()}…{values.max()} 超出 {np.dtype(dtype).name} 的范围"
        )
    return values.astype(dtype)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


@dataclass
class Tree:
    """Nodes in depth-first order: node p's subtree is positions [p, end[p])."""

    ids: list[int]
    names: list[str]
    parents: list[int]  # position of the parent, -1 for roots
    depth: list[int]
    end: list[int]

    @classmethod
    def build(cls, nodes: list[tuple[int, int | None, str]]) -> Tree:
        """`nodes` are (id, parent id or None, name) in sibling order."""
        children: dict[int | None, list[tuple[int, str]]] = {}
        known = {n[0] for n in nodes}
        for node_id, parent, name in nodes:
            children.setdefault(parent if parent in known else None, []).append((node_id, name))
        tree = cls([], [], [], [], [])
        stack = [(node_id, name, -1, 0) for node_id, name in reversed(children.get(None, []))]
        while stack:  # preorder
            node_id, name, parent_pos, depth = stack.pop()
            pos = len(tree.ids)
            tree.ids.append(node_id)
            tree.names.append(name)
            tree.parents.append(parent_pos)
            tree.depth.append(depth)
            stack.extend((c, n, pos, depth + 1) for c, n in reversed(children.get(node_id, [])))
        size = [1] * len(tree.ids)
        for pos in range(len(tree.ids) - 1, 0, -1):  # children come after their parent
            if tree.parents[pos] >= 0:
                size[tree.parents[pos]] += size[pos]
        tree.end = [pos + size[pos] for pos in range(len(tree.ids))]
        return tree

    def position(self) -> dict[int, int]:
        return {node_id: pos for pos, node_id in enumerate(self.ids)}

    def lookup_array(self) -> np.ndarray:
        """id -> position, as an array indexed by id (-1 for unknown ids)."""
        size = max(self.ids, default=0) + 1
        table = np.full(size + 1, -1, dtype=np.int32)
        table[np.asarray(self.ids, dtype=np.int64)] = np.arange(len(self.ids), dtype=np.int32)
        return table

    def children(self, pos: int) -> list[int]:
        """Direct children of `pos` (-1: the roots), stepping over each child's subtree."""
        start, stop = (0, len(self.ids)) if pos < 0 else (pos + 1, self.end[pos])
        out = []
        while start < stop:
            out.append(start)
            start = self.end[start]
        return out

    def subtree_totals(self, counts: np.ndarray) -> np.ndarray:
        """Per node, the sum of `counts` over its subtree."""
        prefix = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        return prefix[np.asarray(self.end)] - prefix[: len(self.ids)]

    def path(self, pos: int) -> list[int]:
        chain = []
        while pos >= 0:
            chain.append(pos)
            pos = self.parents[pos]
        return chain[::-1]

    def to_json(self):
        return {
            "ids": self.ids,
            "names": self.names,
            "parents": self.parents,
            "depth": self.depth,
            "end": self.end,
        }


@dataclass(frozen=True)
class Filter:
    """Which matters a panel counts: received on days [first, last] (day numbers, inclusive) and
    the optional dimension filters (codes, or [lo, hi) tree ranges)."""

    first: int
    last: int
    channels: tuple[int, ...] = ()
    natures: tuple[int, ...] = ()
    category: tuple[int, int] | None = None
    division: tuple[int, int] | None = None
    unit: tuple[int, int] | None = None

    def shifted(self, first: int, last: int) -> Filter:
        return Filter(first, last, self.channels, self.natures, self.category, self.division, self.unit)


@dataclass
class Frame:
    """Loaded columns plus the dimension metadata they are coded against."""

    columns: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.categories = Tree(**self.meta["categories"])
        self.divisions = Tree(**self.meta["divisions"])
        self.units = Tree(**self.meta["units"])
        self.channels: list[list[str]] = self.meta["channels"]  # [[code, label], ...]
        self.natures: list[list[str]] = self.meta["natures"]
        self.statuses: list[list[str]] = self.meta["statuses"]
        self.open_statuses = np.asarray(self.meta["open_statuses"], dtype=np.int8)

    def __len__(self):
        return len(self.columns["id"])

    # -- storage -------------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """One .npy file per column, each in the type it was built with."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, values in self.columns.items():
            np.save(folder / f"{name}.npy", np.ascontiguousarray(values))
        (folder / "meta.json").write_text(json.dumps(self.meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Frame:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        columns = {path.stem: np.load(path, mmap_mode="r") for path in sorted(folder.glob("*.npy"))}
        return cls(columns, meta)

    # -- selection -----------------------------------------------------------------------------

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Row range of the matters received on days [first, last]."""
        days = self.columns["day"]
        return int(np.searchsorted(days, first, "left")), int(np.searchsorted(days, last, "right"))

    def select(self, f: Filter, *, whole_history=False) -> tuple[slice, np.ndarray | None]:
        """(row slice, mask over the slice or None for all of it) for filter `f`.
        `whole_history` ignores the period (the backlog panels)."""
        a, b = (0, len(self)) if whole_history else self.span(f.first, f.last)
        rows = slice(a, b)
        mask = None

        def both(m):
            nonlocal mask
            mask = m if mask is None else mask & m

        c = self.columns
        if f.channels:
            both(np.isin(c["channel"][rows], f.channels))
        if f.natures:
            both(np.isin(c["nature"][rows], f.natures))
        for name, bounds in (("category", f.category), ("division", f.division), ("unit", f.unit)):
            if bounds is not None:
                col = c[name][rows]
                both((col >= bounds[0]) & (col < bounds[1]))
        return rows, mask

    def values(self, name: str, selection, extra: np.ndarray | None = None) -> np.ndarray:
        rows, mask = selection
        col = self.columns[name][rows]
        if extra is not None:
            mask = extra if mask is None else mask & extra
        return col if mask is None else col[mask]

    def extra(self, selection, name: str) -> np.ndarray:
        """A column of the selection's slice, for an extra condition (e.g. repeat, collective)."""
        return np.asarray(self.columns[name][selection[0]])

    def count(self, selection, extra=None) -> int:
        rows, mask = selection
        if extra is not None:
            mask = extra if mask is None else mask & extra
        return int(rows.stop - rows.start) if mask is None else int(np.count_nonzero(mask))

    def count_by(self, name: str, selection, size: int, extra=None, weights: str | None = None) -> np.ndarray:
        """Counts (or sums of `weights`) per code 0..size-1 of column `name`; -1 codes are dropped."""
        keys = self.values(name, selection, extra).astype(np.int64)
        w = None if weights is None else self.values(weights, selection, extra)
        keep = keys >= 0
        if not keep.all():
            keys = keys[keep]
            w = None if w is None else w[keep]
        return np.bincount(keys, weights=w, minlength=size)[:size].astype(np.int64)

    def per_day(self, selection, first: int, last: int, extra=None) -> np.ndarray:
        days = self.values("day", selection, extra).astype(np.int64) - first
        return np.bincount(days, minlength=last - first + 1)[: last - first + 1]

    def open_mask(self, selection) -> np.ndarray:
        return np.isin(self.columns["status"][selection[0]], self.open_statuses)

    def deadline_lights(self, selection, today: int) -> dict[str, np.ndarray]:
        """Masks over the selection's slice: open, 临期 (warned, not yet due) and 超期."""
        rows = selection[0]
        opened = self.open_mask(selection)
        if selection[1] is not None:
            opened &= selection[1]
        due = np.asarray(self.columns["due"][rows])
        warn = np.asarray(self.columns["warn"][rows])
        has_due = due >= 0
        return {
            "open": opened,
            "warning": opened & has_due & (due >= today) & (warn >= 0) & (warn <= today),
            "overdue": opened & has_due & (due < today),
        }
