"""The deadline sweeper of a case type: 临期 and 超期 reminders once per step, and the end of the
other side's windows (a matter whose petitioner did not ask for review is closed).

Conditional updates on the indexed due_date column make each reminder fire exactly once even if
two sweepers run at the same time. Feature apps hear of the reminders through the "reminded" hook
(supervision records them as 催办).
"""

from django.db import transaction
from django.utils import timezone

from xinfang.core.dates import cn_date
from xinfang.core.models import Notification
from xinfang.core.outbox import enqueue
from xinfang.deadlines.policies import STEPS

from . import hooks
from .models import ReminderLevel
from .notices import staff_of
from .registry import CaseType

LEVELS = [
    (ReminderLevel.OVERDUE, "overdue", lambda today: {"due_date__lt": today}),
    (ReminderLevel.WARNING, "warning", lambda today: {"warn_date__lte": today}),
]


def sweep(case_type: CaseType, now) -> dict:
    from .engine import perform

    today = timezone.localdate(now)
    wf = case_type.workflow
    model = case_type.model
    staff_steps = [s for s in STEPS if s not in wf.windows]
    counts = {"warning": 0, "overdue": 0, "closed": 0}
    for level, kind, condition in LEVELS:
        ids = list(
            model.objects.filter(
                due_step__in=staff_steps, reminded_level__lt=level, clock_paused=False, **condition(today)
            ).values_list("pk", flat=True)
        )
        for chunk in _chunks(ids, 500):
            with transaction.atomic():
                claimed = list(
                    model.objects.filter(pk__in=chunk, reminded_level__lt=level).values_list("pk", flat=True)
                )
                model.objects.filter(pk__in=claimed, reminded_level__lt=level).update(reminded_level=level)
                cases = list(model.objects.filter(pk__in=claimed).select_related("holder_unit"))
                enqueue(_reminders(case_type, cases, kind))
                hooks.fire("reminded", case_type.key, [c.pk for c in cases], kind, now)
                counts[kind] += len(claimed)
    if wf.window_end:
        note = "申请期限届满，信访人未申请复查（复核），事项办结。"
        expired = model.objects.filter(due_step__in=list(wf.windows), due_date__lt=today)
        for pk in list(expired.values_list("pk", flat=True)):
            with transaction.atomic():
                perform(case_type, pk, None, wf.window_end, system=True, now=now, note=note)
            counts["closed"] += 1
    return counts


def _reminders(case_type: CaseType, cases, kind) -> list:
    label = "超期" if kind == "overdue" else "临期"
    field = case_type.notification_field
    users_by_unit = {}
    rows = []
    for case in cases:
        users = users_by_unit.setdefault(case.holder_unit_id, staff_of([case.holder_unit_id]))
        for user in users:
            rows.append(
                Notification(
                    **({field: case} if field else {}),
                    audience=Notification.Audience.STAFF,
                    recipient_user=user,
                    kind=f"reminder_{kind}",
                    subject=f"催办（{label}）：{case.title[:40]}",
                    body=f"事项「{case.title}」（{case.display_code}）{STEPS[case.due_step][0]}期限为"
                    f"{cn_date(case.due_date)}，已{label}，请抓紧办理。",
                )
            )
    return rows


def _chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i : i + n]
