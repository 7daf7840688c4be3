"""The write path of grid events, on the case kernel (xinfang/cases/engine.py): `report` files an
event, `perform` runs any transition of workflow.TRANSITIONS. Like every case type, it can run inside
`xinfang.cases.plan.bulk()` (the demo, the benchmark loader)."""

from datetime import time

from django.urls import reverse
from django.utils import timezone

from xinfang.cases import engine
from xinfang.cases.engine import Act, TransitionError
from xinfang.cases.registry import CaseType, register
from xinfang.core import clock, uploads
from xinfang.intelligence import urgency
from xinfang.org.models import Unit

from .choices import Kind, RejectReason, Status
from .models import Grid, GridEvent, GridEventLog, GridEventPhoto, GridEventUnit
from .workflow import WORKFLOW

MAX_PHOTOS = 6


def _accept(a: Act):
    a.case.accepted_on = a.today


def _reject(a: Act):
    e = a.case
    e.reject_reason = a.require_choice("reason", "不予受理原因", RejectReason)
    if e.reject_reason == RejectReason.DUPLICATE:
        other = a.params.get("duplicate_of")
        if not isinstance(other, GridEvent) or other.pk == e.pk:
            raise TransitionError("重复上报的，请填写与之重复的事件编号。")
        e.duplicate_of = other
        a.data["duplicate_of"] = other.number
    else:
        a.require("note", "不予受理的理由")
    e.closed_on = a.today


def _dispatch(a: Act):
    e = a.case
    unit = a.params.get("unit")
    if not isinstance(unit, Unit) or not unit.active:
        raise TransitionError("请选择处置单位。")
    e.handling_unit, e.dispatched_on, e.holder_unit = unit, a.today, unit
    e.urgent = bool(a.params.get("urgent", e.urgent))
    a.grant_access(unit)
    a.notify_units.append(unit)
    a.data.update(unit=unit.name, urgent=e.urgent)


def _handle(a: Act):
    e = a.case
    e.handled_note = a.require("note", "处置情况")
    e.handled_on = a.today
    if e.handled_in_time is None:
        e.handled_in_time = e.due_date is None or a.today <= e.due_date
    e.holder_unit = e.centre
    a.notify_units.append(e.centre)


def _verify(a: Act):
    e = a.case
    e.verify_rounds += 1
    passed = a.params.get("passed")
    if passed is None:
        raise TransitionError("请选择核查结果。")
    a.data["passed"] = bool(passed)
    if passed:
        e.verified_on = a.today
        a.target = Status.VERIFIED
    else:
        a.require("note", "核查未通过的情况")
        e.verify_failures += 1
        e.holder_unit = e.handling_unit
        a.notify_units.append(e.handling_unit)
        a.target = Status.DISPATCHED


def _close(a: Act):
    a.case.closed_on = a.today


def _converted(a: Act):
    a.case.closed_on = a.today
    matter = a.params.get("matter")
    if matter is not None:
        a.case.matter = matter
        a.data["matter"] = matter.pk


APPLY = {
    "accept": _accept,
    "reject": _reject,
    "dispatch": _dispatch,
    "handle": _handle,
    "verify": _verify,
    "confirm": _verify,
    "close": _close,
    "to_dispute": _converted,
    "to_matter": _converted,
}

EVENT = register(
    CaseType(
        key="grid_event",
        label="网格事件",
        model=GridEvent,
        event_model=GridEventLog,
        link_model=GridEventUnit,
        case_field="case",
        workflow=WORKFLOW,
        apply=APPLY,
        select_related=("division", "holder_unit", "centre", "handling_unit", "grid"),
        reporter_field="reported_by",
        detail_url=lambda event: reverse("grid:detail", args=[event.pk]),
    )
)


def perform(event_id, actor, action, *, photos=(), **kwargs) -> GridEvent:
    """Run transition `action` on an event. Raises TransitionError with a Chinese message. The
    photos are prepared before the transaction (uploads.prepare)."""
    return _perform(event_id, actor, action, photos=_prepared(photos), **kwargs)


def _prepared(photos) -> list:
    if len(photos) > MAX_PHOTOS:
        raise TransitionError(f"照片最多{MAX_PHOTOS}张。")
    return [uploads.prepare(p, photos_only=True) for p in photos]


@engine.atomic
def _perform(event_id, actor, action, *, photos, **kwargs) -> GridEvent:
    act = engine.perform(EVENT, event_id, actor, action, **kwargs)
    for photo in photos:
        save_photo(act.case, photo, actor, act.event)
    return act.case


