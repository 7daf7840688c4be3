"""The two ways of saving a plan write the same rows: a scripted history of matters — every kind of
transition, a hearing, an extension, a jurisdiction dispute, an accusation screened and dispatched,
a collective visit, a repeat link — saved once through the ORM, act by act, and once in a bulk
session (xinfang/cases/plan.py), must leave identical matters, events, links, petitioners, pauses,
accused parties and notices.

Compared: every column except the row ids (the two runs draw them from the same sequence on
PostgreSQL), the system timestamps (created_at, updated_at) and each matter's random 查询码, which
are replaced by the matter's place in the script. Not compared: the audit log, which records a bulk
session as one entry per flush (plan.py).
"""

from datetime import timedelta

import pytest
from conftest import PETITIONER, Driver
from django.db import transaction

from xinfang.cases.plan import bulk
from xinfang.core.models import Notification
from xinfang.petitions.choices import Nature, RequestType, Status
from xinfang.petitions.models import (
    AccusedParty,
    Matter,
    MatterEvent,
    MatterUnit,
    Pause,
    Petitioner,
    format_tracking_code,
)
from xinfang.petitions.services import link_repeat

SKIPPED = {"id", "created_at", "updated_at", "code"}
MODELS = [Matter, MatterEvent, MatterUnit, Petitioner, Pause, AccusedParty, Notification]


def script(world):
    """A history of eight matters, one day per step."""
    w = world
    d = Driver(world)
    closed = d.to(Status.CLOSED)  # the whole path, review and re-review included

    heard = d.to(Status.HANDLING)
    d.do(heard, "extend", days=1)
    d.do(heard, "start_hearing", actor=w.hope, days=2)
    d.do(heard, "end_hearing", actor=w.hope, days=5)
    d.do(heard, "submit_reply")
    d.do(heard, "return_reply")
    d.do(heard, "submit_reply")
    d.do(heard, "approve_reply")
    d.do(heard, "rate", rating="unsatisfied")

    disputed = d.to(Status.DISPATCHED)
    d.do(disputed, "dispute")
    d.do(disputed, "forward", unit=w.units.t1)

    accusation = d.register(
        nature=Nature.ACCUSATION, request_type=RequestType.REPORT, complained_person="东湖街道办事处钱卫东"
    )
    d.tick()
    d.screen(accusation, units=[w.units.t1], users=[w.qian])
    d.do(accusation, "assign", unit=w.units.discipline)

    people = [dict(PETITIONER, name=name, phone=f"1390000000{i}") for i, name in enumerate("张王赵")]
    collective = d.register(petitioners=people, is_collective=True, headcount=40)
    d.do(collective, "handle_directly")

    d.to(Status.REFERRED)
    d.to(Status.WITHDRAWN)
    again = d.register(title="再次反映停车费问题")
    d.tick()
    link_repeat(again.pk, w.alice, closed, now=d.now)
    return d


def snapshot() -> dict:
    """Every row of the compared tables, ids and random codes replaced by places in the script."""
    matters = list(Matter.objects.order_by("pk").values_list("pk", "code"))
    place = {pk: f"事项{i}" for i, (pk, _) in enumerate(matters)}
    codes = {code: place[pk] for pk, code in matters}
    codes |= {format_tracking_code(code): name for code, name in codes.items()}

    def plain(value):
        if isinstance(value, str):
            for code, name in codes.items():
                value = value.replace(code, name)
        return value

    tables = {}
    for model in MODELS:
        rows = []
        for row in model.objects.order_by("pk").values():
            row = {k: plain(v) for k, v in row.items() if k not in SKIPPED}
            for key in ("matter_id", "repeat_of_id"):
                if row.get(key) is not None:
                    row[key] = place[row[key]]
            data = row.get("data")
            if isinstance(data, dict) and data.get("repeat_of") is not None:  # an event's note
                row["data"] = data | {"repeat_of": place[data["repeat_of"]]}
            rows.append(row)
        tables[model.__name__] = rows
    return tables


@pytest.mark.parametrize("table", [m.__name__ for m in MODELS])
def test_bulk_session_writes_what_the_orm_writes(world, table):
    with transaction.atomic():
        script(world)
        through_orm = snapshot()
        transaction.set_rollback(True)
    assert not Matter.objects.exists()
    with bulk(world.alice):
        script(world)
    in_bulk = snapshot()
    assert through_orm[table], table  # the script writes rows of every table
    assert in_bulk[table] == through_orm[table]


def test_a_bulk_session_keeps_what_acts_read_in_memory(world):
    """Acts on a matter registered in the same session read its rows from memory: nothing of it is
    in the database until the session writes, and then all of it is."""
    d = Driver(world)
    with bulk(world.alice) as session:
        matter = d.to(Status.REPLIED)
        assert session.is_new(matter) and not Matter.objects.filter(pk=matter.pk).exists()
        matter = d.do(matter, "rate", rating="satisfied")
        session.flush()
        assert Matter.objects.get(pk=matter.pk).rating == "satisfied"
        d.now += timedelta(days=40)
        d.do(matter, "close")  # after the flush: read from the database, written at the end
    assert Matter.objects.get(pk=matter.pk).status == Status.CLOSED
    assert [e.action for e in MatterEvent.objects.filter(matter=matter).order_by("pk")][-2:] == [
        "rate",
        "close",
    ]
