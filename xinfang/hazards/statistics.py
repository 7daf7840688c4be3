"""Statistics of the hazard ledger: found, rectified, 整改率, 按期整改率, overdue and major hazards
still open, by supervising unit and by industry, for the user's territory.

A row-store GROUP BY reads every hazard of the period through the B-tree (measured: half a second
for a year of a million hazards on SQLite, grouped by unit), so the figures are counted over a
column store instead: one numpy array per column the statistics read, one row per hazard, kept in
each process and brought up to date before it is read — the hazards changed since it last looked
are read by their `updated_at` index and written over their rows (new ones appended). Every figure
is then a mask over a few arrays and one `np.bincount`.
"""

import threading
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db.models import Count, FloatField, Max
from django.db.models.functions import Cast

from xinfang.cases.scoping import territory_paths
from xinfang.org.models import Division, Unit

from .choices import Industry, Level, Status, Stoppage
from .models import Hazard
from .workflow import RECTIFY_STEPS, STEP_OF_STATUS

EPOCH = date(2000, 1, 1)
NONE = -1
STATUSES = list(Status.values)
INDUSTRIES = list(Industry.values)
RECTIFIED = [STATUSES.index(s) for s in (Status.ACCEPTED, Status.CLOSED)]
OPEN = [STATUSES.index(s) for s in (
    Status.REGISTERED, Status.RECTIFYING, Status.PLAN_PENDING, Status.GOVERNING, Status.ACCEPTANCE_PENDING
)]  # fmt: skip
RECTIFYING = [STATUSES.index(s) for s, step in STEP_OF_STATUS.items() if step in RECTIFY_STEPS]


def _is(statuses) -> np.ndarray:
    """A table from a status number to whether it is one of `statuses` (indexing it is one pass)."""
    table = np.zeros(len(STATUSES), bool)
    table[statuses] = True
    return table


IS_RECTIFIED, IS_OPEN, IS_RECTIFYING = _is(RECTIFIED), _is(OPEN), _is(RECTIFYING)
# A change committed a little after another process last looked may carry an earlier updated_at:
# each look reads again the changes of this many seconds before the last one it saw.
MARGIN = timedelta(minutes=5)


def _days(d) -> int:
    return (d - EPOCH).days if d else NONE


COLUMNS = {
    # name: (dtype, value of a row read from the database)
    "found": (np.int32, lambda r: _days(r["found_on"])),
    "division": (np.int64, lambda r: r["division_id"]),
    "holder": (np.int64, lambda r: r["holder_unit_id"]),
    "industry": (np.int8, lambda r: INDUSTRIES.index(r["industry"]) if r["industry"] in INDUSTRIES else NONE),
    "major": (np.bool_, lambda r: r["level"] == Level.MAJOR),
    "status": (np.int8, lambda r: STATUSES.index(r["status"])),
    "on_time": (np.int8, lambda r: NONE if r["rectified_on_time"] is None else int(r["rectified_on_time"])),
    "listed": (np.bool_, lambda r: bool(r["listed_level"])),
    "due": (np.int32, lambda r: _days(r["due_date"])),
    "stopped": (np.bool_, lambda r: r["stoppage"] != Stoppage.NONE),
    "funds": (np.float64, lambda r: r["funds"] or 0.0),
}
DTYPES = {**{name: dtype for name, (dtype, _) in COLUMNS.items()}, "unit": np.int32}
FIELDS = [
    "pk", "found_on", "division_id", "holder_unit_id", "industry", "level", "status",
    "rectified_on_time", "listed_level", "due_date", "stoppage",
]  # fmt: skip


def _values(rows):
    """The rows as the columns read them (the amount as a float: no Decimal made for each row)."""
    return rows.values(*FIELDS, funds=Cast("plan_funds", FloatField())).iterator(chunk_size=20000)


def _empty() -> dict:
    return {name: np.zeros(0, dtype) for name, dtype in DTYPES.items()}


