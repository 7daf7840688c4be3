"""The write path of petition matters, on the case kernel (xinfang/cases/engine.py).

`register_matter` creates a matter; `perform` runs any transition of workflow.TRANSITIONS. The
kernel locks the row, checks the transition table and the actor, calls the one function per
transition below (it decides the act: fields, notices, rows), moves the status, recomputes the
deadline, appends an event (history is never edited) and writes it all as one plan — through the
ORM, or in bulk inside `xinfang.cases.plan.bulk()` (the 台账 import, the demo, the loader).
"""

import functools
from datetime import date, time

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from xinfang.cases import engine
from xinfang.cases.engine import Act, StaleCase, TransitionError, grant_access
from xinfang.cases.registry import CaseType, register
from xinfang.cases.workflow import Transition
from xinfang.core import clock, uploads
from xinfang.core.dates import cn_date
from xinfang.core.models import Notification
from xinfang.core.words import index_words
from xinfang.deadlines.engine import ScheduleUnknown, compute_deadline
from xinfang.deadlines.service import current_calendar, policy
from xinfang.org.models import Role, Unit

from . import screening
from .choices import (
    DispatchKind,
    Nature,
    Rating,
    ReferralChannel,
    ReplyOutcome,
    Resolution,
    ReviewDecision,
    Status,
)
from .models import (
    MAX_REPRESENTATIVES,
    AccusedParty,
    Attachment,
    Matter,
    MatterEvent,
    MatterText,
    MatterUnit,
    Pause,
    Petitioner,
    format_tracking_code,
    id_number_hash,
    phone_hash,
)
from .promises import next_step
from .scoping import hidden_from, hidden_q
from .workflow import WORKFLOW

__all__ = ["StaleMatter", "TransitionError", "can_perform", "check_actor", "grant_access", "perform"]
__all__ += ["register_matter", "save_attachment", "sweep", "window_end"]

StaleMatter = StaleCase


def window_end(matter, step, start) -> date:
    return engine.deadline(step, start, matter).due


def _check_reviewer(user, matter):
    """While a review or re-review is under way, the unit whose decision is reviewed stands aside."""
    if matter.status in {Status.REVIEW_REQUESTED, Status.REREVIEW_REQUESTED}:
        reviewed = matter.handling_unit if matter.status == Status.REVIEW_REQUESTED else matter.review_unit
        if reviewed is not None and user.unit.is_within(reviewed):
            raise TransitionError(f"「{reviewed}」的决定正在被复查复核，本单位人员应当回避。")


# ---------------------------------------------------------------- one function per transition


def _dispatch_target(a: Act, unit=None) -> Unit:
    unit = a.params.get("unit") if unit is None else unit
    if not isinstance(unit, Unit):
        raise TransitionError("请选择承办单位。")
    if not unit.active:
        raise TransitionError(f"「{unit}」已停用，不能接收事项。")
    if a.case.holder_unit_id == unit.pk:
        raise TransitionError("不能转送、交办给本单位；本单位办理请选择「直接办理」。")
    m = a.case
    if m.nature == Nature.ACCUSATION and m.screened_at is None:
        raise TransitionError(f"检举控告事项须先由「{m.screening_unit}」核定被反映对象，才能转送、交办。")
    if hidden_from(m, unit, a.rows(AccusedParty)):
        raise TransitionError(
            "检举控告事项不得转送、交办给被检举控告的单位（《信访工作条例》第三十条、第四十六条）。"
        )
    return unit


def _give_to(a: Act, unit: Unit):
    a.case.holder_unit = unit
    a.grant_access(unit)
    a.notify_units.append(unit)


# ---------------------------------------------------------------- one function per transition


def _co_units(a: Act, lead: Unit) -> list[Unit]:
    """协办单位 named with a 交办/转送: each checked as the lead unit is; they see the matter (属事)
    and are told, while the lead unit holds it and answers."""
    units = list(a.params.get("co_units") or [])
    for unit in units:
        if unit.pk == lead.pk:
            raise TransitionError(f"「{unit}」已是承办单位，不能同时作为协办单位。")
        _dispatch_target(a, unit)
    return units


