"""The bulk write path of the 台账 import: a chunk of checked rows becomes matters in one transaction.

Each matter gets what `register_matter` and `perform` would give it — deadline, unit link, encrypted
petitioners, a register event and, when the row names a 承办单位, the dispatch (转送 / 交办 / 直接办理)
through the same transition functions — but written with bulk inserts (xinfang/core/bulk.py): one
row at a time through the ORM manages a few hundred matters a second, a 台账 has tens of thousands. The audit log gets one
row per chunk naming every matter; each receiving unit's staff get one notice per chunk.
"""

from collections import Counter

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xinfang.audit import api as audit
from xinfang.core.bulk import BulkInsert
from xinfang.core.models import Notification
from xinfang.org.importers import RowError
from xinfang.org.models import User
from xinfang.petitions import services
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter, MatterEvent, MatterUnit, Petitioner, id_number_hash, phone_hash
from xinfang.petitions.workflow import TRANSITIONS

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


def prepare(actor, row: LedgerRow, now):
    """The unsaved matter of a row, dispatched in memory when the row names a 承办单位.
    Returns (matter, step or None, transition or None, the completed step's due date);
    raises TransitionError."""
    matter = services.new_matter(actor, row.fields, now)
    # A 检举控告 waits for its screening unit to resolve whom it names before anyone dispatches
    # it; the 台账's 承办单位 stays in the register event's note.
    if row.handling_unit is None or matter.screening_unit_id:
        return matter, None, None, None
    action = dispatch_action(actor, row.handling_unit)
    t = TRANSITIONS[action]
    services.check_actor(actor, matter, t, visible=True)
    step = services.Step(
        matter=matter, actor=actor, now=now, params={"unit": row.handling_unit}, note=row.instructions
    )
    old_due = matter.due_date
    services.APPLY[action](step)
    matter.status = t.targets[0]
    matter.step_started_on = step.today
    services.recompute_deadline(matter, step.today)
    return matter, step, t, old_due


@transaction.atomic
def write_chunk(job: ImportJob, actor, rows: list[LedgerRow], now) -> list[RowError]:
    """Register the rows not imported before; count them on the job in the same transaction."""
    unit = actor.unit
    existing = set(imported(unit, [r.key for r in rows]))
    prepared, errors = [], []
    for row in rows:
        if row.key in existing:
            continue
        try:
            matter, step, t, old_due = prepare(actor, row, now)
        except services.TransitionError as exc:
            errors.append(RowError(row.number, "承办单位", str(exc)))
            continue
        matter.import_key = row.key
        matter.created_at = matter.updated_at = now
        prepared.append((row, matter, step, t, old_due))
    BulkInsert(Matter).insert([vars(m) for _, m, _, _, _ in prepared])
    # The new ids, found by the import keys (unique per registering unit) on every backend.
    ids = imported(unit, [m.import_key for _, m, _, _, _ in prepared])

    links, people, events, received = [], [], [], Counter()
    base = {"actor_id": actor.pk, "actor_unit_id": unit.pk, "at": now}
    for row, matter, step, t, old_due in prepared:
        matter.pk = matter_id = ids[matter.import_key]
        links.append({"matter_id": matter_id, "unit_id": unit.pk, "unit_path": unit.path})
        note = f"由台账导入（{job.original_name} 第{row.number}行）"
        if matter.screening_unit_id:
            screener = matter.screening_unit
            links.append({"matter_id": matter_id, "unit_id": screener.pk, "unit_path": screener.path})
            if row.handling_unit is not None:
                note += f"；台账所列承办单位「{row.handling_unit}」，待「{screener}」核定被反映对象后交办"
        events.append({
            **base,
            "matter_id": matter_id,
            "action": "register",
            "from_status": "",
            "to_status": Status.REGISTERED,
            "note": note,
            "data": {"channel": matter.channel, "repeat_of": None, "import_job": job.pk},
        })  # fmt: skip
        for p in row.petitioners:
            people.append({
                **p,
                "matter_id": matter_id,
                "id_number_hash": id_number_hash(p["id_number"]),
                "phone_hash": phone_hash(p["phone"]),
            })  # fmt: skip
        if step is None:
            continue
        links += [{"matter_id": matter_id, "unit_id": u.pk, "unit_path": u.path} for u in step.link_units]
        received.update(u.pk for u in step.notify_staff_units)
        events.append({
            **base,
            "matter_id": matter_id,
            "action": t.name,
            "from_status": Status.REGISTERED,
            "to_status": matter.status,
            "note": step.note,
            "data": step.data,
            "public": t.public,
            # What services.perform records for the dispatch step this completes.
            "step": "dispatch",
            "due_on": old_due,
            "unit_id": unit.pk,
            "on_time": timezone.localdate(now) <= old_due,
        })  # fmt: skip
    BulkInsert(MatterUnit).insert(links)
    BulkInsert(Petitioner).insert(people)
    BulkInsert(MatterEvent).insert(events)
    _notify_units(received, job)
    if prepared:
        audit.record(
            "change",
            user=actor,
            target=f"import:{job.pk}",
            detail={"action": "import", "file": job.original_name, "matters": sorted(ids.values())},
        )
    ImportJob.objects.filter(pk=job.pk).update(
        written=F("written") + len(prepared),
        skipped=F("skipped") + len(existing),
        claimed_at=timezone.now(),
    )
    return errors


def _notify_units(received: Counter, job):
    if not received:
        return
    rows = [
        Notification(
            audience=Notification.Audience.STAFF,
            recipient_user=user,
            kind="import",
            subject=f"待办：台账导入的{received[user.unit_id]}件信访事项",
            body=f"「{job.user.unit}」从台账导入了{received[user.unit_id]}件信访事项，转送、交办至本单位，请及时受理办理。",
        )
        for user in User.objects.filter(
            unit_id__in=received, is_active=True, role__in=services.NOTIFIED_ROLES
        ).select_related("unit")
    ]
    services.enqueue(rows)
