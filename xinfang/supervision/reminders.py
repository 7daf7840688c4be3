"""催办 on cases of any registered type: by hand, to the unit now holding the case, and the record
of the kernel sweeper's automatic 临期 / 超期 reminders (heard through its "reminded" hook)."""

from django.db import transaction

from xinfang.cases import registry
from xinfang.cases.scoping import can_see
from xinfang.core import clock
from xinfang.core.outbox import enqueue
from xinfang.org.models import Role

from . import case_refs
from .common import OVERSIGHT_ROLES, SupervisionError, notices, require_casework
from .models import Reminder

REMINDING_ROLES = OVERSIGHT_ROLES | {Role.DISPATCHER}


def can_remind(user, case) -> bool:
    """Whether the page offers `user` a 催办 of `case` (the service checks the rest)."""
    return user.role in REMINDING_ROLES and case_refs.waits_on_staff(case)


def remind(actor, case, note: str, *, now=None) -> Reminder:
    """A 催办 by hand to the unit now holding the case."""
    require_casework(actor, REMINDING_ROLES)
    if not can_see(actor, case):
        raise SupervisionError("该事项不在您的工作范围内。")
    if not case_refs.waits_on_staff(case):
        raise SupervisionError("该事项目前没有待单位办理的环节，无需催办。")
    if not (note or "").strip():
        raise SupervisionError("请填写催办意见。")
    now = now or clock.now()
    with transaction.atomic():
        reminder = Reminder.objects.create(
            case_type=case_refs.key_of(case),
            case_id=case.pk,
            unit=case.holder_unit,
            kind=Reminder.Kind.MANUAL,
            step=case.due_step,
            due_on=case.due_date,
            at=now,
            by=actor,
            note=note.strip(),
        )
        enqueue(
            notices(
                [case.holder_unit],
                f"催办：{case.title[:40]}",
                f"{actor.unit}催办事项「{case.title}」（{case.display_code}）：{note.strip()}",
                case,
            )
        )
    return reminder


def on_reminded(case_type, pks, kind, now):
    """The kernel's sweeper sent 临期 / 超期 reminders for these cases of `case_type` (a registry
    key): record them as 催办, in the sweeper's transaction (the notices the sweeper wrote)."""
    cases = registry.get(case_type).model.objects.filter(pk__in=pks).order_by("pk")
    Reminder.objects.bulk_create(
        Reminder(
            case_type=case_type,
            case_id=case.pk,
            unit_id=case.holder_unit_id,
            kind=kind,
            step=case.due_step,
            due_on=case.due_date,
            at=now,
            note="系统自动催办",
        )
        for case in cases
    )