class Store:
    """The column store of one process. Besides the columns read, each hazard's holding unit is
    numbered 0, 1, 2 … in the order units first appear (`units[n]` is unit n's id), so that
    figures by unit are counted into as many bins as there are units."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids = np.zeros(0, np.int64)
        self.cols = _empty()
        self.units, self.unit_number = [], {}
        self.fingerprint = None
        self.seen = None  # the latest updated_at read

    def current(self) -> "Store":
        """Bring the store up to date and return it."""
        with self.lock:
            self._refresh()
        return self

    def forget(self):
        with self.lock:
            self.__init__()

    def _refresh(self):
        # Three queries: SQLite reads MAX of an indexed column from the index only when it is the
        # query's one aggregate (both in one query scanned a million rows: a third of a second).
        facts = {
            "n": Hazard.objects.count(),
            "last": Hazard.objects.aggregate(last=Max("updated_at"))["last"],
            "top": Hazard.objects.aggregate(top=Max("pk"))["top"],
        }
        fingerprint = (facts["n"], facts["last"], facts["top"])
        if fingerprint == self.fingerprint:
            return
        rows = Hazard.objects.order_by("pk")
        if self.seen is not None:
            rows = rows.filter(updated_at__gte=self.seen - MARGIN)
        self._apply(_values(rows))
        self.fingerprint = fingerprint
        self.seen = facts["last"]
        if len(self.ids) != facts["n"]:  # rows written under an older stamp than the margin allows
            self.ids = np.zeros(0, np.int64)
            self.cols = _empty()
            self._apply(_values(Hazard.objects.order_by("pk")))

    def _apply(self, rows):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 50000:
                self._write(batch)
                batch = []
        if batch:
            self._write(batch)

    def _write(self, rows):
        ids = np.fromiter((r["pk"] for r in rows), np.int64, len(rows))
        values = {
            name: np.fromiter((read(r) for r in rows), dtype, len(rows))
            for name, (dtype, read) in COLUMNS.items()
        }
        values["unit"] = self._unit_numbers(values["holder"])
        at = np.searchsorted(self.ids, ids)
        known = (
            (at < len(self.ids)) & (self.ids[np.minimum(at, len(self.ids) - 1)] == ids)
            if len(self.ids)
            else np.zeros(len(ids), bool)
        )
        for name in DTYPES:
            self.cols[name][at[known]] = values[name][known]
        if (~known).any():
            new = ~known
            order = np.argsort(ids[new], kind="stable")
            self.ids = np.concatenate([self.ids, ids[new][order]])
            for name in DTYPES:
                self.cols[name] = np.concatenate([self.cols[name], values[name][new][order]])
            if len(self.ids) > 1 and (np.diff(self.ids) < 0).any():  # an id below one already held
                order = np.argsort(self.ids, kind="stable")
                self.ids = self.ids[order]
                self.cols = {name: col[order] for name, col in self.cols.items()}

    def _unit_numbers(self, holders) -> np.ndarray:
        for unit in np.unique(holders).tolist():
            if unit not in self.unit_number:
                self.unit_number[unit] = len(self.units)
                self.units.append(unit)
        table = np.zeros(int(holders.max()) + 1 if len(holders) else 0, np.int32)
        seen = [u for u in self.unit_number if u < len(table)]
        table[seen] = [self.unit_number[u] for u in seen]
        return table[holders]


STORE = Store()


# ---------------------------------------------------------------- area


@dataclass(frozen=True)
class Area:
    """What a user's statistics count (not who may open which hazard: that is the kernel's scoping):
    the hazards in their unit's territory (a territorial unit) or held by their unit and the units
    below it (a supervising department)."""

    label: str
    divisions: frozenset = frozenset()
    units: frozenset = frozenset()


def area_of(user) -> Area:
    unit = user.unit
    units = frozenset(unit.subtree().values_list("pk", flat=True))
    divisions = frozenset()
    if unit.is_territorial:
        paths = territory_paths(unit)
        if paths:
            q = Division.objects.none()
            for path in paths:
                q = q | Division.objects.filter(path__startswith=path)
            divisions = frozenset(q.values_list("pk", flat=True))
    return Area(str(unit), divisions, units)


# ---------------------------------------------------------------- figures


@dataclass
class Figures:
    label: str
    key: object = None  # the unit id or industry value the row is about (for the links)
    found: int = 0
    major: int = 0
    rectified: int = 0
    on_time: int = 0
    overdue: int = 0  # open now and past the rectification deadline
    major_open: int = 0
    listed: int = 0
    stopped: int = 0
    funds: float = 0.0

    @property
    def general(self):
        return self.found - self.major

    @property
    def rate(self):
        return self.rectified / self.found if self.found else None

    @property
    def on_time_rate(self):
        return self.on_time / self.rectified if self.rectified else None


@dataclass
class Report:
    area: Area
    first: date
    last: date
    today: date
    total: Figures
    by_unit: list = field(default_factory=list)
    by_industry: list = field(default_factory=list)


def _in_area(store: Store, area: Area) -> np.ndarray:
    c = store.cols
    mask = (
        np.isin(c["holder"], np.fromiter(area.units, np.int64))
        if area.units
        else np.zeros(len(store.ids), bool)
    )
    if area.divisions:
        mask |= np.isin(c["division"], np.fromiter(area.divisions, np.int64))
    return mask


# Each hazard picked gets one flag byte; a figure counts the hazards whose byte has all its flags.
FLAGS = ["in_period", "rectified", "on_time", "overdue", "open", "major", "listed", "stopped"]
FIGURE_FLAGS = {
    "found": ["in_period"],
    "major": ["in_period", "major"],
    "rectified": ["rectified"],  # found in the period and accepted or struck off
    "on_time": ["rectified", "on_time"],
    "overdue": ["overdue"],  # open now, past the rectification deadline
    "major_open": ["open", "major"],
    "listed": ["in_period", "listed"],
    "stopped": ["open", "stopped"],
}
# BYTES_OF[b, k]: whether flag byte b has every flag of figure k.
BYTES_OF = np.array(
    [[all(b >> FLAGS.index(f) & 1 for f in flags) for flags in FIGURE_FLAGS.values()] for b in range(256)],
    np.int64,
)


def _flag_bytes(rows, in_period, today_n) -> np.ndarray:
    status = rows["status"]
    flags = {
        "in_period": in_period,
        "rectified": in_period & IS_RECTIFIED[status],
        "on_time": rows["on_time"] == 1,
        "overdue": IS_RECTIFYING[status] & (rows["due"] >= 0) & (rows["due"] < today_n),
        "open": IS_OPEN[status],
        "major": rows["major"],
        "listed": rows["listed"],
        "stopped": rows["stopped"],
    }
    byte = np.zeros(len(status), np.int64)
    for bit, name in enumerate(FLAGS):
        byte |= flags[name].astype(np.int64) << bit
    return byte


def _figures(byte, funds, groups, size) -> dict:
    """Each figure per group number 0 … size-1: one count per (group, flag byte), then the bytes
    that make each figure summed (a matrix product); the major hazards' funds summed apart."""
    table = np.bincount(groups * 256 + byte, minlength=size * 256).reshape(size, 256)
    counted = table @ BYTES_OF
    counts = {name: counted[:, k] for k, name in enumerate(FIGURE_FLAGS)}
    majors = (byte & 1 << FLAGS.index("in_period")).astype(bool) & (byte & 1 << FLAGS.index("major")).astype(
        bool
    )
    counts["funds"] = np.bincount(groups[majors], weights=funds[majors], minlength=size)[:size]
    return counts


