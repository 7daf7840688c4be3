"""The one write path of supervision: every change to a 督办, 批示, 包案, campaign case or measure
goes through a function here that checks who may act, writes the change, appends a history row
and queues the notices after commit."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from xinfang.audit import api as audit
from xinfang.cases.notices import NOTIFIED_ROLES, staff_notices
from xinfang.core import clock
from xinfang.core.outbox import enqueue
from xinfang.org.models import Role, Unit, User
from xinfang.petitions import services as matter_services
from xinfang.petitions.choices import Resolution, Status
from xinfang.petitions.models import Matter, Pause
from xinfang.petitions.scoping import can_see, hidden_from, hidden_from_user, hidden_q
from xinfang.petitions.services import TransitionError, record_internal_event, save_attachment
from xinfang.petitions.workflow import OPEN_STATUSES, PETITIONER_WINDOWS

from .models import (
    LEVEL_ORDER,
    Campaign,
    CampaignCase,
    CaseOwnership,
    FollowUp,
    Level,
    Measure,
    Milestone,
    Reason,
    ReceptionDay,
    Reminder,
    Supervision,
    SupervisionEvent,
    SupervisionTask,
)

OVERSIGHT_ROLES = {Role.SUPERVISOR, Role.LEADER}
ANSWERING_ROLES = {Role.HANDLER, Role.UNIT_HEAD}


class SupervisionError(TransitionError):
    """A refused supervision action, with a message for the user in Chinese."""


def oversight_root(unit: Unit) -> Unit:
    """The unit whose subtree a supervisor or leader oversees: their government (党委政府)."""
    return unit.government() or unit


def _require_casework(user, roles=None):
    if not (user and user.is_authenticated and user.does_casework):
        raise SupervisionError("您没有督查督办的权限。")
    if roles and user.role not in roles:
        names = "、".join(Role(r).label for r in sorted(roles))
        raise SupervisionError(f"该操作只能由{names}办理。")


def _staff_notices(units, subject, body, matter=None, roles=NOTIFIED_ROLES):
    return staff_notices(units, kind="supervision", subject=subject, body=body, case=matter, roles=roles)


# ---------------------------------------------------------------- 催办


def remind(actor, matter: Matter, note: str, *, now=None) -> Reminder:
    """A 催办 by hand to the unit now holding the matter."""
    _require_casework(actor, OVERSIGHT_ROLES | {Role.DISPATCHER})
    if not can_see(actor, matter):
        raise SupervisionError("该事项不在您的工作范围内。")
    if matter.status not in OPEN_STATUSES or matter.due_step in PETITIONER_WINDOWS:
        raise SupervisionError("该事项目前没有待单位办理的环节，无需催办。")
    if not (note or "").strip():
        raise SupervisionError("请填写催办意见。")
    now = now or clock.now()
    with transaction.atomic():
        reminder = Reminder.objects.create(
            matter=matter,
            unit=matter.holder_unit,
            kind=Reminder.Kind.MANUAL,
            step=matter.due_step,
            due_on=matter.due_date,
            at=now,
            by=actor,
            note=note.strip(),
        )
        enqueue(
            _staff_notices(
                [matter.holder_unit],
                f"催办：{matter.title[:40]}",
                f"{actor.unit}催办事项「{matter.title}」（{matter.display_code}）：{note.strip()}",
                matter,
            )
        )
    return reminder


def on_reminded(case_type, pks, kind, now):
    """The kernel's sweeper sent 临期 / 超期 reminders: record them as 催办 (same transaction)."""
    if case_type == "matter":
        record_auto_reminders(Matter.objects.filter(pk__in=pks).order_by("pk"), kind, now)


def record_auto_reminders(matters, kind: str, now) -> list:
    """Reminder rows for the sweeper's 临期 / 超期 催办 (the notices themselves it writes)."""
    rows = [
        Reminder(
            matter=m,
            unit_id=m.holder_unit_id,
            kind=kind,
            step=m.due_step,
            due_on=m.due_date,
            at=now,
            note="系统自动催办",
        )
        for m in matters
    ]
    Reminder.objects.bulk_create(rows)
    return rows


# ---------------------------------------------------------------- 督办 and 批示


