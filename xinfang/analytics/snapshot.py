"""Builds the analytics column store (`frame.Frame`) from the database and serves the current one.

A build reads the matters table once (in id order, sorted afterwards in numpy), writes a new
generation folder under settings.ANALYTICS_DIR and then points `current` at it, so readers never
see a half-written store. Every process keeps the generation it loaded until a newer one appears.
Built by the periodic job every 10 minutes, after the demo, and on demand
(`xinfang analytics refresh`); pages show when the data was taken.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from xinfang.org.models import Division, Unit
from xinfang.petitions.choices import TERMINAL_STATUSES, Channel, Nature, Status
from xinfang.petitions.models import Category
from xinfang.petitions.workflow import PETITIONER_WINDOWS

from .frame import EPOCH, Frame, Tree, position_dtype, typed

CHUNK = 200_000


def _codes(column: str, choices) -> str:
    """SQL mapping a choice column to its position in `choices` (-1 for anything else)."""
    whens = " ".join(f"WHEN '{value}' THEN {i}" for i, (value, _label) in enumerate(choices))
    return f"CASE {column} {whens} ELSE -1 END"


def _day(column: str, *, aware: bool) -> str:
    """SQL for a date (or an aware datetime, as a local date) as days since EPOCH; -1 for NULL."""
    epoch = EPOCH.isoformat()
    if connection.vendor == "postgresql":
        tz = settings.TIME_ZONE.replace("'", "")
        value = f"({column} AT TIME ZONE '{tz}')::date" if aware else column
        return f"COALESCE({value} - DATE '{epoch}', -1)"
    # SQLite stores datetimes in UTC as text. The zone's offset now is used for every row: right
    # for zones without daylight saving, such as Asia/Shanghai.
    offset = int(timezone.localtime().utcoffset().total_seconds()) if aware else 0
    shifted = f"julianday({column}, '{offset:+d} seconds')"
    return f"COALESCE(CAST(({shifted}) - julianday('{epoch}') AS INTEGER), -1)"


def _trees():
    categories = Tree.build(
        list(Category.objects.order_by("order", "id").values_list("id", "parent_id", "name"))
    )
    divisions = Tree.build(list(Division.objects.order_by("code").values_list("id", "parent_id", "name")))
    units = Tree.build(
        [
            (u.id, u.parent_id, u.short_name or u.name)
            for u in Unit.objects.order_by("path").only("id", "parent_id", "name", "short_name")
        ]
    )
    return categories, divisions, units


@dataclass(frozen=True)
class Column:
    """One column of the store: its name, the SQL giving its value for a row of petitions_matter,
    and its type: a numpy dtype, or the tree whose positions it holds (`tree`; the SQL gives the
    record's id, and the type is the tree's, see frame.position_dtype)."""

    name: str
    sql: str
    dtype: type | None = None
    tree: str = ""  # "categories", "divisions" or "units"


def columns() -> list[Column]:
    """Every column of the store, in the one place that says what it holds and how it is read."""
    windows = ", ".join(f"'{w}'" for w in sorted(PETITIONER_WINDOWS))
    # a staff deadline that runs (not a petitioner's window, not paused by a hearing), else -1
    stopped = f"due_step IN ({windows}) OR clock_paused"
    return [
        Column("id", "id", np.int64),
        # receipt day, days since EPOCH (local time)
        Column("day", _day("received_at", aware=True), np.int32),
        Column("channel", _codes("channel", Channel.choices), np.int8),
        Column("nature", _codes("nature", Nature.choices), np.int8),
        Column("status", _codes("status", Status.choices), np.int8),
        Column("category", "category_id", tree="categories"),
        Column("division", "division_id", tree="divisions"),
        # handling unit, else the unit holding it
        Column("unit", "COALESCE(handling_unit_id, holder_unit_id)", tree="units"),
        Column("holder", "holder_unit_id", tree="units"),  # the unit holding it now
        # 被反映单位 of complaints, -1 none. Never a 检举控告's: whoever reads the statistics may be
        # the accused, and a count by accused unit would tell them (art. 30).
        Column(
            "complained",
            f"CASE WHEN nature = '{Nature.ACCUSATION}' THEN 0 ELSE COALESCE(complained_unit_id, 0) END",
            tree="units",
        ),
        Column("repeat", "CASE WHEN repeat_of_id IS NULL THEN 0 ELSE 1 END", np.bool_),
        Column("collective", "CASE WHEN is_collective THEN 1 ELSE 0 END", np.bool_),
        Column("heads", "headcount", np.int32),  # 人次
        # the staff deadline of the current step and its 临期 day (days since EPOCH)
        Column("due", f"CASE WHEN {stopped} THEN -1 ELSE {_day('due_date', aware=False)} END", np.int32),
        Column("warn", f"CASE WHEN {stopped} THEN -1 ELSE {_day('warn_date', aware=False)} END", np.int32),
    ]


def select_sql(cols: list[Column]) -> str:
    return f"SELECT {', '.join(c.sql for c in cols)} FROM petitions_matter"


def positions(ids: np.ndarray, tree: Tree) -> np.ndarray:
    """Record ids (0 or NULL-coded ids: none) as positions in `tree`, -1 for none or unknown."""
    lookup = tree.lookup_array()
    raw = np.clip(ids, 0, len(lookup) - 1)
    return np.where(ids > 0, lookup[raw], -1)


def build() -> Frame:
    """Read every matter into columns (sorted by receipt day, then id)."""
    categories, divisions, units = _trees()
    trees = {"categories": categories, "divisions": divisions, "units": units}
    cols = columns()
    chunks = []
    with connection.cursor() as cur:
        cur.execute(select_sql(cols))
        while rows := cur.fetchmany(CHUNK):
            chunks.append(np.array(rows, dtype=np.int64))
    table = np.concatenate(chunks) if chunks else np.zeros((0, len(cols)), dtype=np.int64)
    raw = {c.name: table[:, i] for i, c in enumerate(cols)}
    order = np.lexsort((raw["id"], raw["day"]))
    built = {}
    for c in cols:
        values = raw[c.name][order]
        if c.tree:
            tree = trees[c.tree]
            built[c.name] = typed(c.name, positions(values, tree), position_dtype(len(tree.ids)))
        else:
            built[c.name] = typed(c.name, values, c.dtype)
    statuses = list(Status.choices)
    meta = {
        "taken_at": timezone.now().isoformat(),
        "categories": categories.to_json(),
        "divisions": divisions.to_json(),
        "units": units.to_json(),
        "channels": [list(c) for c in Channel.choices],
        "natures": [list(c) for c in Nature.choices],
        "statuses": [list(c) for c in statuses],
        "open_statuses": [i for i, (value, _l) in enumerate(statuses) if value not in TERMINAL_STATUSES],
    }
    return Frame(built, meta)


def root() -> Path:
    return Path(settings.ANALYTICS_DIR)


def refresh() -> dict:
    """Build a new generation and make it current; older generations are removed."""
    started = time.perf_counter()
    frame = build()
    base = root()
    name = datetime.now().strftime("gen-%Y%m%d-%H%M%S-%f")
    frame.save(base / name)
    pointer = base / "current.json"
    tmp = base / f".current-{name}.json"
    tmp.write_text(json.dumps({"generation": name}), encoding="utf-8")
    tmp.replace(pointer)  # atomic switch
    # Keep the generation just replaced (a process may be loading it); open memory maps of removed
    # files stay valid until closed.
    for old in sorted(base.glob("gen-*"))[:-2]:
        shutil.rmtree(old)
    return {"matters": len(frame), "seconds": round(time.perf_counter() - started, 2), "generation": name}


_loaded: dict[str, Frame] = {}
_lock = threading.Lock()


def current() -> Frame | None:
    """The current generation, loaded once per process; None before the first build."""
    pointer = root() / "current.json"
    try:
        name = json.loads(pointer.read_text(encoding="utf-8"))["generation"]
    except FileNotFoundError:
        return None
    key = f"{root()}/{name}"
    with _lock:
        frame = _loaded.get(key)
        if frame is None:
            frame = Frame.load(root() / name)
            _loaded.clear()
            _loaded[key] = frame
        return frame


def ensure() -> Frame:
    """The current generation, building the first one if there is none yet."""
    frame = current()
    if frame is None:
        refresh()
        frame = current()
    return frame