def _forward_or_assign(kind):
    def apply(a: Act):
        unit = _dispatch_target(a)
        co_units = _co_units(a, unit)
        m = a.case
        m.handling_unit, m.dispatch_kind, m.dispatched_on = unit, kind, a.today
        _give_to(a, unit)
        a.data["unit"] = unit.name
        for co in co_units:
            a.grant_access(co)
            a.notify_units.append(co)
        if co_units:
            a.data["co_units"] = [co.name for co in co_units]
        a.notify_other_side = lambda m: (
            f"您的信访事项已{DispatchKind(kind).label}至「{unit}」办理，{next_step(m)}。"
        )

    return apply


def _handle_directly(a: Act):
    m = a.case
    m.handling_unit, m.dispatch_kind = m.holder_unit, DispatchKind.DIRECT
    m.dispatched_on = m.accepted_on = a.today
    a.notify_other_side = lambda m: (
        f"您的信访事项已由「{m.holder_unit}」受理办理，{next_step(m, named=False)}。"
    )


def _refer(a: Act):
    channel = a.require_choice("referral_channel", "其他法定途径", ReferralChannel)
    a.require("note", "告知内容")
    a.case.referral_channel = channel
    a.case.closed_on = a.today
    a.data["channel"] = ReferralChannel(channel).label
    a.notify_other_side = (
        f"您反映的事项应当通过{ReferralChannel(channel).label}途径解决，信访部门不予受理，现书面告知：{a.note}"
        f"（书面告知书可凭查询码{format_tracking_code(a.case.code)}在网上信访下载）"
    )


def _not_accept(a: Act):
    a.require("note", "不予受理的理由")
    a.case.closed_on = a.today
    a.notify_other_side = f"您的信访事项不予受理。理由：{a.note}"


def _accept(a: Act):
    m = a.case
    m.accepted_on = a.today
    a.data["notice_required"] = not m.anonymous
    a.notify_other_side = lambda m: (
        f"您的信访事项已由「{m.holder_unit}」受理，{next_step(m, named=False)}；"
        f"可凭查询码{format_tracking_code(m.code)}查询办理进展。"
    )


def _dispute(a: Act):
    m = a.case
    a.require("note", "管辖异议的理由")
    limit = policy(m.policy_set)["jurisdiction_dispute"]
    if not _window_open(m.dispatched_on, a.today, limit):
        raise TransitionError(
            f"管辖异议应当在收到事项之日起{limit.label()}内提出，已超过期限（第二十三条）。"
        )
    bureau = _origin_bureau(a)
    m.handling_unit, m.dispatch_kind, m.dispatched_on = None, "", None
    m.holder_unit = bureau
    a.notify_units.append(bureau)


def _window_open(start: date, today: date, period) -> bool:
    """Whether an act due within `period` after `start` may still happen today.

    For working days this counts the working days already gone (fewer than N → still open), which
    needs only the calendar of past days, so it works even when the window's end would fall in a
    year whose holiday schedule has not been entered yet.
    """
    try:
        if not period.working:
            return today <= compute_deadline(start, period, current_calendar()).due
        last = date.fromordinal(today.toordinal() - 1)
        passed = current_calendar().working_days_in(date.fromordinal(start.toordinal() + 1), last)
    except ScheduleUnknown as exc:
        raise TransitionError(str(exc)) from exc
    return passed < period.days


def _origin_bureau(a: Act) -> Unit:
    """The bureau that dispatched the matter (the last dispatch event's actor unit)."""
    dispatches = [e for e in a.rows(MatterEvent) if e.action in {"forward", "assign"}]
    last = max(dispatches, key=lambda e: e.at, default=None)
    return last.actor_unit if last and last.actor_unit else a.case.registering_unit


def _extend(a: Act):
    m = a.case
    days = int(a.require("days", "延长天数"))
    a.require("note", "延期理由")
    limit = policy(m.policy_set)["extension_max"]
    if days <= 0 or m.extension_days + days > limit.days:
        raise TransitionError(
            f"延长办理期限最多{limit.label()}（第三十四条），已延长{m.extension_days}日，本次最多还能延长{limit.days - m.extension_days}日。"
        )
    if m.due_date and a.today > m.due_date:
        raise TransitionError("办理期限已届满，不能再申请延期。")
    m.extension_days += days
    m.extension_reason = a.note
    a.data["days"] = days
    note = a.note
    a.notify_other_side = lambda m: f"您的信访事项办理期限延长{days}日，{next_step(m)}。延期理由：{note}"


def _open_hearing(a: Act):
    return next((p for p in a.rows(Pause) if p.step == a.case.due_step and p.last is None), None)


