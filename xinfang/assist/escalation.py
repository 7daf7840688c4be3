"""急事急报: a newly registered matter that reads as urgent goes at once to the leaders of the
registering unit's government and to the registering unit's head, with the reasons."""

import threading
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction

from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.core.outbox import enqueue
from xinfang.intelligence import urgency
from xinfang.org.models import Role, User
from xinfang.petitions.models import Matter
from xinfang.petitions.scoping import hidden_from_user
from xinfang.petitions.screening import SCREENING_ROLES

KIND = "urgent"
# Only matters received in the last few days are reported as 急事: a letter entered weeks late, or a
# history being loaded, is dealt with in the ordinary course.
RECENT_DAYS = 3
# Loading a history (the demo generator) registers matters that were received, not that arrive now.
_paused = threading.local()


@contextmanager
def paused():
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = False


def recipients(matter) -> list[User]:
    if matter.screening_unit_id and matter.screened_at is None:
        # A 检举控告 nobody has screened yet: whoever it names is unknown, so only its screening
        # unit is told, and acts on the urgency itself.
        return list(User.objects.filter(is_active=True, unit=matter.screening_unit, role__in=SCREENING_ROLES))
    units = [u for u in (matter.registering_unit, matter.registering_unit.government()) if u is not None]
    found = User.objects.filter(is_active=True, unit__in=units, role__in=[Role.LEADER, Role.UNIT_HEAD])
    # A 检举控告 never reaches the accused side, however urgent it reads.
    return [u for u in found.select_related("unit") if not hidden_from_user(matter, u)]


@transaction.atomic
def escalate(matter_id) -> list[Notification]:
    if getattr(_paused, "on", False):
        return []
    matter = Matter.objects.select_related("registering_unit").filter(pk=matter_id).first()
    if matter is None or Notification.objects.filter(matter=matter, kind=KIND).exists():
        return []
    if matter.received_at < clock.now() - timedelta(days=RECENT_DAYS):
        return []
    result = urgency.assess(matter.title, matter.content)
    if not result.urgent:
        return []
    # The title often repeats a phrase of the text: each reason once.
    reasons = "；".join(dict.fromkeys(f"{f.label}（“{f.evidence}”）" for f in result.flags))
    rows = [
        Notification(
            matter=matter,
            audience=Notification.Audience.STAFF,
            recipient_user=user,
            kind=KIND,
            subject=f"急事急报：{matter.title[:40]}",
            body=f"事项「{matter.title}」（{matter.display_code}）需要立即阅处：{reasons}。",
        )
        for user in recipients(matter)
    ]
    enqueue(rows)
    return rows