def _rows(counts, label_of) -> list[Figures]:
    """The groups with something to show (found, overdue or major and open), as Figures."""
    shown = np.flatnonzero(counts["found"] + counts["overdue"] + counts["major_open"])
    return [
        Figures(
            label_of(int(i)),
            int(i),
            **{name: (float(v[i]) if name == "funds" else int(v[i])) for name, v in counts.items()},
        )
        for i in shown
    ]


def report(area: Area, first: date, last: date, today: date, store: Store | None = None) -> Report:
    """The figures of the hazards found from `first` to `last` (and of those open on `today`),
    in total, by supervising unit and by industry.

    Every figure counts hazards found in the period or open now, so those rows of the area are
    picked first and the figures counted over them alone, in one pass for each grouping."""
    store = (store or STORE).current()
    c = store.cols
    in_period = (c["found"] >= _days(first)) & (c["found"] <= _days(last))
    picked = np.flatnonzero(_in_area(store, area) & (in_period | IS_OPEN[c["status"]]))
    rows = {name: col[picked] for name, col in c.items() if name not in ("division", "holder")}
    byte = _flag_bytes(rows, in_period[picked], _days(today))
    funds = rows["funds"]
    total = _rows(_figures(byte, funds, np.zeros(len(picked), np.int64), 1), lambda _i: "合计")
    for f in total:
        f.key = None
    units = store.units
    by_unit = _rows(_figures(byte, funds, rows["unit"].astype(np.int64), len(units)), lambda _i: "")
    names = dict(Unit.objects.filter(pk__in=[units[f.key] for f in by_unit]).values_list("pk", "name"))
    for f in by_unit:
        f.key = units[f.key]
        f.label = names.get(f.key, "")
    industry = rows["industry"].astype(np.int64)
    industry[industry < 0] = len(INDUSTRIES) - 1
    by_industry = _rows(
        _figures(byte, funds, industry, len(INDUSTRIES)), lambda i: Industry(INDUSTRIES[i]).label
    )
    for f in by_industry:
        f.key = INDUSTRIES[f.key]
    by_unit.sort(key=lambda f: (-f.found, f.label))
    return Report(area, first, last, today, total[0] if total else Figures("合计"), by_unit, by_industry)