def _refuse_during_hearing(a: Act):
    if _open_hearing(a) is not None:
        raise TransitionError("听证尚未结束，请先记录「听证结束」。")


def _submit_reply(a: Act):
    m = a.case
    _refuse_during_hearing(a)
    m.reply_outcome = a.require_choice("outcome", "处理意见", ReplyOutcome)
    m.resolution = a.require_choice("resolution", "化解方式（四个到位）", Resolution)
    m.reply_text = a.require("text", "处理意见书正文")
    m.reply_basis = a.require("basis", "法律政策依据")
    a.data.update(outcome=m.reply_outcome, resolution=m.resolution)
    a.notify_units.append(m.holder_unit)


def _return_reply(a: Act):
    a.require("note", "退回理由")


def _approve_reply(a: Act):
    m = a.case
    delivered = a.params.get("delivered_on") or a.today
    if delivered < m.accepted_on or delivered > a.today:
        raise TransitionError("送达日期不能早于受理日期，也不能晚于今天。")
    m.reply_delivered_on = delivered
    m.rating, m.rated_on = "", None
    m.rating_due = window_end(m, "rating", delivered)
    m.review_unit = m.handling_unit.parent
    m.holder_unit = m.registering_unit
    a.data.update(
        outcome=m.reply_outcome,
        resolution=m.resolution,
        text=m.reply_text,
        basis=m.reply_basis,
        delivered_on=str(delivered),
    )
    a.step_start = delivered
    a.notify_other_side = lambda m: (
        f"您的信访事项已作出处理意见（{ReplyOutcome(m.reply_outcome).label}），请查阅处理意见书并评价。"
        f"{next_step(m)}（向「{m.review_unit}」提出）。"
    )


def _rate(a: Act):
    m = a.case
    if m.rating:
        raise TransitionError("该答复已评价，不能重复评价。")
    end = window_end(m, "rating", m.reply_delivered_on)
    if a.today > end:
        raise TransitionError(f"评价期限已于{cn_date(end)}届满。")
    m.rating = a.require_choice("rating", "评价", Rating)
    m.rated_on = a.today
    a.data["rating"] = m.rating
    if m.rating == Rating.UNSATISFIED:
        _start_visit(a)


def _start_visit(a: Act):
    """不满意 starts a 回访: the handling unit is told why, to visit the petitioner and record it
    as a 化解措施 (回访) on the matter."""
    m = a.case
    a.data["visit"] = True
    why = f"原因：{a.note}" if a.note else "未说明原因"
    a.notify_units.append(m.handling_unit)
    a.notice = (
        "visit",
        f"信访人对事项「{m.title}」（{m.display_code}）的处理意见不满意（{why}），"
        "请及时回访，并在事项页面记录回访情况。",
    )


def _request_review(a: Act):
    m = a.case
    end = window_end(m, "review_request", m.reply_delivered_on)
    if a.today > end:
        raise TransitionError(
            f"复查申请应当自收到处理意见书之日起30日内提出（截至{cn_date(end)}），已超过期限（第三十五条）。"
        )
    if m.review_unit is None:
        raise TransitionError("承办单位没有上一级机关，无法申请复查。")
    m.review_requested_on = a.today
    m.holder_unit = m.review_unit
    _give_to(a, m.review_unit)
    a.notify_other_side = lambda m: f"您的复查申请已由「{m.review_unit}」收到，{next_step(m)}。"


def _decide(a: Act, prefix: str):
    m = a.case
    _refuse_during_hearing(a)
    decision = a.require_choice(
        "decision", "复查复核意见" if prefix == "review" else "复核意见", ReviewDecision
    )
    a.require("note", "意见书正文")
    setattr(m, f"{prefix}_decision", decision)
    setattr(m, f"{prefix}_decided_on", a.today)
    a.data["decision"] = decision
    label = "复查" if prefix == "review" else "复核"
    if decision == ReviewDecision.REDO:
        a.target = Status.HANDLING
        m.accepted_on, m.extension_days, m.extension_reason = a.today, 0, ""
        m.holder_unit = m.handling_unit
        a.notify_units.append(m.handling_unit)
        a.notify_other_side = lambda m: (
            f"{label}机关责令「{m.handling_unit}」重新办理您的信访事项，{next_step(m)}。"
        )
    else:
        note = a.note
        a.notify_other_side = lambda m: "".join(
            [f"您的{label}申请已作出{label}意见：{ReviewDecision(decision).label}原处理意见。{note}"]
            + ([f"{next_step(m)}。"] if next_step(m) else [])
        )


