"""Builds the analytics column store (`frame.Frame`) from the database and serves the current one.

The worker builds it and publishes it (xinfang.core.published) as a new version: a folder of .npy
columns in the "analytics" storage (the data directory by default; a shared mount or an object store
for several servers) and the pointer `current.json`, replaced whole, so readers never see a
half-written store. Every process keeps the version it loaded until a newer one is published; with
several servers none of them builds it itself (XINFANG_WEB_BUILDS).

A build is incremental where it can be: the previous version's columns plus the matters changed
since it was taken (`updated_at`, read back a margin earlier for transactions that were still open),
merged by id and sorted again. It is whole the first time, when divisions, units or categories
changed (positions in the trees move), and every XINFANG_SNAPSHOT_FULL_MINUTES (matters deleted).
The worker brings it up to date every XINFANG_SNAPSHOT_SECONDS; `xinfang analytics refresh` builds it
on demand. Pages show when the data was taken and how long ago. Reads go to the replica when there is
one (xinfang.core.dbrouter).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connections
from django.utils import timezone

from xinfang.core import dbrouter
from xinfang.core.published import Published
from xinfang.org.models import Division, Unit
from xinfang.petitions.choices import TERMINAL_STATUSES, Channel, Nature, Status
from xinfang.petitions.models import Category
from xinfang.petitions.workflow import PETITIONER_WINDOWS

from .frame import EPOCH, Frame, Tree, position_dtype, typed

CHUNK = 200_000
# Changes are read back this far before the previous build started: a matter saved (updated_at
# set) in a transaction that had not committed yet when that build read the table.
MARGIN = timedelta(minutes=2)
STORE = Published("analytics")


class NotReady(Exception):
    """No column store has been published yet and this process may not build it (the worker does)."""


def _codes(column: str, choices) -> str:
    """SQL mapping a choice column to its position in `choices` (-1 for anything else)."""
    whens = " ".join(f"WHEN '{value}' THEN {i}" for i, (value, _label) in enumerate(choices))
    return f"CASE {column} {whens} ELSE -1 END"


def _connection():
    return connections[dbrouter.read_alias()]


def _day(column: str, *, aware: bool) -> str:
    """SQL for a date (or an aware datetime, as a local date) as days since EPOCH; -1 for NULL."""
    epoch = EPOCH.isoformat()
    if _connection().vendor == "postgresql":
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


def _read(cols: list[Column], trees: dict, since: datetime | None = None) -> dict[str, np.ndarray]:
    """The columns of every matter (or of those changed since ``since``), typed, in table order."""
    sql, params = select_sql(cols), []
    connection = _connection()
    if since is not None:
        sql += " WHERE updated_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(since))
    chunks = []
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(CHUNK):
            chunks.append(np.array(rows, dtype=np.int64))
    table = np.concatenate(chunks) if chunks else np.zeros((0, len(cols)), dtype=np.int64)
    built = {}
    for i, c in enumerate(cols):
        values = table[:, i]
        if c.tree:
            tree = trees[c.tree]
            built[c.name] = typed(c.name, positions(values, tree), position_dtype(len(tree.ids)))
        else:
            built[c.name] = typed(c.name, values, c.dtype)
    return built


def _sorted(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows ordered by receipt day, then id."""
    order = np.lexsort((columns["id"], columns["day"]))
    return {name: values[order] for name, values in columns.items()}


