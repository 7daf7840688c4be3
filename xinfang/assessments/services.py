"""The write path of stability risk assessments, on the case kernel (xinfang/cases/engine.py):
`register_assessment`, and `perform` for every step of workflow.TRANSITIONS (one function each
below), written through plans by the ORM or in a bulk session (the demo)."""

from datetime import date

from django.urls import reverse
from django.utils import timezone

from xinfang.cases import engine
from xinfang.cases.engine import Act, TransitionError
from xinfang.cases.plan import current_session
from xinfang.cases.registry import CaseType, all_types, get, register
from xinfang.core import clock, uploads
from xinfang.org.models import Role

from . import rules
from .choices import GO_AHEAD, Degree, HearingMethod, Recommendation, RiskLevel, Status
from .models import Assessment, AssessmentEvent, AssessmentUnit, CaseReference, FollowUp, Hearing, Risk
from .workflow import WORKFLOW

__all__ = ["TransitionError", "can_perform", "perform", "register_assessment"]

REGISTERING_ROLES = {Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD, Role.LEADER}


def _count(a: Act, name, label) -> int:
    value = a.require(name, label)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TransitionError(f"「{label}」应为整数。") from None
    if number < 0:
        raise TransitionError(f"「{label}」不能为负数。")
    return number


def _day(a: Act, name, label) -> date:
    value = a.params.get(name) or a.today
    if not isinstance(value, date):
        raise TransitionError(f"「{label}」应为日期。")
    if value > a.today:
        raise TransitionError(f"「{label}」不能晚于今天。")
    return value


# ---------------------------------------------------------------- one function per transition


def _set_plan(a: Act):
    m = a.case
    m.plan_text = a.require("plan_text", "评估方案（评估范围、方法、步骤和时间安排）")
    m.plan_on = a.today
    a.data["plan"] = m.plan_text


def _record_hearing(a: Act):
    """One hearing of views with its record: the file is kept with it (images or PDF)."""
    record = a.params.get("record")
    if record is None:
        raise TransitionError("请上传听取意见的记录材料（公示照片、问卷汇总、座谈或听证笔录）。")
    method = a.require_choice("method", "听取意见方式", HearingMethod)
    reached = _count(a, "reached", "覆盖人数")
    supported, objected = _count(a, "supported", "表示支持人数"), _count(a, "objected", "表示反对人数")
    if supported + objected > reached:
        raise TransitionError("表示支持和反对的人数之和不能超过覆盖人数。")
    record.method, record.reached, record.supported, record.objected = method, reached, supported, objected
    record.views = _count(a, "views", "收集意见条数")
    record.held_on = _day(a, "held_on", "听取意见日期")
    record.summary = a.require("summary", "主要意见")
    record.uploaded_by = a.actor
    a.add(record)
    a.data.update(method=method, reached=reached, supported=supported, objected=objected)


def _finish_hearing(a: Act):
    if not a.rows(Hearing):
        raise TransitionError("请至少记录一次听取意见（公示、问卷、走访、座谈或听证）。")


def _record_risk(a: Act):
    a.add(
        Risk(
            description=a.require("description", "风险点"),
            likelihood=a.require_choice("likelihood", "发生可能性", Degree),
            impact=a.require_choice("impact", "影响程度", Degree),
            mitigation=a.require("mitigation", "防范化解措施"),
        )
    )


ANALYSIS = {
    "legality": "合法性",
    "rationality": "合理性",
    "feasibility": "可行性",
    "controllability": "可控性",
}


def _finish_analysis(a: Act):
    m = a.case
    for name, label in ANALYSIS.items():
        setattr(m, name, a.require(name, f"{label}分析"))
    if not a.rows(Risk):
        raise TransitionError("请至少记录一个风险点（描述、可能性、影响程度、防范化解措施）。")
    a.data.update({name: getattr(m, name) for name in ANALYSIS})