def supervisions_visible_to(user):
    """Supervisions a user may see: issued in or addressed to the part of the org tree they work
    in (their government's for supervisors and leaders), never one about an accusation against
    their own unit or against them by name (the same rule as scoping.scope_filter)."""
    if not (user.is_authenticated and user.does_casework):
        return Supervision.objects.none()
    root = oversight_root(user.unit) if user.role in OVERSIGHT_ROLES else user.unit
    addressed = SupervisionTask.objects.filter(supervision=OuterRef("pk"), unit__path__startswith=root.path)
    accused = Matter.objects.filter(supervisions=OuterRef("pk")).filter(hidden_q(user.unit, user))
    return Supervision.objects.filter(
        Q(issuing_unit__path__startswith=root.path) | Q(Exists(addressed))
    ).exclude(Exists(accused))


def _next_number(kind, year):
    prefix = "督" if kind == Supervision.Kind.SUPERVISE else "批"
    count = Supervision.objects.filter(kind=kind, number__startswith=f"{prefix}〔{year}〕").count()
    return f"{prefix}〔{year}〕{count + 1}号"


def _answering_unit(matter: Matter) -> Unit:
    """Who answers a 督办 about a matter: the unit now responsible, or for a matter already
    answered, the unit that handled it (a decision not carried out)."""
    if matter.status in OPEN_STATUSES and matter.due_step not in PETITIONER_WINDOWS:
        return matter.holder_unit
    return matter.handling_unit or matter.holder_unit


@transaction.atomic
def issue(
    actor,
    *,
    kind,
    matters,
    text,
    due_on: date,
    level="",
    reasons=(),
    report_required="",
    units=(),
    now=None,
    escalated_from=None,
) -> Supervision:
    """Issue a 督办 (supervisor or leader) or write a 领导批示 (leader) on one or more matters."""
    now = now or clock.now()
    today = timezone.localdate(now)
    if kind == Supervision.Kind.SUPERVISE:
        _require_casework(actor, OVERSIGHT_ROLES)
        if level not in Level.values:
            raise SupervisionError("请选择督办等级。")
        if not reasons:
            raise SupervisionError("请至少选择一项督办事由。")
    elif kind == Supervision.Kind.INSTRUCT:
        _require_casework(actor, {Role.LEADER})
        level, reasons = "", list(reasons)
        if not units:
            raise SupervisionError("请选择批示送达的单位。")
    else:
        raise SupervisionError("未知的督办类别。")
    if any(r not in Reason.values for r in reasons):
        raise SupervisionError("督办事由的取值不正确。")
    if not (text or "").strip():
        raise SupervisionError("请填写督办要求或批示内容。")
    if due_on is None or due_on <= today:
        raise SupervisionError("反馈期限应当晚于今天。")
    matters = list(matters)
    if not matters:
        raise SupervisionError("请至少选择一件事项。")
    for m in matters:
        if not can_see(actor, m):
            raise SupervisionError(f"事项{m.display_code}不在您的工作范围内。")
    # Which unit answers for which matters: a 批示 goes to the named units about all its matters;
    # a 督办 to the unit responsible for each matter, about that matter only.
    answers_for = {}
    for m in matters:
        for unit in units or [_answering_unit(m)]:
            answers_for.setdefault(unit, []).append(m)
    targets = list(answers_for)
    for unit in targets:
        for m in matters:
            if hidden_from(m, unit):
                raise SupervisionError(
                    f"事项{m.display_code}是检举控告事项，不得交由被检举控告的「{unit}」办理或反馈"
                    "（《信访工作条例》第三十条、第四十六条）。"
                )
    sup = Supervision(
        kind=kind,
        level=level,
        reasons=list(reasons),
        text=text.strip(),
        report_required=(report_required or "").strip(),
        issued_by=actor,
        issuing_unit=actor.unit,
        issued_at=now,
        due_on=due_on,
        escalated_from=escalated_from,
    )
    try:
        with transaction.atomic():
            sup.number = _next_number(kind, today.year)
            sup.save()
    except IntegrityError as exc:
        raise SupervisionError("编号已被同时签发的督办占用，请重新提交。") from exc
    sup.matters.set(matters)
    for unit in answers_for:
        SupervisionTask.objects.create(supervision=sup, unit=unit)
    label = sup.title
    SupervisionEvent.objects.create(
        supervision=sup, action="issue", actor=actor, actor_unit=actor.unit, at=now, note=sup.text
    )
    for m in matters:
        # a unit that must answer about a matter may see it (属事)
        answering = [unit for unit, its_matters in answers_for.items() if m in its_matters]
        note = f"{label}（{sup.number}），反馈期限{due_on:%Y年%m月%d日}：{sup.text}"
        record_internal_event(m, kind, actor, now, note, grant=answering)
    audit.record("change", user=actor, target=f"supervision:{sup.pk}", detail={"action": "issue"})
    enqueue(
        _staff_notices(
            targets,
            f"{label}：{matters[0].title[:30]}",
            f"{actor.unit}{label}（{sup.number}）：{sup.text} 请于{due_on:%Y年%m月%d日}前反馈。",
            matters[0],
        )
    )
    return sup