def _decide_review(a: Act):
    _decide(a, "review")
    m = a.case
    if a.target is None:
        m.rereview_unit = m.review_unit.parent
        m.holder_unit = m.registering_unit


def _request_rereview(a: Act):
    m = a.case
    end = window_end(m, "rereview_request", m.review_decided_on)
    if a.today > end:
        raise TransitionError(
            f"复核申请应当自收到复查意见之日起30日内提出（截至{cn_date(end)}），已超过期限（第三十六条）。"
        )
    if m.rereview_unit is None:
        raise TransitionError("复查机关没有上一级机关，无法申请复核。")
    m.rereview_requested_on = a.today
    m.holder_unit = m.rereview_unit
    _give_to(a, m.rereview_unit)
    a.notify_other_side = lambda m: (
        f"您的复核申请已由「{m.rereview_unit}」收到，{next_step(m)}（听证时间不计入）。"
    )


def _start_hearing(a: Act):
    m = a.case
    if _open_hearing(a) is not None:
        raise TransitionError("听证正在进行中。")
    a.add(Pause(step=m.due_step, first=a.today, reason=a.note or "听证"))


def _end_hearing(a: Act):
    pause = _open_hearing(a)
    if pause is None:
        raise TransitionError("没有正在进行的听证。")
    pause.last = a.today
    a.change(pause, ["last"])
    a.data["paused_days"] = (pause.last - pause.first).days + 1


def _decide_rereview(a: Act):
    _decide(a, "rereview")
    if a.target is None:
        a.target = Status.CLOSED
        a.case.closed_on = a.today
        a.case.holder_unit = a.case.registering_unit


def _close(a: Act):
    m = a.case
    if m.due_date and a.today <= m.due_date:
        raise TransitionError(f"申请期限至{cn_date(m.due_date)}才届满，届满前不能办结。")
    m.closed_on = a.today


def _withdraw(a: Act):
    a.require("note", "撤回说明")
    a.case.closed_on = a.today


APPLY = {
    "forward": _forward_or_assign(DispatchKind.FORWARD),
    "assign": _forward_or_assign(DispatchKind.ASSIGN),
    "handle_directly": _handle_directly,
    "refer": _refer,
    "not_accept": _not_accept,
    "accept": _accept,
    "dispute": _dispute,
    "extend": _extend,
    "submit_reply": _submit_reply,
    "return_reply": _return_reply,
    "approve_reply": _approve_reply,
    "rate": _rate,
    "request_review": _request_review,
    "decide_review": _decide_review,
    "request_rereview": _request_rereview,
    "start_hearing": _start_hearing,
    "end_hearing": _end_hearing,
    "decide_rereview": _decide_rereview,
    "close": _close,
    "withdraw": _withdraw,
}


def _petitioner_notices(a: Act, t: Transition | None) -> list:
    m = a.case
    if m.anonymous:
        return []
    kind = t.name if t else a.event.action
    label = t.label if t else WORKFLOW.other_labels.get(kind, "办理情况")
    # Words that name a date are a function of the matter, called once its deadline is recomputed.
    body = a.notify_other_side(m) if callable(a.notify_other_side) else a.notify_other_side
    return [
        Notification(
            matter=m,
            audience=Notification.Audience.PETITIONER,
            recipient_contact=p.phone or p.address,
            kind=kind,
            subject=f"信访事项{label}告知",
            body=body,
        )
        for p in a.rows(Petitioner)
        if p.phone or p.address
    ]


# The steps of this level's own handling, which a date set by the level above also governs (the
# petitioner's windows and the review steps are not this level's handling of the upper matter).
UPPER_GOVERNED_STEPS = {"dispatch", "acceptance", "handling"}


def _upper_due(matter, step, due) -> date:
    """The earlier of the step's own due date and the date the level above requires (上级要求办结
    日期): lights, 催办 and 督办 all read the result."""
    if matter.upper_due_date and step in UPPER_GOVERNED_STEPS:
        return min(due, matter.upper_due_date)
    return due


