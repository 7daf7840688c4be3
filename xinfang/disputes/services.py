"""The write path of disputes, on the case kernel (xinfang/cases/engine.py).

`register` records a dispute found by screening; `perform` runs any transition of
workflow.TRANSITIONS; `from_event` turns a grid event into a dispute; `to_matter` and `link_matter`
join a dispute and a petition matter. Everything can run inside `xinfang.cases.plan.bulk()` (the
台账 import, the demo, the benchmark loader).
"""

from datetime import date, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from xinfang.cases import engine
from xinfang.cases.engine import Act, TransitionError
from xinfang.cases.notices import staff_notices
from xinfang.cases.registry import CaseType, register
from xinfang.core import clock, crypto, uploads
from xinfang.org.models import Role, Unit, User

from .choices import AttemptResult, Method, NextChannel, Outcome, Risk, RiskReason, Source, Status
from .models import (
    Attempt,
    Dispute,
    DisputeEvent,
    DisputeFile,
    DisputeUnit,
    FollowUp,
    Leader,
    MatterLink,
    Party,
)
from .workflow import REGISTRARS, WORKFLOW

OVERDUE_REASON = "化解期限已过"
ESCALATION_ROLES = [Role.LEADER, Role.SUPERVISOR, Role.UNIT_HEAD, Role.DISPATCHER]


def level_above(unit: Unit) -> Unit | None:
    """The government one level above the unit responsible: a town's or a department's own
    government, a government's parent government."""
    gov = unit.government()
    if gov is None or gov.pk == unit.pk:
        gov = unit.parent.government() if unit.parent_id else None
    return gov


def _escalate_to(a: Act, reason: str):
    d = a.case
    above = level_above(d.holder_unit)
    if above is None:
        raise TransitionError(f"「{d.holder_unit}」没有上一级党委政府，无法上报。")
    if d.escalated_to_id == above.pk:
        return None
    d.escalated_to, d.escalated_on = above, a.today
    a.grant_access(above)
    a.data.update(escalated_to=above.name, reason=reason)
    body = f"矛盾纠纷「{d.title}」（{d.number}）{reason}，已上报{above}，请关注并督促化解。"
    a.plan.notices += staff_notices(
        [above], kind="dispute_escalated", subject=f"矛盾纠纷上报：{d.title[:40]}", body=body,
        roles=ESCALATION_ROLES,
    )  # fmt: skip
    return above


# 群体性: five people or more, as for a collective visit.
GROUP_HEADCOUNT = 5


def suggested_reasons(dispute, today: date) -> list[str]:
    """The risk factors the 研判 form ticks in advance, read from the dispute and the calendar:
    群体性 when five people or more are involved, 敏感时期 when today falls in a sensitive period
    set by the analysts (两会, 春节 …). The assessor confirms or clears them."""
    from xinfang.analytics.models import SensitivePeriod

    reasons = []
    if dispute.headcount >= GROUP_HEADCOUNT:
        reasons.append(RiskReason.GROUP)
    if SensitivePeriod.objects.filter(first__lte=today, last__gte=today).exists():
        reasons.append(RiskReason.SENSITIVE)
    return reasons


# ---------------------------------------------------------------- one function per transition


def _assess(a: Act):
    d = a.case
    d.risk = a.require_choice("risk", "风险等级", Risk)
    reasons = [r for r in a.params.get("reasons") or [] if r in RiskReason.values]
    d.risk_reasons = reasons
    if d.risk == Risk.MAJOR and not reasons:
        raise TransitionError("重大风险的矛盾纠纷，请勾选风险因素。")
    unit = a.params.get("unit") or d.holder_unit
    if not isinstance(unit, Unit) or not unit.active:
        raise TransitionError("请选择化解责任单位。")
    leaders = list(a.params.get("leaders") or [])
    if not leaders:
        raise TransitionError("请至少指定一名包案领导。")
    for user in leaders:
        if not any(row.user_id == user.pk for row in a.rows(Leader)):
            a.add(Leader(user=user))
    resolver = a.params.get("resolver")
    if resolver is not None and not isinstance(resolver, User):
        raise TransitionError("化解责任人不正确。")
    d.resolver = resolver
    method = a.params.get("method") or ""
    if method and method not in Method.values:
        raise TransitionError("「化解方式」的取值不正确。")
    d.method, d.mediator = method, (a.params.get("mediator") or "")[:60]
    d.assessed_on = a.today
    if unit.pk != d.holder_unit_id:
        d.holder_unit = unit
        a.grant_access(unit)
        a.notify_units.append(unit)
    a.data.update(
        risk=d.risk, reasons=reasons, unit=unit.name, leaders=[str(u) for u in leaders],
        resolver=str(resolver or ""),
    )  # fmt: skip
    if d.risk == Risk.MAJOR:
        _escalate_to(a, "研判为重大风险")