def _locked(sup_id) -> Supervision:
    return Supervision.objects.select_for_update().select_related("issuing_unit").get(pk=sup_id)


def _check_issuer_side(actor, sup):
    _require_casework(actor, OVERSIGHT_ROLES)
    if not actor.unit.is_within(sup.issuing_unit):
        raise SupervisionError(f"只有签发单位「{sup.issuing_unit}」的督查人员或领导可以审核、办结或升级。")


@transaction.atomic
def answer(task_id, actor, report: str, *, now=None) -> SupervisionTask:
    """A unit's 督办反馈."""
    now = now or clock.now()
    task = SupervisionTask.objects.select_related("unit").get(pk=task_id)
    sup = _locked(task.supervision_id)
    task.refresh_from_db()
    _require_casework(actor, ANSWERING_ROLES)
    if not actor.unit.is_within(task.unit):
        raise SupervisionError(f"该督办由「{task.unit}」反馈。")
    if any(hidden_from_user(m, actor) for m in sup.matters.all()):
        raise SupervisionError("所涉检举控告事项反映的是您或您所在单位，应当回避，不能反馈。")
    if sup.state not in {Supervision.State.OPEN, Supervision.State.ANSWERED}:
        raise SupervisionError(f"该督办{sup.get_state_display()}，不能再反馈。")
    if task.state != SupervisionTask.State.PENDING:
        raise SupervisionError("本单位已经反馈，等待签发单位审核。")
    if not (report or "").strip():
        raise SupervisionError("请填写反馈内容。")
    task.state, task.report = SupervisionTask.State.ANSWERED, report.strip()
    task.answered_at, task.answered_by = now, actor
    task.on_time = timezone.localdate(now) <= sup.due_on
    task.save()
    if not sup.tasks.filter(state=SupervisionTask.State.PENDING).exists():
        sup.state = Supervision.State.ANSWERED
        sup.save(update_fields=["state"])
    SupervisionEvent.objects.create(
        supervision=sup,
        task=task,
        action="answer",
        actor=actor,
        actor_unit=actor.unit,
        at=now,
        note=task.report,
    )
    enqueue(
        _staff_notices(
            [sup.issuing_unit],
            f"督办反馈：{sup.number}",
            f"「{task.unit}」已反馈{sup.title}（{sup.number}）：{task.report}",
            roles=OVERSIGHT_ROLES,
        )
    )
    return task


@transaction.atomic
def return_answer(task_id, actor, note: str, *, now=None) -> SupervisionTask:
    """退回重报: the issuing side does not accept a unit's answer."""
    now = now or clock.now()
    task = SupervisionTask.objects.select_related("unit").get(pk=task_id)
    sup = _locked(task.supervision_id)
    _check_issuer_side(actor, sup)
    task.refresh_from_db()
    if task.state != SupervisionTask.State.ANSWERED or sup.state not in {
        Supervision.State.OPEN,
        Supervision.State.ANSWERED,
    }:
        raise SupervisionError("只能退回已反馈、尚未办结的督办。")
    if not (note or "").strip():
        raise SupervisionError("请填写退回理由。")
    task.state = SupervisionTask.State.PENDING
    task.save(update_fields=["state"])
    sup.state = Supervision.State.OPEN
    sup.save(update_fields=["state"])
    SupervisionEvent.objects.create(
        supervision=sup, task=task, action="return", actor=actor, actor_unit=actor.unit, at=now, note=note
    )
    enqueue(
        _staff_notices([task.unit], f"督办反馈退回：{sup.number}", f"{sup.number}的反馈被退回重报：{note}")
    )
    return task