def heard(hearings) -> tuple[int, int, int]:
    """(reached, supported, objected) over the hearings."""
    return (
        sum(h.reached for h in hearings),
        sum(h.supported for h in hearings),
        sum(h.objected for h in hearings),
    )


def _grade(a: Act):
    m = a.case
    m.risk_level = a.require_choice("risk_level", "风险等级", RiskLevel)
    m.level_basis = a.require("level_basis", "确定等级的依据")
    suggested = rules.suggested_level(*heard(a.rows(Hearing)))
    a.data.update(level=m.risk_level, suggested=suggested)


def _issue_report(a: Act):
    """The report with its recommendation goes to the deciding organ. A high risk with the
    recommendation to go ahead must say why."""
    m = a.case
    m.recommendation = a.require_choice("recommendation", "评估建议", Recommendation)
    m.mitigation = a.require("mitigation", "风险防范化解措施")
    m.emergency_plan = a.require("emergency_plan", "应急处置预案")
    reason = (a.params.get("go_ahead_reason") or "").strip()
    if rules.needs_reason(m.risk_level, m.recommendation) and not reason:
        raise TransitionError(
            "风险等级为高风险而建议实施（或调整后实施）的，须写明理由，并报决策机关审慎研究。"
        )
    m.go_ahead_reason = reason if rules.needs_reason(m.risk_level, m.recommendation) else ""
    m.report_on = a.today
    m.holder_unit = m.deciding_organ
    a.grant_access(m.deciding_organ)
    a.notify_units.append(m.deciding_organ)
    a.data.update(recommendation=m.recommendation, level=m.risk_level, reason=m.go_ahead_reason)


def _decide(a: Act):
    m = a.case
    m.decision = a.require_choice("decision", "决策结果", Recommendation)
    m.decision_note = a.require("note", "决策情况（决策文件、会议纪要）")
    m.decided_on = _day(a, "decided_on", "决策日期")
    if m.report_on and m.decided_on < m.report_on:
        raise TransitionError("决策日期不能早于评估报告日期。")
    m.against_recommendation = m.decision != m.recommendation
    m.holder_unit = m.assessing_unit
    a.target = Status.TRACKING if m.decision in GO_AHEAD else Status.CLOSED
    if a.target == Status.CLOSED:
        m.closed_on = a.today
    a.notify_units.append(m.assessing_unit)
    a.data.update(decision=m.decision, against=m.against_recommendation)


def _record_followup(a: Act):
    a.add(
        FollowUp(
            checked_on=_day(a, "checked_on", "跟踪日期"),
            findings=a.require("findings", "跟踪情况"),
        )
    )


def _close(a: Act):
    if not a.rows(FollowUp):
        raise TransitionError("请至少记录一次实施后的跟踪情况。")
    a.case.closed_on = a.today


APPLY = {
    "set_plan": _set_plan,
    "record_hearing": _record_hearing,
    "finish_hearing": _finish_hearing,
    "record_risk": _record_risk,
    "finish_analysis": _finish_analysis,
    "grade": _grade,
    "issue_report": _issue_report,
    "decide": _decide,
    "record_followup": _record_followup,
    "close": _close,
}

ASSESSMENT = register(
    CaseType(
        key="assessment",
        label="社会稳定风险评估",
        model=Assessment,
        event_model=AssessmentEvent,
        link_model=AssessmentUnit,
        case_field="assessment",
        workflow=WORKFLOW,
        apply=APPLY,
        select_related=("division", "holder_unit", "deciding_organ", "assessing_unit"),
        detail_url=lambda a: reverse("assessments:detail", args=[a.pk]),
    )
)

can_perform = engine.can_perform


# ---------------------------------------------------------------- the write path


def hearing_record(upload) -> Hearing:
    """An unsaved hearing holding its uploaded record (checked by content); the act fills it in.
    Its file is stored when the act is written."""
    return Hearing(file=upload, name=upload.name[:200], size=upload.size, content_type=uploads.sniff(upload))