def _attempt(a: Act):
    on = a.params.get("on") or a.today
    if not isinstance(on, date) or on > a.today:
        raise TransitionError("调解日期不能晚于今天。")
    method = a.require_choice("method", "调解方式", Method)
    result = a.require_choice("result", "调解结果", AttemptResult)
    participants = a.require("participants", "参加人员")
    mediator = (a.params.get("mediator") or a.case.mediator or "")[:60]
    a.add(Attempt(on=on, method=method, mediator=mediator, participants=participants, result=result,
                  note=a.note, recorded_by=a.actor))  # fmt: skip
    if not a.case.method:
        a.case.method = method
    a.data.update(on=str(on), method=method, result=result)


def _attempts(a: Act) -> list:
    return a.rows(Attempt)


def _resolve(a: Act):
    d = a.case
    if not _attempts(a):
        raise TransitionError("请先记录调解过程，再登记调解成功。")
    if not a.params.get("has_agreement"):
        raise TransitionError("调解成功的，请上传调解协议。")
    d.outcome, d.outcome_on = Outcome.SUCCESS, a.today
    a.data["outcome"] = Outcome.SUCCESS


def _fail(a: Act):
    d = a.case
    if not _attempts(a):
        raise TransitionError("请先记录调解过程，再登记调解不成。")
    d.next_channel = a.require_choice("next_channel", "转入途径", NextChannel)
    d.next_reference = (a.params.get("next_reference") or "")[:100]
    a.require("note", "调解不成的原因")
    d.outcome, d.outcome_on = Outcome.FAILED, a.today
    a.data.update(outcome=Outcome.FAILED, next_channel=d.next_channel, next_reference=d.next_reference)


def _follow_up(a: Act):
    on = a.params.get("on") or a.today
    if not isinstance(on, date) or on > a.today:
        raise TransitionError("回访日期不能晚于今天。")
    if a.case.outcome_on and on < a.case.outcome_on:
        raise TransitionError("回访日期不能早于化解结果日期。")
    note = a.require("note", "回访情况")
    stable = bool(a.params.get("stable", True))
    a.add(FollowUp(on=on, note=note, stable=stable, visited_by=a.actor))
    a.data.update(on=str(on), stable=stable)


def _close(a: Act):
    if not a.rows(FollowUp):
        raise TransitionError("销号前至少要有一次回访。")
    a.case.closed_on = a.today


def _escalate(a: Act):
    a.require("note", "上报理由")
    if _escalate_to(a, "由责任单位上报") is None:
        raise TransitionError("该矛盾纠纷已上报上一级。")


APPLY = {
    "assess": _assess,
    "attempt": _attempt,
    "resolve": _resolve,
    "fail": _fail,
    "follow_up": _follow_up,
    "close": _close,
    "escalate": _escalate,
}

DISPUTE = register(
    CaseType(
        key="dispute",
        label="矛盾纠纷",
        model=Dispute,
        event_model=DisputeEvent,
        link_model=DisputeUnit,
        case_field="case",
        workflow=WORKFLOW,
        apply=APPLY,
        select_related=("division", "holder_unit", "registering_unit", "dispute_type", "escalated_to"),
        detail_url=lambda dispute: reverse("disputes:detail", args=[dispute.pk]),
    )
)


# ---------------------------------------------------------------- the write path


def perform(dispute_id, actor, action, *, files=(), **kwargs) -> Dispute:
    """Run transition `action` on a dispute. Raises TransitionError with a Chinese message. The
    files are prepared before the transaction (uploads.prepare)."""
    return _perform(dispute_id, actor, action, files=[uploads.prepare(f) for f in files], **kwargs)


@engine.atomic
def _perform(dispute_id, actor, action, *, files, **kwargs) -> Dispute:
    if action == "resolve":
        kwargs["has_agreement"] = bool(files) or kwargs.get("has_agreement", False)
    act = engine.perform(DISPUTE, dispute_id, actor, action, **kwargs)
    for f in files:
        save_file(act.case, f, actor, act.event, agreement=action == "resolve")
    if "escalated_to" in act.data:
        supervise_escalation(act.case, act.data["reason"], act.now)
    return act.case


can_perform = engine.can_perform


def save_file(dispute, prepared: uploads.Prepared, actor, event=None, *, agreement=False) -> DisputeFile:
    """The one place dispute files are saved: images and PDF only, judged by content; a photo is
    kept without its metadata — where and when it was taken, the phone (uploads.prepare, before the
    transaction)."""
    return DisputeFile.objects.create(
        case=dispute, event=event, file=prepared.file, name=prepared.name, size=prepared.size,
        content_type=prepared.content_type, uploaded_by=actor, agreement=agreement,
    )  # fmt: skip