@transaction.atomic
def close(sup_id, actor, note: str, *, now=None) -> Supervision:
    """办结: every unit has answered and the issuing side accepts the answers."""
    now = now or clock.now()
    sup = _locked(sup_id)
    _check_issuer_side(actor, sup)
    if sup.state != Supervision.State.ANSWERED:
        raise SupervisionError(
            "尚有单位未反馈，不能办结；可以等待反馈，或升级督办。"
            if sup.state == Supervision.State.OPEN
            else f"该督办{sup.get_state_display()}。"
        )
    sup.tasks.update(state=SupervisionTask.State.ACCEPTED)
    sup.state, sup.closed_at = Supervision.State.CLOSED, now
    sup.save(update_fields=["state", "closed_at"])
    SupervisionEvent.objects.create(
        supervision=sup, action="close", actor=actor, actor_unit=actor.unit, at=now, note=(note or "").strip()
    )
    audit.record("change", user=actor, target=f"supervision:{sup.pk}", detail={"action": "close"})
    return sup


def escalate(sup_id, actor, *, level, due_on, note, now=None) -> Supervision:
    """升级督办: a new supervision at a higher level on the same matters and units."""
    now = now or clock.now()
    with transaction.atomic():
        sup = _locked(sup_id)
        _check_issuer_side(actor, sup)
        if sup.state not in {Supervision.State.OPEN, Supervision.State.ANSWERED}:
            raise SupervisionError(f"该督办{sup.get_state_display()}，不能升级。")
        current = LEVEL_ORDER.index(sup.level) if sup.level else -1
        if level not in Level.values or LEVEL_ORDER.index(level) <= current:
            raise SupervisionError("升级督办应当选择比现在更高的督办等级。")
        if not (note or "").strip():
            raise SupervisionError("请填写升级督办的理由和要求。")
        sup.state, sup.closed_at = Supervision.State.ESCALATED, now
        sup.save(update_fields=["state", "closed_at"])
        SupervisionEvent.objects.create(
            supervision=sup, action="escalate", actor=actor, actor_unit=actor.unit, at=now, note=note
        )
        reasons = sup.reasons or [Reason.NO_FEEDBACK]
        return issue(
            actor,
            kind=Supervision.Kind.SUPERVISE,
            matters=sup.matters.all(),
            text=note,
            due_on=due_on,
            level=level,
            reasons=reasons,
            report_required=sup.report_required,
            units=[t.unit for t in sup.tasks.select_related("unit")],
            now=now,
            escalated_from=sup,
        )


def sweep_supervision(today: date | None = None, now=None) -> int:
    """Tell the unit and the issuer once when a supervision's answer is overdue."""
    now = now or clock.now()
    today = today or timezone.localdate(now)
    late = SupervisionTask.objects.filter(
        state=SupervisionTask.State.PENDING,
        overdue_reminded=False,
        supervision__due_on__lt=today,
        supervision__state=Supervision.State.OPEN,
    ).select_related("supervision", "supervision__issuing_unit", "unit")
    count = 0
    for task in late:
        with transaction.atomic():
            if not SupervisionTask.objects.filter(pk=task.pk, overdue_reminded=False).update(
                overdue_reminded=True
            ):
                continue
            sup = task.supervision
            note = f"「{task.unit}」未在{sup.due_on:%Y年%m月%d日}前反馈。"
            SupervisionEvent.objects.create(supervision=sup, task=task, action="overdue", at=now, note=note)
            enqueue(
                _staff_notices([task.unit], f"督办反馈超期：{sup.number}", f"{sup.number}{note}请立即反馈。")
                + _staff_notices(
                    [sup.issuing_unit], f"督办反馈超期：{sup.number}", note, roles=OVERSIGHT_ROLES
                )
            )
            count += 1
    return count


# ---------------------------------------------------------------- 领导包案


