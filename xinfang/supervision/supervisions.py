"""督办 and 领导批示 on cases of any registered type: issuing, the units' answers, 退回重报, 办结,
升级, the overdue-answer sweep, and which supervisions a user may see.

A 督办 goes to the unit responsible for each case, about that case; a 批示 to the units the leader
names, about all its cases. The units that must answer are granted access to the cases through the
kernel, and no unit is made to answer about a case its type keeps from it (the type's `hidden_q`:
an accusation is never sent to the accused)."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from xinfang.audit import api as audit
from xinfang.cases import registry
from xinfang.cases.scoping import can_see
from xinfang.core import clock
from xinfang.core.dates import cn_date
from xinfang.core.outbox import enqueue
from xinfang.org.models import Role, Unit

from . import case_refs
from .common import (
    ANSWERING_ROLES,
    OVERSIGHT_ROLES,
    SupervisionError,
    notices,
    oversight_root,
    require_casework,
)
from .models import (
    LEVEL_ORDER,
    Level,
    Reason,
    SupervisedCase,
    Supervision,
    SupervisionEvent,
    SupervisionFile,
    SupervisionTask,
)


def supervisions_visible_to(user):
    """Supervisions a user may see: issued in or addressed to the part of the org tree they work
    in (their government's for supervisors and leaders), never one about a case its type keeps
    from their unit or from them (an accusation against them: the same rule as the kernel's
    scoping)."""
    if not (user.is_authenticated and user.does_casework):
        return Supervision.objects.none()
    root = oversight_root(user.unit) if user.role in OVERSIGHT_ROLES else user.unit
    addressed = SupervisionTask.objects.filter(supervision=OuterRef("pk"), unit__path__startswith=root.path)
    visible = Supervision.objects.filter(Q(issuing_unit__path__startswith=root.path) | Q(Exists(addressed)))
    for case_type in registry.all_types():
        if case_type.hidden_q is None:
            continue
        hidden = case_type.model.objects.filter(case_type.hidden_q(user.unit, user), pk=OuterRef("case_id"))
        refs = SupervisedCase.objects.filter(supervision=OuterRef("pk"), case_type=case_type.key)
        visible = visible.exclude(Exists(refs.filter(Exists(hidden))))
    return visible


OPEN_STATES = (Supervision.State.OPEN, Supervision.State.ANSWERED)


def open_marks(user, case_type: str, ids) -> dict:
    """{case id: the strongest open 督办 or 批示 on it the user may see}, for lists of cases: a unit
    sees which of its cases are under 督办, and at what level (the card's colour)."""
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    found = {}
    rows = (
        supervisions_visible_to(user)
        .filter(state__in=OPEN_STATES, case_refs__case_type=case_type, case_refs__case_id__in=list(ids))
        .values_list("case_refs__case_id", "kind", "level", "number")
    )
    for case_id, kind, level, number in rows:
        strength = rank.get(level, -1) if kind == Supervision.Kind.SUPERVISE else len(rank)
        if case_id not in found or strength > found[case_id]["strength"]:
            label = Level(level).label if kind == Supervision.Kind.SUPERVISE else "领导批示"
            found[case_id] = {
                "strength": strength,
                "level": level or "instruct",
                "label": label,
                "number": number,
            }
    return found


def _next_number(kind, year):
    prefix = "督" if kind == Supervision.Kind.SUPERVISE else "批"
    count = Supervision.objects.filter(kind=kind, number__startswith=f"{prefix}〔{year}〕").count()
    return f"{prefix}〔{year}〕{count + 1}号"


def answering_unit(case) -> Unit:
    """Who answers a 督办 about a case: the unit now responsible; for a case no unit owes an act
    now (a matter answered and waiting on the petitioner), the unit that handled it, when its type
    records one as `handling_unit` (a decision not carried out)."""
    if case_refs.waits_on_staff(case):
        return case.holder_unit
    return getattr(case, "handling_unit", None) or case.holder_unit


def _check_issue(actor, kind, level, reasons, units, text, due_on, today):
    """The issuer's role and the form of the 督办 or 批示; returns (level, reasons)."""
    if kind == Supervision.Kind.SUPERVISE:
        require_casework(actor, OVERSIGHT_ROLES)
        if level not in Level.values:
            raise SupervisionError("请选择督办等级。")
        if not reasons:
            raise SupervisionError("请至少选择一项督办事由。")
    elif kind == Supervision.Kind.INSTRUCT:
        require_casework(actor, {Role.LEADER})
        level = ""
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
    return level, list(reasons)


@transaction.atomic
def issue(
    actor,
    *,
    kind,
    cases,
    text,
    due_on: date,
    level="",
    reasons=(),
    report_required="",
    units=(),
    now=None,
    escalated_from=None,
) -> Supervision:
    """Issue a 督办 (supervisor or leader) or write a 领导批示 (leader) on one or more cases of any
    registered type."""
    now = now or clock.now()
    today = timezone.localdate(now)
    level, reasons = _check_issue(actor, kind, level, reasons, units, text, due_on, today)
    cases = list({(case_refs.key_of(case), case.pk): case for case in cases}.values())  # each once
    if not cases:
        raise SupervisionError("请至少选择一件事项。")
    for case in cases:
        if not can_see(actor, case):
            raise SupervisionError(f"事项{case.display_code}不在您的工作范围内。")
    # Which unit answers for which cases: a 批示 goes to the named units about all its cases;
    # a 督办 to the unit responsible for each case, about that case only.
    answers_for = {}
    for case in cases:
        for unit in units or [answering_unit(case)]:
            answers_for.setdefault(unit, []).append(case)
    for unit in answers_for:
        hidden = case_refs.hidden_from(cases, unit)
        if hidden:
            raise SupervisionError(
                f"事项{hidden[0].display_code}须对「{unit}」保密（如检举控告事项不得交由被检举控告的单位，"
                "《信访工作条例》第三十条、第四十六条），不能交由该单位办理或反馈。"
            )
    sup = Supervision(
        kind=kind,
        level=level,
        reasons=reasons,
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
    SupervisedCase.objects.bulk_create(
        SupervisedCase(supervision=sup, case_type=case_refs.key_of(case), case_id=case.pk) for case in cases
    )
    for unit in answers_for:
        SupervisionTask.objects.create(supervision=sup, unit=unit)
    label = sup.title
    SupervisionEvent.objects.create(
        supervision=sup, action="issue", actor=actor, actor_unit=actor.unit, at=now, note=sup.text
    )
    for case in cases:
        # a unit that must answer about a case may see it (属事)
        answering = [unit for unit, its_cases in answers_for.items() if case in its_cases]
        note = f"{label}（{sup.number}），反馈期限{cn_date(due_on)}：{sup.text}"
        case_refs.note_on(case, kind, actor, now, note, grant=answering)
    audit.record("change", user=actor, target=f"supervision:{sup.pk}", detail={"action": "issue"})
    enqueue(
        notices(
            list(answers_for),
            f"{label}：{cases[0].title[:30]}",
            f"{actor.unit}{label}（{sup.number}）：{sup.text} 请于{cn_date(due_on)}前反馈。",
            cases[0],
        )
    )
    return sup


def _locked(sup_id) -> Supervision:
    return Supervision.objects.select_for_update().select_related("issuing_unit").get(pk=sup_id)


def _check_issuer_side(actor, sup):
    require_casework(actor, OVERSIGHT_ROLES)
    if not actor.unit.is_within(sup.issuing_unit):
        raise SupervisionError(f"只有签发单位「{sup.issuing_unit}」的督查人员或领导可以审核、办结或升级。")


@transaction.atomic
def answer(task_id, actor, report: str, *, files=(), now=None) -> SupervisionTask:
    """A unit's 督办反馈, with the files it sends (images or PDF files, checked by the caller's
    upload field)."""
    now = now or clock.now()
    task = SupervisionTask.objects.select_related("unit").get(pk=task_id)
    sup = _locked(task.supervision_id)
    task.refresh_from_db()
    require_casework(actor, ANSWERING_ROLES)
    if not actor.unit.is_within(task.unit):
        raise SupervisionError(f"该督办由「{task.unit}」反馈。")
    if case_refs.hidden_from(sup.cases(), actor.unit, actor):
        raise SupervisionError("所涉检举控告事项反映的是您或您所在单位，应当回避，不能反馈。")
    if sup.state not in {Supervision.State.OPEN, Supervision.State.ANSWERED}:
        raise SupervisionError(f"该督办{sup.get_state_display()}，不能再反馈。")
    if task.state != SupervisionTask.State.PENDING:
        raise SupervisionError("本单位已经反馈，等待签发单位审核。")
    if not (report or "").strip():
        raise SupervisionError("请填写反馈内容。")
    task.state, task.report = SupervisionTask.State.ANSWERED, report.strip()
    task.answered_at, task.answered_by = now, actor
    for upload in files:
        SupervisionFile.objects.create(
            task=task,
            file=upload,
            name=upload.name[:200],
            size=upload.size,
            content_type=upload.content_type,
            uploaded_by=actor,
            uploaded_at=now,
        )
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
        notices(
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
    enqueue(notices([task.unit], f"督办反馈退回：{sup.number}", f"{sup.number}的反馈被退回重报：{note}"))
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
    """升级督办: a new supervision at a higher level on the same cases and units."""
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
            cases=sup.cases(),
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
            note = f"「{task.unit}」未在{cn_date(sup.due_on)}前反馈。"
            SupervisionEvent.objects.create(supervision=sup, task=task, action="overdue", at=now, note=note)
            enqueue(
                notices([task.unit], f"督办反馈超期：{sup.number}", f"{sup.number}{note}请立即反馈。")
                + notices([sup.issuing_unit], f"督办反馈超期：{sup.number}", note, roles=OVERSIGHT_ROLES)
            )
            count += 1
    return count