def merge(previous: dict[str, np.ndarray], changed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The previous columns with the changed matters' rows replaced (or added), sorted again."""
    keep = ~np.isin(previous["id"], changed["id"])
    return _sorted(
        {name: np.concatenate([np.asarray(previous[name])[keep], changed[name]]) for name in changed}
    )


def _definitions(cols: list[Column]) -> dict:
    return {c.name: c.sql for c in cols}


def _meta(trees: dict, taken_at: datetime, full_at: datetime, cols: list[Column]) -> dict:
    statuses = list(Status.choices)
    return {
        "taken_at": taken_at.isoformat(),
        "full_at": full_at.isoformat(),
        "columns": _definitions(cols),
        "categories": trees["categories"].to_json(),
        "divisions": trees["divisions"].to_json(),
        "units": trees["units"].to_json(),
        "channels": [list(c) for c in Channel.choices],
        "natures": [list(c) for c in Nature.choices],
        "statuses": [list(c) for c in statuses],
        "open_statuses": [i for i, (value, _l) in enumerate(statuses) if value not in TERMINAL_STATUSES],
    }


def build(previous: Frame | None = None) -> tuple[Frame, str]:
    """The column store as of now, and how it was made ("full" or "incremental"): from
    ``previous`` and the matters changed since it was taken, when that can be done."""
    started = timezone.now()
    categories, divisions, units = _trees()
    trees = {"categories": categories, "divisions": divisions, "units": units}
    cols = columns()
    incremental = previous is not None and _can_extend(previous, trees, cols, started)
    if incremental:
        since = datetime.fromisoformat(previous.meta["taken_at"]) - MARGIN
        built = merge(previous.columns, _read(cols, trees, since))
        full_at = datetime.fromisoformat(previous.meta["full_at"])
    else:
        built, full_at = _sorted(_read(cols, trees)), started
    return Frame(built, _meta(trees, started, full_at, cols)), "incremental" if incremental else "full"


def _can_extend(previous: Frame, trees: dict, cols: list[Column], now: datetime) -> bool:
    meta = previous.meta
    # A column read differently since (a new version of the code): every row is read again.
    if "full_at" not in meta or meta.get("columns") != _definitions(cols):
        return False
    if now - datetime.fromisoformat(meta["full_at"]) >= timedelta(
        minutes=settings.XINFANG_SNAPSHOT_FULL_MINUTES
    ):
        return False
    return all(meta[name] == tree.to_json() for name, tree in trees.items())


def refresh(*, full: bool = False) -> dict:
    """Build a new version (incremental unless ``full``) and make it current."""
    started = time.perf_counter()
    with dbrouter.replica_reads():
        frame, kind = build(None if full else current())
    with STORE.staging() as folder:
        frame.save(folder)
        name = STORE.publish(folder, {"taken_at": frame.meta["taken_at"], "matters": len(frame)})
    return {
        "matters": len(frame),
        "seconds": round(time.perf_counter() - started, 2),
        "generation": name,
        "kind": kind,
    }


_loaded: dict[str, Frame] = {}
_lock = threading.Lock()


def current() -> Frame | None:
    """The current version, loaded once per process; None before the first build."""
    pointer = STORE.pointer()
    if pointer is None:
        return None
    key = f"{STORE.alias}/{pointer['generation']}"
    with _lock:
        frame = _loaded.get(key)
        if frame is None:
            frame = Frame.load(STORE.folder(pointer))
            _loaded.clear()
            _loaded[key] = frame
        return frame


def ensure() -> Frame:
    """The current version, building the first one if there is none yet (where this process may:
    otherwise the worker is asked to, and NotReady raised)."""
    frame = current()
    if frame is None:
        if not settings.XINFANG_WEB_BUILDS:
            from .tasks import build_snapshot

            build_snapshot()
            raise NotReady("统计数据正在由后台任务生成，请一分钟后再试。")
        refresh()
        frame = current()
    return frame


def age_seconds() -> float | None:
    """How old the data of the published version is (what the dashboard's lag says, for /readyz and
    /metrics); None before the first."""
    pointer = STORE.pointer()
    if pointer is None or "taken_at" not in pointer:
        return None
    return max(0.0, (timezone.now() - datetime.fromisoformat(pointer["taken_at"])).total_seconds())


def lag_seconds(frame: Frame) -> int:
    """How old the data of ``frame`` is: seconds since it was taken."""
    return max(0, int((timezone.now() - datetime.fromisoformat(frame.meta["taken_at"])).total_seconds()))