def check_registrar(actor):
    if not (actor and actor.does_casework and actor.role in REGISTRARS):
        raise TransitionError("只有登记员、交办员、承办人和单位负责人可以登记矛盾纠纷。")


def import_key(unit_id, ledger_number: str, fields: dict) -> str:
    """A keyed hash identifying an imported row (its 编号, or its content): importing the same file
    again finds the disputes it created."""
    basis = ledger_number or "|".join(
        str(fields.get(k, "")) for k in ("screened_on", "division", "title", "summary")
    )
    return crypto.search_hash("dispute", f"{unit_id}|{basis}")


def _policy_set_for(division) -> str:
    return division.effective_policy_set() or settings.XINFANG_POLICY_SET


def new_dispute(actor, fields: dict, now) -> Dispute:
    fields = dict(fields)
    holder = fields.pop("holder_unit", None) or actor.unit
    d = Dispute(
        **fields,
        type_top=fields["dispute_type"].top,
        registered_by=actor,
        registering_unit=actor.unit,
        holder_unit=holder,
        policy_set=_policy_set_for(fields["division"]),
        step_started_on=timezone.localdate(now),
    )
    return d


def register_dispute(actor, *, files=(), **kwargs) -> Dispute:
    """Record a dispute at the actor's unit; its parties are kept encrypted, its files prepared
    before the transaction."""
    check_registrar(actor)
    return _register(actor, files=[uploads.prepare(f) for f in files], **kwargs)


@engine.atomic
def _register(actor, *, fields: dict, parties: list[dict], files, now=None, note="", data=None) -> Dispute:
    check_registrar(actor)
    now = now or clock.now()
    if not fields.get("title") or not fields.get("summary"):
        raise TransitionError("请填写纠纷概要和基本情况。")
    if fields.get("source") not in Source.values:
        raise TransitionError("请选择纠纷来源。")
    screened = fields.get("screened_on")
    if screened is None or screened > timezone.localdate(now):
        raise TransitionError("排查日期不能为空，也不能晚于今天。")
    if not parties:
        raise TransitionError("请至少填写一方当事人。")
    grid = fields.get("grid")
    if grid is not None and not grid.division.path.startswith(fields["division"].path):
        raise TransitionError("所选网格不在纠纷发生地的区划内。")
    dispute = new_dispute(actor, fields, now)
    engine.recompute_deadline(DISPUTE, dispute, timezone.localdate(now))
    act = engine.create(
        DISPUTE, dispute, actor, now=now, rows=[Party(**p) for p in parties], note=note,
        data={"source": dispute.source, **(data or {})},
        links=[dispute.holder_unit] if dispute.holder_unit_id != actor.unit_id else [],
    )  # fmt: skip
    for f in files:
        save_file(dispute, f, actor, act.event)
    return dispute


# ---------------------------------------------------------------- between case types


@engine.atomic
def from_event(event_id, actor, *, dispute_type, parties, now=None) -> Dispute:
    """A grid event the centre accepted becomes a dispute (转为矛盾纠纷): the event is closed as
    converted and the dispute, registered by the centre, names it."""
    from xinfang.grid import services as grid_services
    from xinfang.grid.choices import Status as EventStatus

    now = now or clock.now()
    event = grid_services.perform(event_id, actor, "to_dispute", now=now)
    dispute = register_dispute(
        actor,
        fields={
            "screened_on": timezone.localdate(now),
            "source": Source.INFORMANT if event.reported_by.role == Role.INFORMANT else Source.GRID,
            "dispute_type": dispute_type,
            "division": event.division,
            "grid": event.grid,
            "address": event.place,
            "title": event.title,
            "summary": event.description,
            "headcount": max(2, event.headcount),
            "event": event,
        },
        parties=parties,
        now=now,
        note=f"由网格事件{event.number}转入。",
    )
    assert event.status == EventStatus.TO_DISPUTE
    return dispute


def _link(kind, matter):
    def apply(a: Act):
        if any(link.matter_id == matter.pk for link in a.rows(MatterLink)):
            raise TransitionError("该信访事项已与本矛盾纠纷关联。")
        a.add(MatterLink(matter=matter, kind=kind))
        a.data["matter"] = matter.pk

    return apply