@transaction.atomic
def take_ownership(
    actor, matter, *, leader, unit, plan, target_date, milestones=(), now=None
) -> CaseOwnership:
    """A leader takes charge of a matter (a leader for themselves; a supervisor on a leader's behalf)."""
    now = now or clock.now()
    today = timezone.localdate(now)
    _require_casework(actor, OVERSIGHT_ROLES)
    if actor.role == Role.LEADER and leader.pk != actor.pk:
        raise SupervisionError("领导只能本人包案；为其他领导安排包案请由督查员办理。")
    if leader.role != Role.LEADER or not leader.is_active:
        raise SupervisionError("包案领导必须是在岗的领导。")
    for who in (actor, leader):
        if not can_see(who, matter):
            raise SupervisionError(f"该事项不在{who}的工作范围内。")
    if hidden_from(matter, unit):
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
    note = f"{leader}包案，目标化解日期{target_date:%Y年%m月%d日}。"
    record_internal_event(matter, "take_ownership", actor, now, note, grant=[unit])
    enqueue(
        _staff_notices(
            [unit],
            f"领导包案：{matter.title[:30]}",
            f"{leader}包案事项「{matter.title}」（{matter.display_code}），请按化解方案推进：{ownership.plan}",
            matter,
            roles={Role.UNIT_HEAD},
        )
    )
    return ownership


