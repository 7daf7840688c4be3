"""Writing a chunk of checked 台账 rows: each row is registered — and dispatched when it names a
承办单位 — through the same write path as the pages (`register_matter`, `perform`), inside one bulk
session (xinfang/cases/plan.py), so a chunk is one transaction of bulk inserts with the job's counters.
A row the write path refuses (a dispatch it does not allow) is reported and leaves nothing behind.
"""

from django.db.models import F
from django.utils import timezone

from xinfang.cases import plan
from xinfang.org.importers import RowError
from xinfang.petitions import services
from xinfang.petitions.choices import Nature
from xinfang.petitions.models import Matter

from .models import ImportJob
from .rows import LedgerRow


def imported(unit, keys) -> dict[str, int]:
    """{import key: matter id} of the keys already registered by the unit. The exclude repeats the
    unique index's condition word for word, so that SQLite (and PostgreSQL) may use that index
    instead of reading every matter the unit ever registered."""
    found = Matter.objects.filter(registering_unit=unit, import_key__in=keys).exclude(import_key="")
    return dict(found.order_by().values_list("import_key", "pk"))


def dispatch_action(actor, unit) -> str:
    """直接办理 for the importer's own unit, 交办 for a unit below it, 转送 otherwise."""
    if unit.pk == actor.unit_id:
        return "handle_directly"
    return "assign" if unit.is_within(actor.unit) else "forward"


def write_row(job: ImportJob, actor, row: LedgerRow, now):
    note = f"由台账导入（{job.original_name} 第{row.number}行）"
    # A 检举控告 waits for its screening unit to resolve whom it names before anyone dispatches it;
    # the 台账's 承办单位 is kept in the note.
    accusation = row.fields.get("nature") == Nature.ACCUSATION
    if accusation and row.handling_unit is not None:
        note += f"；台账所列承办单位「{row.handling_unit}」，待纪检监察机关核定被反映对象后交办"
    fields = {**row.fields, "import_key": row.key}
    matter = services.register_matter(
        actor, fields=fields, petitioners=row.petitioners, now=now, note=note, data={"import_job": job.pk}
    )
    if row.handling_unit is None or accusation:
        return
    action = dispatch_action(actor, row.handling_unit)
    services.perform(matter.pk, actor, action, now=now, unit=row.handling_unit, note=row.instructions)


def write_chunk(job: ImportJob, actor, rows: list[LedgerRow], now) -> list[RowError]:
    """Register the rows not imported before; count them on the job in the same transaction."""
    existing = set(imported(actor.unit, [r.key for r in rows]))
    errors, written = [], 0
    audit = {"action": "import", "file": job.original_name}
    with plan.bulk(actor, audit_target=f"import:{job.pk}", audit_detail=audit, summarise=_summary) as session:
        for row in rows:
            if row.key in existing:
                continue
            try:
                with session.savepoint():
                    write_row(job, actor, row, now)
            except services.TransitionError as exc:
                errors.append(RowError(row.number, "承办单位", str(exc)))
                continue
            written += 1
        session.flush()
        ImportJob.objects.filter(pk=job.pk).update(
            written=F("written") + written,
            skipped=F("skipped") + len(existing),
            claimed_at=timezone.now(),
        )
    return errors


def _summary(notices) -> list:
    """One notice per receiving user and chunk instead of one per matter."""
    by_user = {}
    for n in notices:
        by_user.setdefault(n.recipient_user_id, []).append(n)
    rows = []
    for group in by_user.values():
        first, count = group[0], len({n.matter_id for n in group})
        first.matter = None
        first.kind = "import"
        first.subject = f"待办：台账导入的{count}件信访事项"
        first.body = f"从台账导入了{count}件信访事项，转送、交办至本单位，请及时受理办理。"
        rows.append(first)
    return rows