@engine.atomic
def perform(assessment_id, actor, action, **kwargs) -> Assessment:
    """Run step `action` of an assessment. Raises TransitionError with a Chinese message."""
    return engine.perform(ASSESSMENT, assessment_id, actor, action, **kwargs).case


@engine.atomic
def register_assessment(actor, *, fields: dict, now=None, note="") -> Assessment:
    """Register a decision under assessment; the 评估主体 holds it, the deciding organ sees it."""
    if not (actor and actor.does_casework and actor.role in REGISTERING_ROLES):
        raise TransitionError("只有交办员、承办人、单位负责人和领导可以登记评估事项。")
    now = now or clock.now()
    organ, assessing = fields["deciding_organ"], fields["assessing_unit"]
    if not (actor.unit.is_within(assessing) or actor.unit.is_within(organ)):
        raise TransitionError("评估事项由评估主体或决策机关登记。")
    assessment = Assessment(
        **fields,
        registered_by=actor,
        registering_unit=actor.unit,
        holder_unit=assessing,
        policy_set=engine.policy_set_for(fields["division"]),
        step_started_on=timezone.localdate(now),
        status=Status.PLANNING,
    )
    engine.recompute_deadline(ASSESSMENT, assessment, timezone.localdate(now))
    act = engine.create(
        ASSESSMENT,
        assessment,
        actor,
        now=now,
        note=note,
        data={"type": assessment.decision_type},
        links=[assessing, organ],
        notify=() if actor.unit.is_within(assessing) else [assessing],
        notify_body=f"请对「{assessment.title}」开展社会稳定风险评估。",
    )
    return act.case


# ---------------------------------------------------------------- cases that arose afterwards


def linkable_types() -> list:
    """The case types an assessed decision can be linked to: every registered type but itself
    (petition matters now; disputes and others as their apps register with the kernel)."""
    return [t for t in all_types() if t.key != ASSESSMENT.key]


def find_case(key: str, text: str, user):
    """The case of type `key` named by `text` (its code or id) that `user` may see, or None."""
    try:
        case_type = get(key)
    except KeyError:
        return None
    model = case_type.model
    text = (text or "").strip()
    pk = None
    if hasattr(model, "pk_from_code"):
        pk = model.pk_from_code(text)
    if pk is None and text.isascii() and text.isdigit() and len(text) <= 18:
        pk = int(text)
    found = model.objects.visible_to(user)
    if pk is not None:
        return found.filter(pk=pk).first()
    code = "".join(c for c in text.upper() if c.isalnum())
    if code and any(f.name == "code" for f in model._meta.get_fields()):
        return found.filter(code=code).first()
    return None


@engine.atomic
def link_case(assessment_id, actor, key: str, text: str, *, now=None):
    """Record a petition or a dispute that arose after the decision was implemented."""
    if not (actor and actor.does_casework):
        raise TransitionError("您没有办理权限。")
    assessment = Assessment.objects.visible_to(actor).filter(pk=assessment_id).first()
    if assessment is None:
        raise TransitionError("该评估事项不在您的工作范围内。")
    if assessment.status not in {Status.TRACKING, Status.CLOSED}:
        raise TransitionError("决策实施后才能关联引发的信访事项或矛盾纠纷。")
    case = find_case(key, text, actor)
    if case is None:
        raise TransitionError("没有找到该编号对应的事项，或该事项不在您的工作范围内。")
    label = f"{case.display_code} {case.title}"[:250]

    def apply(a: Act):
        if any(r.case_type == key and r.case_id == case.pk for r in a.rows(CaseReference)):
            raise TransitionError("已关联过该事项。")
        a.add(CaseReference(case_type=key, case_id=case.pk, label=label, linked_on=a.today, linked_by=actor))
        a.data.update(case_type=key, case_id=case.pk)

    note = f"关联{get(key).label}：{label}"
    engine.record(ASSESSMENT, assessment.pk, actor, "link_case", now=now, note=note, apply=apply)
    return case


def in_bulk() -> bool:
    return current_session() is not None