def can_perform(user, event, t, *, visible=None) -> bool:
    return engine.can_perform(user, event, t, visible=visible)


def save_photo(event, photo: uploads.Prepared, actor, log=None) -> GridEventPhoto:
    """The one place photos are saved: images only, judged by content, and kept without the
    position, time and phone their metadata records (uploads.prepare, before the transaction)."""
    return GridEventPhoto.objects.create(
        case=event,
        log=log,
        file=photo.file,
        name=photo.name,
        size=photo.size,
        content_type=photo.content_type,
        uploaded_by=actor,
    )


def grids_of(user):
    return Grid.objects.filter(workers=user, active=True).select_related("division", "unit")


def check_reporter(actor, grid):
    if not (actor and actor.reports_events):
        raise TransitionError("只有网格员、社会信息员可以上报网格事件。")
    if grid is not None and not grid.workers.filter(pk=actor.pk).exists():
        raise TransitionError(f"您不是「{grid.name}」的网格员或信息员。")


def report(actor, *, photos=(), **fields) -> GridEvent:
    """File an event from a grid (or a place typed in the reporter's area), its photos prepared
    before the transaction. The 急事急报 check reads what was written; an urgent finding marks the
    event urgent whatever the reporter chose."""
    check_reporter(actor, fields.get("grid"))
    return _report(actor, photos=_prepared(photos), **fields)


@engine.atomic
def _report(actor, *, kind, title, description, grid=None, place="", division=None, headcount=1,
            urgent=False, photos, now=None) -> GridEvent:  # fmt: skip
    check_reporter(actor, grid)
    now = now or clock.now()
    if kind not in Kind.values:
        raise TransitionError("请选择事件类型。")
    if not (title or "").strip() or not (description or "").strip():
        raise TransitionError("请填写事件概要和描述。")
    if grid is None:
        if not place.strip():
            raise TransitionError("请选择网格，或填写事件地点。")
        mine = list(grids_of(actor)[:1])
        if division is None:
            division = mine[0].division if mine else actor.unit.divisions.first()
        centre = mine[0].unit if mine else actor.unit
    else:
        division, centre = grid.division, grid.unit
    if division is None:
        raise TransitionError("无法确定事件所在区划，请选择网格。")
    found = urgency.assess(title, description)
    event = GridEvent(
        reported_by=actor,
        reported_at=now,
        grid=grid,
        place=place.strip()[:200],
        division=division,
        kind=kind,
        title=title.strip()[:100],
        description=description.strip(),
        headcount=max(1, int(headcount or 1)),
        urgent=bool(urgent) or found.level >= 2,
        urgency_level=found.level,
        urgency_note="；".join(f.label for f in found.flags)[:200] if found.flags else "",
        centre=centre,
        registered_by=actor,
        registering_unit=actor.unit,
        holder_unit=centre,
        policy_set=division.effective_policy_set() or _default_policy(),
        step_started_on=timezone.localdate(now),
    )
    engine.recompute_deadline(EVENT, event, timezone.localdate(now))
    act = engine.create(EVENT, event, actor, now=now, links=[centre], notify=[centre],
                        data={"urgent": event.urgent, "urgency": event.urgency_note})  # fmt: skip
    for photo in photos:
        save_photo(event, photo, actor, act.event)
    return event


def _default_policy():
    from django.conf import settings

    return settings.XINFANG_POLICY_SET


def sweep(today=None) -> dict:
    from xinfang.cases.sweeper import sweep as sweep_cases

    now = clock.now() if today is None else clock.local_datetime(today, time(12))
    return sweep_cases(EVENT, now)


@engine.atomic
def to_matter(event_id, actor, *, category, channel, now=None):
    """An accepted event becomes a petition matter registered by the actor's bureau (转为信访事项)."""
    from xinfang.petitions import services as petitions
    from xinfang.petitions.choices import Nature, RequestType

    now = now or clock.now()
    event = GridEvent.objects.get(pk=event_id)
    matter = petitions.register_matter(
        actor,
        fields={
            "channel": channel, "received_at": now, "title": event.title, "content": event.description,
            "nature": Nature.APPEAL, "request_type": RequestType.HELP, "division": event.division,
            "category": category, "anonymous": True, "headcount": event.headcount,
        },
        petitioners=[], now=now, note=f"由网格事件{event.number}转入。",
    )  # fmt: skip
    perform(event_id, actor, "to_matter", now=now, matter=matter)
    return matter
