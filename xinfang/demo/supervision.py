"""Demo supervision records, made through the supervision write path: 督办 at each stage, leaders'
cases, a reception day, a backlog campaign part-way through, methods used, and 息诉罢访 decisions."""

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.demo.generate import history_mode
from xinfang.org.models import Role, User
from xinfang.petitions.choices import Channel, Resolution, Status
from xinfang.petitions.models import Matter
from xinfang.petitions.workflow import OPEN_STATUSES
from xinfang.supervision import backlog, follow_up, measures, ownership, reception_days, supervisions
from xinfang.supervision.models import Measure


def _staff(unit, roles=(Role.UNIT_HEAD, Role.HANDLER)):
    return User.objects.filter(unit=unit, role__in=roles, is_active=True).order_by("role", "id").first()


def seed(seed=2025) -> dict:
    """Like the generated history, the notices these records cause are kept in the outbox as sent
    and never delivered (see generate.py)."""
    before = Notification.objects.aggregate(last=Max("id"))["last"] or 0
    with history_mode(), transaction.atomic():
        counts = _seed(random.Random(seed))
        Notification.objects.filter(pk__gt=before, state=Notification.State.PENDING).update(
            state=Notification.State.SENT
        )
    return counts


def _seed(rng) -> dict:
    today = clock.today()
    supervisor = User.objects.get(username="city_supervisor")
    leader = User.objects.get(username="city_leader")
    counts = {"督办": 0, "包案": 0, "化解措施": 0}
    # Overdue matters whose unit has someone to answer a 督办: the first is answered and closed,
    # the second answered, the third left open, and so on, so that every stage shows on any day.
    candidates = (
        Matter.objects.visible_to(supervisor)
        .filter(status__in=[Status.DISPATCHED, Status.HANDLING], due_date__lt=today)
        .select_related("holder_unit")
        .order_by("due_date")[:40]
    )
    overdue = [m for m in candidates if _staff(m.holder_unit)][:8]
    for i, matter in enumerate(overdue):
        level = ["red", "yellow", "normal", "listed"][i % 4]
        sup = supervisions.issue(
            supervisor,
            kind="supervise",
            cases=[matter],
            level=level,
            reasons=["overdue"] + (["buck_passing"] if level == "red" else []),
            text="该事项已超过办理期限，请单位主要负责人督促办理，按期书面反馈。",
            report_required="反馈办理进展、化解措施和结果。",
            due_on=today + timedelta(days=5 + i),
        )
        counts["督办"] += 1
        if i % 3 < 2:
            task = sup.tasks.get()
            answer = "已成立工作专班，约谈相关责任人，预计十日内办结并书面答复。"
            supervisions.answer(task.pk, _staff(matter.holder_unit), answer)
            if i % 3 == 0:
                supervisions.close(sup.pk, supervisor, "反馈情况属实，同意办结。")
    hard = list(
        Matter.objects.visible_to(leader)
        .filter(status__in=OPEN_STATUSES)
        .exclude(pk__in=[m.pk for m in overdue])
        .select_related("holder_unit", "handling_unit")
        .order_by("received_at")[:5]
    )
    for i, matter in enumerate(hard):
        owned = ownership.take_ownership(
            leader,
            matter,
            leader=leader,
            unit=matter.handling_unit or matter.holder_unit,
            plan="领导牵头召开集体会商，明确责任单位和化解时限，必要时组织公开听证。",
            target_date=today + timedelta(days=30 + 10 * i),
            milestones=[
                (
                    "召开集体会商，形成化解方案",
                    today - timedelta(days=3) if i == 0 else today + timedelta(days=7),
                ),
                ("面谈信访人，落实化解措施", today + timedelta(days=20)),
            ],
        )
        counts["包案"] += 1
        measures.record_measure(
            leader,
            matter,
            kind=Measure.Kind.CONSULTATION,
            held_on=today,
            participants=f"{owned.unit}、{matter.registering_unit}",
            note="集体会商，明确由责任单位十日内提出解决方案。",
        )
        counts["化解措施"] += 1
    # The reception day is the latest day in the history with matters received by a leader.
    received = (
        Matter.objects.filter(channel=Channel.LEADER_RECEPTION)
        .visible_to(supervisor)
        .order_by("-received_at")
        .first()
    )
    if received is not None:
        day = reception_days.schedule_reception(
            supervisor,
            leader=leader,
            date=timezone.localdate(received.received_at),
            place="市人民来访接待中心",
            topic="领导接访日",
        )
        same_day = Matter.objects.filter(channel=Channel.LEADER_RECEPTION, received_at__date=day.date)
        for matter in same_day.visible_to(supervisor)[:10]:
            reception_days.receive_at(supervisor, day, matter)
    # Frozen a month ago and a third resolved since, so the burn-down has a course to show.
    frozen = today - timedelta(days=30)
    campaign = backlog.freeze_campaign(
        supervisor,
        name="信访积案化解专项行动",
        target_date=today + timedelta(days=30),
        rules={"open_days": 30},
        today=frozen,
    )
    cases = list(campaign.cases.select_related("matter"))
    rng.shuffle(cases)
    for case in cases[: len(cases) // 3]:
        backlog.assign_case(supervisor, case, leader=leader)
        backlog.record_outcome(
            supervisor,
            case,
            outcome=rng.choice(Resolution.values),
            evidence="经会商、面谈，信访人签字确认化解结果。",
            on=frozen + timedelta(days=rng.randint(1, 30)),
        )
    counts["积案"] = len(cases)
    counts["息诉罢访认定"] = follow_up.sweep_follow_ups(today, limit=100000)
    return counts