def _check_owner_side(actor, ownership):
    _require_casework(actor)
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
    record_internal_event(
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
    reasons = []
    if ownership.target_date < today:
        reasons.append(f"已超过目标化解日期（{ownership.target_date:%Y年%m月%d日}）")
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


# ---------------------------------------------------------------- 领导接访日


def schedule_reception(actor, *, leader, date, place, topic="") -> ReceptionDay:
    _require_casework(actor, OVERSIGHT_ROLES | {Role.REGISTRAR, Role.DISPATCHER})
    if leader.role != Role.LEADER:
        raise SupervisionError("接访领导必须是领导。")
    if not (place or "").strip():
        raise SupervisionError("请填写接访地点。")
    return ReceptionDay.objects.create(
        leader=leader, unit=actor.unit, date=date, place=place.strip(), topic=topic
    )


def receive_at(actor, day: ReceptionDay, matter: Matter):
    """Record that a matter was received at a leader's reception day."""
    _require_casework(actor)
    if not can_see(actor, matter):
        raise SupervisionError("该事项不在您的工作范围内。")
    if timezone.localdate(matter.received_at) != day.date:
        raise SupervisionError(f"事项{matter.display_code}不是在{day.date:%Y年%m月%d日}收到的。")
    day.matters.add(matter)


# ---------------------------------------------------------------- 积案化解


def campaign_candidates(actor, rules: dict, today: date):
    """The matters a campaign's rules pick, among those the actor may see. Any rule picks a matter:
    open longer than `open_days` days; re-reviewed yet petitioned again (`after_rereview`);
    petitioned again more than `repeat_times` times; or named by 查询码 (`codes`)."""
    visible = Matter.objects.visible_to(actor)
    picked = Q(pk__in=[])
    if rules.get("open_days"):
        cutoff = today - timedelta(days=int(rules["open_days"]))
        picked |= Q(status__in=OPEN_STATUSES, received_at__date__lt=cutoff)
    if rules.get("after_rereview"):
        later = Matter.objects.filter(
            repeat_of=OuterRef("pk"), received_at__date__gt=OuterRef("rereview_decided_on")
        )
        picked |= Q(Exists(later), rereview_decided_on__isnull=False)
    if rules.get("repeat_times"):
        heavy = (
            Matter.objects.filter(repeat_of__isnull=False)
            .values("repeat_of")
            .annotate(n=Count("id"))
            .filter(n__gt=int(rules["repeat_times"]))
            .values("repeat_of")
        )
        picked |= Q(pk__in=heavy)
    if rules.get("codes"):
        picked |= Q(code__in=rules["codes"])
    return visible.filter(picked)


def describe_rules(rules: dict) -> str:
    parts = []
    if rules.get("open_days"):
        parts.append(f"登记超过{rules['open_days']}日仍未办结")
    if rules.get("after_rereview"):
        parts.append("复核后仍重复信访")
    if rules.get("repeat_times"):
        parts.append(f"重复信访超过{rules['repeat_times']}次")
    if rules.get("codes"):
        parts.append(f"逐件指定{len(rules['codes'])}件")
    return "；".join(parts) or "（无）"


@transaction.atomic
def freeze_campaign(actor, *, name, target_date, rules, today=None) -> Campaign:
    """Freeze the list: later matters do not join; each case starts with its leader (if owned) and
    the unit now responsible."""
    _require_casework(actor, OVERSIGHT_ROLES)
    today = today or clock.today()
    if not (name or "").strip():
        raise SupervisionError("请填写专项名称。")
    if target_date is None or target_date <= today:
        raise SupervisionError("目标清仓日期应当晚于今天。")
    matters = list(campaign_candidates(actor, rules, today).select_related("holder_unit", "handling_unit"))
    if not matters:
        raise SupervisionError("按这些规则没有筛选到事项，清单没有建立。")
    campaign = Campaign.objects.create(
        name=name.strip(),
        unit=actor.unit,
        created_by=actor,
        frozen_on=today,
        target_date=target_date,
        rules=rules,
        rules_text=describe_rules(rules),
    )
    owners = dict(
        CaseOwnership.objects.filter(matter__in=matters, state=CaseOwnership.State.ACTIVE).values_list(
            "matter_id", "leader_id"
        )
    )
    CampaignCase.objects.bulk_create(
        CampaignCase(
            campaign=campaign,
            matter=m,
            leader_id=owners.get(m.pk),
            unit=m.handling_unit or m.holder_unit,
        )
        for m in matters
    )
    audit.record("change", user=actor, target=f"campaign:{campaign.pk}", detail={"matters": len(matters)})
    return campaign


def _check_campaign_side(actor, case):
    _require_casework(actor)
    if actor.role in OVERSIGHT_ROLES and actor.unit.is_within(oversight_root(case.campaign.unit)):
        return
    if actor.pk == case.leader_id:
        return
    if actor.role == Role.UNIT_HEAD and case.unit_id and actor.unit.is_within(case.unit):
        return
    raise SupervisionError("只有专项的督查人员、包案领导和责任单位负责人可以更新该积案。")


def assign_case(actor, case, *, leader=None, unit=None) -> CampaignCase:
    _require_casework(actor, OVERSIGHT_ROLES)
    _check_campaign_side(actor, case)
    if leader is not None and leader.role != Role.LEADER:
        raise SupervisionError("包案领导必须是领导。")
    if unit is not None and hidden_from(case.matter, unit):
        raise SupervisionError("检举控告事项不得由被检举控告的单位负责化解（第三十条）。")
    case.leader, case.unit = leader or case.leader, unit or case.unit
    case.save(update_fields=["leader", "unit"])
    return case


@transaction.atomic
def record_outcome(actor, case, *, outcome, evidence, on=None, files=()) -> CampaignCase:
    """One of the four outcomes, with the evidence (text and documents)."""
    _check_campaign_side(actor, case)
    if case.outcome:
        raise SupervisionError("该积案已记录化解结果。")
    if outcome not in Resolution.values:
        raise SupervisionError("请选择化解结果（四个到位之一）。")
    if not (evidence or "").strip() and not files:
        raise SupervisionError("请填写化解依据，或上传证明材料。")
    today = clock.today()
    on = on or today
    if on > today or on < case.campaign.frozen_on:
        raise SupervisionError("化解日期应当在清单冻结之后、今天或之前。")
    case.outcome, case.evidence, case.resolved_on = outcome, (evidence or "").strip(), on
    case.save(update_fields=["outcome", "evidence", "resolved_on"])
    case.files.add(*_attach(case.matter, actor, files))
    return case


def burn_down(campaign, today: date) -> dict:
    """Remaining cases on each day from the freeze to the later of today and the target date, with
    the straight line to zero on the target date."""
    total = campaign.cases.count()
    resolved = sorted(campaign.cases.exclude(resolved_on=None).values_list("resolved_on", flat=True))
    last = max(today, campaign.target_date)
    span = max(1, (campaign.target_date - campaign.frozen_on).days)
    days, remaining, ideal, i = [], [], [], 0
    day = campaign.frozen_on
    while day <= last:
        while i < len(resolved) and resolved[i] <= day:
            i += 1
        days.append(day.isoformat())
        remaining.append(total - i if day <= today else None)
        ideal.append(round(max(0.0, total * (1 - (day - campaign.frozen_on).days / span)), 1))
        day += timedelta(days=1)
    return {"days": days, "remaining": remaining, "ideal": ideal, "total": total, "resolved": len(resolved)}


def campaign_table(campaign, by: str):
    """Cases, resolved and remaining per unit (by="unit") or leader (by="leader")."""
    rows = (
        campaign.cases.values(f"{by}_id")
        .annotate(total=Count("id"), resolved=Count("id", filter=~Q(outcome="")))
        .order_by(f"{by}_id")
    )
    names = {}
    ids = [r[f"{by}_id"] for r in rows if r[f"{by}_id"]]
    if by == "unit":
        names = {u.pk: u.name for u in Unit.objects.filter(pk__in=ids)}
    else:
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}
    return [
        {
            "name": names.get(r[f"{by}_id"], "（未指定）"),
            "key": r[f"{by}_id"],
            "total": r["total"],
            "resolved": r["resolved"],
            "remaining": r["total"] - r["resolved"],
        }
        for r in rows
    ]


