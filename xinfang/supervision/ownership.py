"""领导包案 (petition matters): a leader takes charge of a matter with a plan, milestones and a
target date; progress is updated by the leader, supervisors and the responsible unit; and what
needs attention is listed (stuck_reasons)."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from xinfang.cases.scoping import can_see
from xinfang.core import clock
from xinfang.core.dates import cn_date
from xinfang.core.outbox import enqueue
from xinfang.org.models import Role
from xinfang.petitions.choices import Resolution
from xinfang.petitions.workflow import OPEN_STATUSES, PETITIONER_WINDOWS

from . import case_refs
from .common import ANSWERING_ROLES, OVERSIGHT_ROLES, SupervisionError, notices, require_casework
from .models import CaseOwnership, Milestone


@transaction.atomic
def take_ownership(
    actor, matter, *, leader, unit, plan, target_date, milestones=(), now=None
) -> CaseOwnership:
    """A leader takes charge of a matter (a leader for themselves; a supervisor on a leader's behalf)."""
    now = now or clock.now()
    today = timezone.localdate(now)
    require_casework(actor, OVERSIGHT_ROLES)
    if actor.role == Role.LEADER and leader.pk != actor.pk:
        raise SupervisionError("领导只能本人包案；为其他领导安排包案请由督查员办理。")
    if leader.role != Role.LEADER or not leader.is_active:
        raise SupervisionError("包案领导必须是在岗的领导。")
    for who in (actor, leader):
        if not can_see(who, matter):
            raise SupervisionError(f"该事项不在{who}的工作范围内。")
    if case_refs.hidden_from([matter], unit):
        raise SupervisionError("检举控告事项不得由被检举控告的单位负责化解（第三十条）。")
    if not (plan or "").strip():
        raise SupervisionError("请填写化解方案。")
    if target_date is None or target_date < today:
        raise SupervisionError("目标化解日期不能早于今天。")
    if CaseOwnership.objects.filter(matter=matter, state=CaseOwnership.State.ACTIVE).exists():
        raise SupervisionError("该事项已有领导包案。")
    ownership = CaseOwnership.objects.create(
        matter=matter,
        leader=leader,
        unit=unit,
        plan=plan.strip(),
        started_on=today,
        target_date=target_date,
        created_by=actor,
    )
    for title, due in milestones:
        Milestone.objects.create(ownership=ownership, title=title, due_on=due)
    note = f"{leader}包案，目标化解日期{cn_date(target_date)}。"
    case_refs.note_on(matter, "take_ownership", actor, now, note, grant=[unit])
    enqueue(
        notices(
            [unit],
            f"领导包案：{matter.title[:30]}",
            f"{leader}包案事项「{matter.title}」（{matter.display_code}），请按化解方案推进：{ownership.plan}",
            matter,
            roles={Role.UNIT_HEAD},
        )
    )
    return ownership


def _check_owner_side(actor, ownership):
    require_casework(actor)
    if actor.pk == ownership.leader_id:
        return
    if actor.role in OVERSIGHT_ROLES and can_see(actor, ownership.matter):
        return
    if actor.role in ANSWERING_ROLES and actor.unit.is_within(ownership.unit):
        return
    raise SupervisionError("只有包案领导、督查人员和责任单位可以更新包案进展。")


def add_milestone(actor, ownership, title, due_on) -> Milestone:
    _check_owner_side(actor, ownership)
    if not (title or "").strip() or due_on is None:
        raise SupervisionError("请填写节点名称和计划完成日期。")
    return Milestone.objects.create(ownership=ownership, title=title.strip(), due_on=due_on)


def complete_milestone(actor, milestone, note, *, on=None) -> Milestone:
    _check_owner_side(actor, milestone.ownership)
    if milestone.done_on:
        raise SupervisionError("该节点已完成。")
    milestone.done_on = on or clock.today()
    milestone.note = (note or "").strip()
    milestone.save(update_fields=["done_on", "note"])
    return milestone


@transaction.atomic
def resolve_ownership(actor, ownership, *, resolution, result, on=None) -> CaseOwnership:
    ownership = CaseOwnership.objects.select_for_update().select_related("matter").get(pk=ownership.pk)
    _check_owner_side(actor, ownership)
    if actor.role not in OVERSIGHT_ROLES:
        raise SupervisionError("化解结果由包案领导或督查人员认定。")
    if ownership.state != CaseOwnership.State.ACTIVE:
        raise SupervisionError("该包案已化解。")
    if resolution not in Resolution.values:
        raise SupervisionError("请选择化解方式（四个到位）。")
    if not (result or "").strip():
        raise SupervisionError("请填写化解情况。")
    ownership.state = CaseOwnership.State.RESOLVED
    ownership.resolved_on = on or clock.today()
    ownership.resolution, ownership.result = resolution, result.strip()
    ownership.save()
    case_refs.note_on(
        ownership.matter,
        "resolve_ownership",
        actor,
        clock.now(),
        f"包案化解：{Resolution(resolution).label}。{result.strip()}",
    )
    return ownership


def stuck_reasons(ownership, today: date) -> list[str]:
    """Why a leader's case needs attention now ('' reasons: on track)."""
    if ownership.state != CaseOwnership.State.ACTIVE:
        return []
    if ownership.matter_ended:
        return [f"事项已结束（{ownership.matter.get_status_display()}），请认定化解结果"]
    reasons = []
    if ownership.target_date < today:
        reasons.append(f"已超过目标化解日期（{cn_date(ownership.target_date)}）")
    late = [m for m in ownership.milestones.all() if m.done_on is None and m.due_on < today]
    if late:
        reasons.append(f"{len(late)}个节点逾期未完成：{late[0].title}")
    m = ownership.matter
    if (
        m.due_date
        and m.due_step not in PETITIONER_WINDOWS
        and m.due_date < today
        and m.status in OPEN_STATUSES
    ):
        reasons.append(f"事项{m.due_step_label}已超期")
    return reasons
