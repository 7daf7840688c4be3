"""领导接访日: a leader receives petitioners in person; the matters received that day are linked."""

from django.utils import timezone

from xinfang.cases.scoping import can_see
from xinfang.core.dates import cn_date
from xinfang.org.models import Role
from xinfang.petitions.models import Matter

from .common import OVERSIGHT_ROLES, SupervisionError, require_casework
from .models import ReceptionDay


def schedule_reception(actor, *, leader, date, place, topic="") -> ReceptionDay:
    require_casework(actor, OVERSIGHT_ROLES | {Role.REGISTRAR, Role.DISPATCHER})
    if leader.role != Role.LEADER:
        raise SupervisionError("接访领导必须是领导。")
    if not (place or "").strip():
        raise SupervisionError("请填写接访地点。")
    return ReceptionDay.objects.create(
        leader=leader, unit=actor.unit, date=date, place=place.strip(), topic=topic
    )


def receive_at(actor, day: ReceptionDay, matter: Matter):
    """Record that a matter was received at a leader's reception day."""
    require_casework(actor)
    if not can_see(actor, matter):
        raise SupervisionError("该事项不在您的工作范围内。")
    if timezone.localdate(matter.received_at) != day.date:
        raise SupervisionError(f"事项{matter.display_code}不是在{cn_date(day.date)}收到的。")
    day.matters.add(matter)
