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
FIELDS = [
    "pk", "found_on", "division_id", "holder_unit_id", "industry", "level", "status",
    "rectified_on_time", "listed_level", "due_date", "stoppage",
]  # fmt: skip


def _values(rows):
    """The rows as the columns read them (the amount as a float: no Decimal made for each row)."""
    return rows.values(*FIELDS, funds=Cast("plan_funds", FloatField())).iterator(chunk_size=20000)


class Store:
    """The column store of one process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids = np.zeros(0, np.int64)
        self.cols = {name: np.zeros(0, dtype) for name, (dtype, _) in COLUMNS.items()}
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
            self.cols = {name: np.zeros(0, dtype) for name, (dtype, _) in COLUMNS.items()}
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
        at = np.searchsorted(self.ids, ids)
        known = (
            (at < len(self.ids)) & (self.ids[np.minimum(at, len(self.ids) - 1)] == ids)
            if len(self.ids)
            else np.zeros(len(ids), bool)
        )
        for name in COLUMNS:
            self.cols[name][at[known]] = values[name][known]
        if (~known).any():
            new = ~known
            order = np.argsort(ids[new], kind="stable")
            self.ids = np.concatenate([self.ids, ids[new][order]])
            for name in COLUMNS:
                self.cols[name] = np.concatenate([self.cols[name], values[name][new][order]])
            if len(self.ids) > 1 and (np.diff(self.ids) < 0).any():  # an id below one already held
                order = np.argsort(self.ids, kind="stable")
                self.ids = self.ids[order]
                self.cols = {name: col[order] for name, col in self.cols.items()}


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


def _figures(rows, in_period, groups, size, today_n) -> dict:
    """Each figure per group number 0 … size-1, over `rows` (the columns of the hazards picked)."""
    status = rows["status"]
    rectified = in_period & IS_RECTIFIED[status]
    open_now = IS_OPEN[status]
    overdue = IS_RECTIFYING[status] & (rows["due"] >= 0) & (rows["due"] < today_n)

    def count(mask, weights=None):
        w = None if weights is None else weights[mask]
        return np.bincount(groups[mask], weights=w, minlength=size)[:size]

    return {
        "found": count(in_period),
        "major": count(in_period & rows["major"]),
        "rectified": count(rectified),
        "on_time": count(rectified & (rows["on_time"] == 1)),
        "overdue": count(overdue),
        "major_open": count(open_now & rows["major"]),
        "listed": count(in_period & rows["listed"]),
        "stopped": count(open_now & rows["stopped"]),
        "funds": count(in_period & rows["major"], rows["funds"]),
    }


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
    picked first and the figures counted over them alone; hazards are grouped by the holding
    unit's id itself (ids of units are small numbers: no sorting to number the groups)."""
    store = (store or STORE).current()
    c = store.cols
    in_period = (c["found"] >= _days(first)) & (c["found"] <= _days(last))
    picked = np.flatnonzero(_in_area(store, area) & (in_period | IS_OPEN[c["status"]]))
    rows = {name: col[picked] for name, col in c.items() if name != "division"}
    in_period = in_period[picked]
    today_n = _days(today)
    zero = np.zeros(len(picked), np.int64)
    total = _rows(_figures(rows, in_period, zero, 1, today_n), lambda _i: "合计")
    for f in total:
        f.key = None
    holders = rows["holder"]
    size = int(holders.max()) + 1 if len(holders) else 0
    by_unit = _rows(_figures(rows, in_period, holders, size, today_n), lambda _i: "")
    names = dict(Unit.objects.filter(pk__in=[f.key for f in by_unit]).values_list("pk", "name"))
    for f in by_unit:
        f.label = names.get(f.key, "")
    industry = rows["industry"].astype(np.int64)
    industry[industry < 0] = len(INDUSTRIES) - 1
    by_industry = _rows(
        _figures(rows, in_period, industry, len(INDUSTRIES), today_n),
        lambda i: Industry(INDUSTRIES[i]).label,
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
