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

from .frame import COLUMNS, EPOCH, Frame, Tree

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


def build() -> Frame:
    """Read every matter into columns (sorted by receipt day, then id)."""
    categories, divisions, units = _trees()
    statuses = list(Status.choices)
    windows = ", ".join(f"'{w}'" for w in sorted(PETITIONER_WINDOWS))
    select = [
        "id",
        _day("received_at", aware=True),
        _codes("channel", Channel.choices),
        _codes("nature", Nature.choices),
        _codes("status", statuses),
        "category_id",
        "division_id",
        "COALESCE(handling_unit_id, holder_unit_id)",
        "holder_unit_id",
        "COALESCE(complained_unit_id, 0)",
        "CASE WHEN repeat_of_id IS NULL THEN 0 ELSE 1 END",
        "CASE WHEN is_collective THEN 1 ELSE 0 END",
        "headcount",
        # a staff deadline that runs (not a petitioner's window, not paused by a hearing)
        f"CASE WHEN due_step IN ({windows}) OR clock_paused THEN -1 ELSE {_day('due_date', aware=False)} END",
        f"CASE WHEN due_step IN ({windows}) OR clock_paused THEN -1 ELSE {_day('warn_date', aware=False)} END",
    ]
    names = list(COLUMNS)
    chunks = []
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(select)} FROM petitions_matter")
        while rows := cur.fetchmany(CHUNK):
            chunks.append(np.array(rows, dtype=np.int64))
    table = np.concatenate(chunks) if chunks else np.zeros((0, len(names)), dtype=np.int64)
    order = np.lexsort((table[:, 0], table[:, 1]))
    table = table[order]
    columns = {}
    for i, name in enumerate(names):
        columns[name] = table[:, i]
    for name, tree in (
        ("category", categories),
        ("division", divisions),
        ("unit", units),
        ("holder", units),
        ("complained", units),
    ):
        lookup = tree.lookup_array()
        raw = np.clip(columns[name], 0, len(lookup) - 1)
        columns[name] = np.where(columns[name] > 0, lookup[raw], -1)
    columns = {name: columns[name].astype(dtype) for name, dtype in COLUMNS.items()}
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
    return Frame(columns, meta)


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