def plain_report(area: Area, first: date, last: date, today: date) -> list[dict]:
    """The same figures by unit as one plain ORM GROUP BY (the benchmark's comparison)."""
    from django.db.models import Q, Sum

    qs = Hazard.objects.filter(Q(holder_unit__in=area.units) | Q(division__in=area.divisions))
    in_period = Q(found_on__range=(first, last))
    rectified = in_period & Q(status__in=[Status.ACCEPTED, Status.CLOSED])
    open_now = Q(status__in=[STATUSES[i] for i in OPEN])
    return list(
        qs.values("holder_unit")
        .annotate(
            found=Count("pk", filter=in_period),
            major=Count("pk", filter=in_period & Q(level=Level.MAJOR)),
            rectified=Count("pk", filter=rectified),
            on_time=Count("pk", filter=rectified & Q(rectified_on_time=True)),
            overdue=Count("pk", filter=Q(status__in=[STATUSES[i] for i in RECTIFYING], due_date__lt=today)),
            major_open=Count("pk", filter=open_now & Q(level=Level.MAJOR)),
            listed=Count("pk", filter=in_period & ~Q(listed_level="")),
            funds=Sum("plan_funds", filter=in_period & Q(level=Level.MAJOR)),
        )
        .order_by()
    )


def quarter(text: str) -> tuple[date, date]:
    """ "2026Q3" → its first and last day; ValueError otherwise."""
    year, _, q = text.upper().partition("Q")
    year, q = int(year), int(q)
    if not (1 <= q <= 4 and 1990 <= year <= 2199):
        raise ValueError(text)
    first = date(year, 3 * q - 2, 1)
    last = (date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)) - timedelta(days=1)
    return first, last
