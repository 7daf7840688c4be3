"""A plan is everything one act on a case writes: the case row, new rows (events, links, people…),
changes to earlier rows, notices, audit records and after-commit jobs. Acts only fill plans; a plan
is saved either through the ORM, one row at a time (`save`), or with many others in one bulk write
(`BulkSession`), which the 台账 import, the demo and the benchmark loader use. Both write the same
rows (tests/test_plans.py compares them).
"""

from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.utils import timezone

from xinfang.audit import api as audit
from xinfang.core.bulk import BulkInsert
from xinfang.core.models import Notification
from xinfang.core.outbox import enqueue

from .registry import of


@dataclass
class Plan:
    case: object
    new: bool = False
    rows: list = field(default_factory=list)  # new rows, in the order they are written
    changed: list = field(default_factory=list)  # (row, fields) of rows already written
    notices: list = field(default_factory=list)  # unsaved Notification rows
    audits: list = field(default_factory=list)  # (action, user, detail) about the case
    jobs: list = field(default_factory=list)  # callables run after commit


def save(plan: Plan):
    """Write a plan through the ORM (inside the caller's transaction)."""
    if plan.new:
        plan.case.save(force_insert=True)
    else:
        plan.case.save()
    for row in plan.rows:
        row.save()
    for row, fields in plan.changed:
        row.save(update_fields=fields)
    enqueue(plan.notices)
    for action, user, detail in plan.audits:
        audit.record(action, user=user, target=audit_target(plan.case), detail=detail)
    for job in plan.jobs:
        transaction.on_commit(job)


def audit_target(case) -> str:
    return f"{of(case).key}:{case.pk}"


_SESSION: ContextVar["BulkSession | None"] = ContextVar("bulk_session", default=None)


def current_session() -> "BulkSession | None":
    return _SESSION.get()