MATTER = register(
    CaseType(
        key="matter",
        label="信访事项",
        model=Matter,
        event_model=MatterEvent,
        link_model=MatterUnit,
        case_field="matter",
        workflow=WORKFLOW,
        apply=APPLY,
        hidden_q=hidden_q,
        select_related=("division", "holder_unit", "handling_unit", "registering_unit", "review_unit"),
        other_side_notices=_petitioner_notices,
        check_reviewer=_check_reviewer,
        pause_model=Pause,
        notification_field="matter",
        detail_url=lambda matter: reverse("petitions:detail", args=[matter.pk]),
        cap_due=_upper_due,
    )
)


# ---------------------------------------------------------------- the write path


def check_actor(user, matter, t: Transition, *, visible=None):
    engine.check_actor(MATTER, user, matter, t, visible=visible)


can_perform = engine.can_perform


@engine.atomic
def perform(matter_id, actor, action, *, files=(), uploaded_by=None, **kwargs) -> Matter:
    """Run transition `action` on a matter. Raises TransitionError with a Chinese message.
    `uploaded_by`: who is recorded as uploading `files` when the actor is the system (the portal)."""
    act = engine.perform(MATTER, matter_id, actor, action, **kwargs)
    for f in files:
        save_attachment(act.case, f, uploaded_by or actor, act.event)
    return act.case


def is_final(matter) -> bool:
    """A matter that went through re-review and closed: filing it again is 不再受理 (art. 36)."""
    return bool(matter.rereview_decided_on and matter.status == Status.CLOSED)


@engine.atomic
def link_repeat(matter_id, actor, original, *, now=None) -> Matter:
    """Record that a matter repeats an earlier one (重复信访). Not a transition: the status and the
    deadline stay; the link, and 不再受理 when the earlier matter completed re-review, are recorded
    with an internal event."""
    final = is_final(original)

    def apply(a: Act):
        matter = a.case
        if original.pk == matter.pk:
            raise TransitionError("不能把事项标记为它自己的重复信访。")
        if (original.received_at, original.pk) > (matter.received_at, matter.pk):
            raise TransitionError(f"{original.display_code}晚于本事项收到，请在较晚的事项上标记重复信访。")
        if original.repeat_of_id == matter.pk:
            raise TransitionError(f"{original.display_code}已标记为本事项的重复信访，不能互相标记。")
        if matter.repeat_of_id == original.pk:
            raise TransitionError(f"本事项已标记为{original.display_code}的重复信访。")
        matter.repeat_of, matter.finality_flag = original, matter.finality_flag or final

    note = f"重复信访，原事项{original.display_code}。"
    if final:
        note += "原事项已经复核终结，以同一事实和理由再次提出的，不再受理（第三十六条）。"
    act = engine.record(
        MATTER,
        matter_id,
        actor,
        "link_repeat",
        now=now,
        note=note,
        data={"repeat_of": original.pk},
        apply=apply,
    )
    return act.case


def save_attachment(matter, upload, actor, event=None) -> Attachment:
    """Store an uploaded file on a matter (with the event it came with, if any). The one place
    attachments are saved: only images and PDF files, judged by content (the forms say so first);
    the type recorded is the one found, not the browser's. Raises ValidationError."""
    return Attachment.objects.create(
        matter=matter,
        event=event,
        file=upload,
        name=upload.name[:200],
        size=upload.size,
        content_type=uploads.sniff(upload),
        uploaded_by=actor,
    )


# ---------------------------------------------------------------- registration


def check_registrar(actor):
    """Who may register matters, on the page, by API or by 台账 import."""
    if not (actor and actor.does_casework and actor.role in {Role.REGISTRAR, Role.DISPATCHER}):
        raise TransitionError("只有登记员、交办员可以登记信访事项。")
    if not actor.unit.is_territorial:
        raise TransitionError("信访事项应当由信访部门或属地党委政府登记。")


def petitioner_row(values: dict) -> Petitioner:
    """An unsaved petitioner with its search hashes (a bulk write does not call save())."""
    person = Petitioner(**values)
    person.id_number_hash = id_number_hash(person.id_number)
    person.phone_hash = phone_hash(person.phone)
    return person