# ---------------------------------------------------------------- methods (化解措施)


def _attach(matter, actor, files):
    return [save_attachment(matter, f, actor) for f in files]


@transaction.atomic
def record_measure(actor, matter, *, kind, held_on, note, participants="", amount=None, files=(), now=None):
    """Record a method used on a matter. A 公开听证 starts the hearing pause through the matter's
    write path (its deadline stops until the hearing is recorded as ended)."""
    now = now or clock.now()
    _require_casework(actor)
    if not can_see(actor, matter):
        raise SupervisionError("该事项不在您的工作范围内。")
    if kind not in Measure.Kind.values:
        raise SupervisionError("请选择化解措施。")
    if not (note or "").strip():
        raise SupervisionError("请填写措施的情况。")
    if held_on is None or held_on > timezone.localdate(now):
        raise SupervisionError("措施日期不能晚于今天。")
    if kind == Measure.Kind.ASSISTANCE:
        try:
            amount = Decimal(str(amount)) if amount not in (None, "") else None
        except InvalidOperation as exc:
            raise SupervisionError("救助金额应当是数字。") from exc
        if amount is None or amount <= 0:
            raise SupervisionError("请填写大于零的救助金额。")
    else:
        amount = None
    pause = None
    if kind == Measure.Kind.HEARING:
        if held_on != timezone.localdate(now):
            raise SupervisionError("公开听证在举行当天登记，听证期间暂停计时。")
        matter_services.perform(matter.pk, actor, "start_hearing", now=now, note=f"公开听证：{note.strip()}")
        pause = Pause.objects.filter(matter=matter, last__isnull=True).order_by("-id").first()
    measure = Measure.objects.create(
        matter=matter,
        kind=kind,
        held_on=held_on,
        participants=(participants or "").strip(),
        amount=amount,
        note=note.strip(),
        pause=pause,
        recorded_by=actor,
    )
    measure.files.add(*_attach(matter, actor, files))
    return measure


# ---------------------------------------------------------------- 息诉罢访


def follow_up_days() -> int:
    return int(getattr(settings, "XINFANG_FOLLOW_UP_DAYS", 90))


def sweep_follow_ups(today: date | None = None, limit=5000) -> int:
    """Decide 息诉罢访 for replies whose follow-up period has run out: the petitioner stopped if they
    asked for no review and filed no repeat petition since the reply."""
    today = today or clock.today()
    cutoff = today - timedelta(days=follow_up_days())
    due = (
        Matter.objects.filter(reply_delivered_on__lte=cutoff, follow_up__isnull=True)
        .exclude(status=Status.WITHDRAWN)
        .values_list("pk", "reply_delivered_on", "review_requested_on")[:limit]
    )
    rows = []
    for pk, delivered, review_on in due:
        repeats = Matter.objects.filter(repeat_of_id=pk, received_at__date__gt=delivered).count()
        reviewed = bool(review_on and review_on >= delivered)
        stopped = not repeats and not reviewed
        basis = (
            f"答复送达后{follow_up_days()}日内未申请复查、未重复信访"
            if stopped
            else "；".join(
                x
                for x in [
                    "答复后申请了复查" if reviewed else "",
                    f"答复后重复信访{repeats}次" if repeats else "",
                ]
                if x
            )
        )
        rows.append(
            FollowUp(
                matter_id=pk,
                due_on=delivered + timedelta(days=follow_up_days()),
                checked_on=today,
                stopped=stopped,
                basis=basis,
            )
        )
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