class BulkSession:
    """Collects the plans of many acts and writes them in bulk, in one transaction.

    Cases created in the session get their ids at once (so acts can find them by id), and stay in
    memory until the session flushes; acts on them read their rows from memory (`rows_for`).
    Acts in a session are trusted: the actor's role and unit are checked, but not the scope query
    (the case may not be in the database yet). Audit: one record per flush names every case written.
    """

    def __init__(
        self,
        actor=None,
        *,
        audit_target="bulk",
        audit_detail=None,
        summarise=None,
        history=False,
        ids=None,
        keep_notices=True,
    ):
        self.actor, self.audit_target, self.audit_detail = actor, audit_target, audit_detail or {}
        # function(model) → a primary key: ids reserved by the caller (the benchmark loader's
        # processes each write their own range, without holding the database while they generate)
        self.ids = ids
        self.keep_notices = keep_notices  # False: the loader writes no notices
        # A history being loaded (the demo): its notices are kept as the record of what the system
        # would have said at the time, marked sent and never delivered.
        self.history = history
        self.memo = {}  # lookups that do not change during the session (staff of a unit)
        # function(notices) → notices: the staff notices of a flush (a 台账 import tells each
        # receiving user once per chunk, not once per matter)
        self.summarise = summarise
        self.cases = {}  # (model, pk) → case held in memory
        self.new = set()  # keys of cases created in the session and not yet written
        self.rows = []  # new rows of every plan, in order
        self.pending = defaultdict(list)  # (model of case, pk, row model) → rows not yet written
        self.changed = []
        self.notices = []
        self.jobs = []
        self.touched = defaultdict(set)  # case model → pks written at the next flush
        self.row_case = {}  # id(row) → (case model, pk) of the rows not yet written
        self._next_id = {}

    # -- ids

    def allocate(self, model) -> int:
        """A primary key for a new row of `model` (the session holds the transaction's write lock
        on SQLite; PostgreSQL hands out sequence values), or from the caller's reserved range."""
        if self.ids is not None:
            return self.ids(model)
        db = connections["default"]
        table = model._meta.db_table
        if db.vendor == "postgresql":
            with db.cursor() as cur:
                cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
                return cur.fetchone()[0]
        if table not in self._next_id:
            with db.cursor() as cur:
                cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {db.ops.quote_name(table)}")  # noqa: S608
                highest = cur.fetchone()[0]
                cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                found = cur.fetchone()
            self._next_id[table] = max(highest, found[0] if found else 0) + 1
        pk = self._next_id[table]
        self._next_id[table] += 1
        return pk

    # -- what acts read

    def case(self, model, pk):
        return self.cases.get((model, pk))

    def hold(self, case, *, new=False):
        key = (type(case), case.pk)
        self.cases[key] = case
        if new:
            self.new.add(key)

    def rows_for(self, case, model) -> list:
        return self.pending.get((type(case), case.pk, model), [])

    def is_new(self, case) -> bool:
        return (type(case), case.pk) in self.new

    # -- collecting and writing

    def add(self, plan: Plan):
        case = plan.case
        self.hold(case, new=plan.new)
        self.touched[type(case)].add(case.pk)
        for row in plan.rows:
            self.rows.append(row)
            self.row_case[id(row)] = (type(case), case.pk)
            self.pending[(type(case), case.pk, type(row))].append(row)
        self.changed += plan.changed
        if self.keep_notices:
            self.notices += plan.notices
        self.jobs += plan.jobs

    @contextmanager
    def savepoint(self):
        """Acts inside the block are forgotten if it raises (one 台账 row that cannot be written
        does not take the others with it)."""
        marks = (len(self.rows), len(self.changed), len(self.notices), len(self.jobs))
        cases, new, touched = dict(self.cases), set(self.new), {m: set(p) for m, p in self.touched.items()}
        try:
            yield
        except Exception:
            self.rows, self.changed = self.rows[: marks[0]], self.changed[: marks[1]]
            self.notices, self.jobs = self.notices[: marks[2]], self.jobs[: marks[3]]
            self.cases, self.new = cases, new
            self.touched = defaultdict(set, touched)
            self.pending = defaultdict(list)
            for row in self.rows:
                self.pending[self._key(row)].append(row)
            raise

    def _key(self, row):
        return self.row_case[id(row)] + (type(row),)

    def flush(self):
        """Write everything collected so far; the cases stay in memory for later acts."""
        written = defaultdict(list)
        stamp = timezone.now()  # what auto_now fields get on save()
        for model, pks in self.touched.items():
            new = [self.cases[(model, pk)] for pk in sorted(pks) if (model, pk) in self.new]
            _stamp(new, stamp)
            BulkInsert(model, with_pk=True).insert([vars(c) for c in new])
            for pk in sorted(pks):
                if (model, pk) not in self.new:
                    self.cases[(model, pk)].save()
            written[f"{of(model).key}s"] += sorted(pks)
            self.new -= {(model, pk) for pk in pks}
        by_model = defaultdict(list)
        for row in self.rows:
            by_model[type(row)].append(row)
        for model, rows in by_model.items():
            _stamp(rows, stamp)
            BulkInsert(model).insert([vars(r) for r in rows])
        for row, fields in self.changed:
            row.save(update_fields=fields)
        notices = self.notices
        if self.summarise is not None:
            staff = [n for n in notices if n.audience == Notification.Audience.STAFF]
            notices = [n for n in notices if n.audience != Notification.Audience.STAFF] + self.summarise(
                staff
            )
        for notice in notices:
            notice.pk = self.allocate(Notification)
            if self.history:
                notice.state = Notification.State.SENT
        _stamp(notices, stamp)
        BulkInsert(Notification, with_pk=True).insert([vars(n) for n in notices])
        ids = [n.pk for n in notices]
        if ids and not self.history:
            from xinfang.core.tasks import deliver_notifications

            transaction.on_commit(lambda: deliver_notifications(ids))
        if written:
            detail = {**self.audit_detail, **written}
            audit.record("change", user=self.actor, target=self.audit_target, detail=detail)
        for job in self.jobs:
            transaction.on_commit(job)
        self.rows, self.changed, self.notices, self.jobs = [], [], [], []
        self.pending.clear()
        self.touched.clear()
        self.row_case.clear()


def _stamp(rows, now):
    """Fill the auto_now / auto_now_add fields as save() would (a bulk insert does not)."""
    if not rows:
        return
    fields = [f.attname for f in type(rows[0])._meta.concrete_fields if getattr(f, "auto_now", False)]
    added = [f.attname for f in type(rows[0])._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    for row in rows:
        for name in fields:
            setattr(row, name, now)
        for name in added:
            if getattr(row, name) is None:
                setattr(row, name, now)


@contextmanager
def bulk(actor=None, *, transactional=True, **options):
    """Acts inside the block are collected and written in bulk when it ends, in one transaction.
    `transactional=False` (with reserved `ids`): no transaction while acts are decided, each flush
    in its own — for loaders that generate in several processes at once. `options`: BulkSession's."""
    if current_session() is not None:
        raise RuntimeError("bulk sessions do not nest")
    session = BulkSession(actor, **options)
    token = _SESSION.set(session)
    try:
        if transactional:
            with transaction.atomic():
                yield session
                session.flush()
        else:
            yield session
            with transaction.atomic():
                session.flush()
    finally:
        _SESSION.reset(token)