@engine.atomic
def register_matter(actor, *, fields: dict, petitioners: list[dict], files=(), now=None, note="", data=None):
    """Register a new matter at the actor's unit (a petition bureau or any territorial unit)."""
    check_registrar(actor)
    now = now or clock.now()
    fields = dict(fields)
    if not petitioners and not fields.get("anonymous"):
        raise TransitionError("请至少填写一名信访人；姓名地址不详的，请勾选「姓名地址不详」。")
    is_collective = bool(fields.get("is_collective"))
    headcount = int(fields.get("headcount") or max(1, len(petitioners)))
    if is_collective:
        if len(petitioners) > MAX_REPRESENTATIVES:
            raise TransitionError(
                f"集体访推选的代表不得超过{MAX_REPRESENTATIVES}人（《信访工作条例》第二十条），当前填写了{len(petitioners)}人。"
            )
        if headcount < len(petitioners):
            raise TransitionError("集体访人数不能少于代表人数。")
    elif headcount < len(petitioners):
        headcount = len(petitioners)
    fields["headcount"] = headcount
    complained = fields.get("complained_unit")
    if fields.get("nature") == Nature.ACCUSATION and complained and actor.unit.is_within(complained):
        raise TransitionError("您所在单位是被检举控告的单位，应当回避，请交由其他工作人员登记。")

    repeat_of = fields.get("repeat_of")
    final = bool(repeat_of and is_final(repeat_of))
    matter = new_matter(actor, fields, now, final=final)
    if final:
        note = f"该事项已经复核终结（见{repeat_of.display_code}），以同一事实和理由再次提出，不再受理（第三十六条）。"
    act = engine.create(
        MATTER,
        matter,
        actor,
        now=now,
        rows=[petitioner_row(p) for p in petitioners] + [matter_text(matter)],
        note=note,
        data={
            "channel": matter.channel,
            "repeat_of": repeat_of.pk if repeat_of else None,
            **({"due": matter.due_date.isoformat()} if matter.due_date else {}),
            **(data or {}),
        },
        links=[matter.screening_unit] if matter.screening_unit_id else [],
        notify_other_side="" if final else registered_notice,
    )
    for f in files:
        save_attachment(matter, f, actor, act.event)
    return matter


def registered_notice(m: Matter) -> str:
    """The message at registration: the 查询码 and by when the next step is due."""
    return f"您的信访事项已登记，查询码{format_tracking_code(m.code)}。{next_step(m)}。"


def matter_text(matter) -> MatterText:
    """The words of a new matter for the full-text index (search.py), written with it."""
    return MatterText(words=index_words(matter.title, matter.content))


def new_matter(actor, fields: dict, now, *, final=False) -> Matter:
    """An unsaved matter registered at the actor's unit, with its first deadline."""
    matter = _build_matter(
        {
            **fields,
            "registered_by": actor,
            "registering_unit": actor.unit,
            "holder_unit": actor.unit,
            "policy_set": _policy_set_for(fields["division"]),
            "finality_flag": final,
            "step_started_on": timezone.localdate(fields.get("received_at") or now),
        }
    )
    screening.prepare(matter)
    if final:
        matter.status = Status.NOT_ACCEPTED
        matter.closed_on = timezone.localdate(now)
    else:
        engine.recompute_deadline(MATTER, matter, timezone.localdate(now))
    return matter


@functools.cache
def _matter_columns():
    return [
        (f, f.default if f.has_default() and not callable(f.default) else None)
        for f in Matter._meta.concrete_fields
    ]


def _build_matter(values: dict) -> Matter:
    """Matter(**values), through the positional path Django uses for rows read from the database:
    the keyword path checks and defaults each of 60 fields one by one, which was a quarter of a 台账
    import's time. Related objects given by field name are attached as if assigned."""
    args, related, used = [], [], 0
    for f, static_default in _matter_columns():
        if f.name in values:
            used += 1
            value = values[f.name]
            if f.is_relation and value is not None:
                related.append((f, value))
                value = value.pk
        else:
            value = f.get_default() if static_default is None else static_default
        args.append(value)
    if used != len(values):
        unknown = values.keys() - {f.name for f, _ in _matter_columns()}
        raise TypeError(f"Matter has no field(s) {sorted(unknown)}")
    matter = Matter(*args)
    for f, obj in related:
        f.set_cached_value(matter, obj)
    return matter


def _policy_set_for(division) -> str:
    """The jurisdiction's deadline rules: the division's own set, else the deployment default."""
    return division.effective_policy_set() or settings.XINFANG_POLICY_SET


def sweep(today: date | None = None) -> dict:
    """The kernel's sweeper over matters (see xinfang/cases/sweeper.py)."""
    from xinfang.cases.sweeper import sweep as sweep_cases

    now = clock.now() if today is None else clock.local_datetime(today, time(12))
    return sweep_cases(MATTER, now)