@engine.atomic
def link_matter(dispute_id, actor, matter, *, now=None) -> Dispute:
    """Record that a petition matter is about this dispute (the dispute behind it)."""
    from xinfang.petitions.models import Matter

    if not (actor and actor.does_casework):
        raise TransitionError("您没有关联信访事项的权限。")
    if not Matter.objects.visible_to(actor).filter(pk=matter.pk).exists():
        raise TransitionError("没有找到该信访事项，或该事项不在您的工作范围内。")
    act = engine.record(DISPUTE, dispute_id, actor, "link_matter", now=now,
                        note=f"关联信访事项{matter.display_code}。", apply=_link(MatterLink.Kind.BEHIND, matter))  # fmt: skip
    return act.case


@engine.atomic
def to_matter(dispute_id, actor, *, category, channel, now=None):
    """A dispute that mediation did not settle, or whose party petitions, becomes a petition matter
    registered by the actor's bureau; the applicants are its petitioners."""
    from xinfang.petitions import services as petitions
    from xinfang.petitions.choices import Nature, RequestType

    now = now or clock.now()
    dispute = Dispute.objects.visible_to(actor).get(pk=dispute_id)
    people = [
        {"name": p.name, "id_number": p.id_number, "phone": p.phone, "address": p.address}
        for p in dispute.parties.filter(kind="person", side="applicant")
    ][:5]
    matter = petitions.register_matter(
        actor,
        fields={
            "channel": channel,
            "received_at": now,
            "title": dispute.title[:200],
            "content": dispute.summary,
            "request": dispute.claims,
            "nature": Nature.APPEAL,
            "request_type": RequestType.COMPLAINT,
            "division": dispute.division,
            "category": category,
            "anonymous": not people,
            "headcount": dispute.headcount,
        },
        petitioners=people,
        now=now,
        note=f"由矛盾纠纷{dispute.number}转入。",
    )
    engine.record(DISPUTE, dispute_id, actor, "to_matter", now=now,
                  note=f"转为信访事项{matter.display_code}。", apply=_link(MatterLink.Kind.BECAME, matter))  # fmt: skip
    return matter


# ---------------------------------------------------------------- deadlines


def on_reminded(case_type, pks, kind, now):
    """The kernel's sweeper found disputes past their deadline: each goes to the level above (in
    the sweeper's transaction)."""
    if case_type != "dispute" or kind != "overdue":
        return
    for pk in pks:
        case = Dispute.objects.only("escalated_to", "holder_unit").get(pk=pk)
        if case.escalated_to_id is not None:
            continue

        def apply(a: Act):
            _escalate_to(a, OVERDUE_REASON)

        act = engine.record(DISPUTE, pk, None, "auto_escalate", now=now, note="超过化解期限，自动上报上一级。",
                            apply=apply)  # fmt: skip
        if "escalated_to" in act.data:
            supervise_escalation(act.case, act.data["reason"], now)


# Days the responsible unit has to answer the 督办 of an escalated dispute.
ESCALATION_ANSWER_DAYS = 5


def supervise_escalation(dispute, reason: str, now):
    """The level above supervises an escalated dispute (督办, through the supervision app, which
    handles cases of any type): issued in the name of that government's leader (a supervisor of
    its own when it has no leader), red for a 重大 risk, yellow for a deadline passed. A government
    with neither leaves the escalation to the notices. Not inside a bulk session (the dispute is
    not written yet): the demo and the import escalate without it."""
    from xinfang.cases.plan import current_session
    from xinfang.supervision import supervisions

    if current_session() is not None:
        return None
    above = dispute.escalated_to
    issuer = (
        User.objects.filter(unit=above, role=Role.LEADER, is_active=True).order_by("pk").first()
        or User.objects.filter(unit__path__startswith=above.path, unit__kind=Unit.Kind.PETITION_BUREAU,
                               role=Role.SUPERVISOR, is_active=True).order_by("pk").first()
    )  # fmt: skip
    if issuer is None:
        return None
    major = dispute.risk == Risk.MAJOR
    return supervisions.issue(
        issuer,
        kind="supervise",
        cases=[dispute],
        level="red" if major else "yellow",
        reasons=["overdue"] if reason == OVERDUE_REASON else ["other"],
        text=f"矛盾纠纷「{dispute.title}」{reason}，已上报{above}。请责任单位落实包案领导和化解措施，按期反馈化解进展。"
        "（依矛盾纠纷上报规则自动签发）",
        due_on=timezone.localdate(now) + timedelta(days=ESCALATION_ANSWER_DAYS),
        now=now,
    )


def sweep(today: date | None = None) -> dict:
    from xinfang.cases.sweeper import sweep as sweep_cases

    now = clock.now() if today is None else clock.local_datetime(today, time(12))
    return sweep_cases(DISPUTE, now)


__all__ = ["DISPUTE", "TransitionError", "ValidationError", "perform", "register_dispute", "Status"]
