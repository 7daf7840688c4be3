"""The one write path for matters.

`register_matter` creates a matter; `perform` runs any transition of workflow.TRANSITIONS. Both:
lock the row, check the transition table and the actor's permission, apply one small function per
transition, append an event (history is never edited), recompute the deadline, and write
notifications to the outbox that the worker delivers after commit.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xinfang.audit import api as audit
from xinfang.core import clock, uploads
from xinfang.core.models import Notification
from xinfang.deadlines.engine import ScheduleUnknown, compute_deadline
from xinfang.deadlines.policies import STEPS
from xinfang.deadlines.service import current_calendar, deadline_for, policy
from xinfang.org.models import Role, Unit, User

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
    Attachment,
    Matter,
    MatterEvent,
    MatterUnit,
    Pause,
    Petitioner,
    format_tracking_code,
)
from .scoping import can_see, hidden_from
from .workflow import PETITIONER_WINDOWS, STEP_OF_STATUS, TRANSITIONS, Transition, completed_step, step_of

# Staff of a unit who are told when a matter arrives or a deadline nears.
NOTIFIED_ROLES = [Role.HANDLER, Role.UNIT_HEAD, Role.DISPATCHER]


class TransitionError(Exception):
    """A refused action, with a message for the user in Chinese."""


class StaleMatter(TransitionError):
    def __init__(self):
        super().__init__("该事项已被他人更新，请刷新页面查看最新情况后重试。")


# ---------------------------------------------------------------- permission


def can_perform(user, matter, transition: Transition, *, visible=None) -> bool:
    """`visible`: pass True when the matter was already fetched through visible_to(user)."""
    try:
        check_actor(user, matter, transition, visible=visible)
    except TransitionError:
        return False
    return matter.status in transition.sources


def check_actor(user, matter, t: Transition, *, visible=None):
    if not (user and user.is_authenticated and user.does_casework):
        raise TransitionError("您没有办理信访事项的权限。")
    if t.roles and user.role not in t.roles:
        roles = "、".join(Role(r).label for r in sorted(t.roles))
        raise TransitionError(f"「{t.label}」只能由{roles}办理。")
    if visible is None:
        visible = can_see(user, matter)
    if not visible:
        raise TransitionError("该事项不在您的工作范围内。")
    unit = user.unit
    if t.actor in {"holder", "reviewer"} and not unit.is_within(matter.holder_unit):
        raise TransitionError(f"该事项目前由「{matter.holder_unit}」办理，您所在单位不能进行此操作。")
    if t.actor == "reviewer" and matter.status in {Status.REVIEW_REQUESTED, Status.REREVIEW_REQUESTED}:
        reviewed = matter.handling_unit if matter.status == Status.REVIEW_REQUESTED else matter.review_unit
        if reviewed is not None and unit.is_within(reviewed):
            raise TransitionError(f"「{reviewed}」的决定正在被复查复核，本单位人员应当回避。")


# ---------------------------------------------------------------- helpers


@dataclass
class Step:
    """What one transition function decided, applied by `perform`."""

    matter: Matter
    actor: User
    now: datetime
    params: dict
    note: str = ""
    target: str | None = None
    data: dict = field(default_factory=dict)
    link_units: list = field(default_factory=list)
    notify_petitioner: str = ""  # body of a notice to the petitioner, if any
    notify_staff_units: list = field(default_factory=list)
    step_start: date | None = None  # first day of the status's new period (default: today)

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    def require(self, name, label):
        value = self.params.get(name)
        if value in (None, "", []):
            raise TransitionError(f"请填写「{label}」。")
        return value

    def require_choice(self, name, label, choices):
        value = self.require(name, label)
        if value not in choices.values:
            raise TransitionError(f"「{label}」的取值不正确。")
        return value


def _deadline(step, start, matter, **kw):
    try:
        return deadline_for(step, start, matter.policy_set, **kw)
    except ScheduleUnknown as exc:
        raise TransitionError(str(exc)) from exc


def window_end(matter, step, start) -> date:
    return _deadline(step, start, matter).due


# Hearing (听证) time is not counted: art. 36 for re-review; local hearing rules for handling and
# review.
PAUSABLE_STEPS = {"handling", "review_decision", "rereview_decision"}


def recompute_deadline(matter, today: date):
    """Set due_step/due_date/warn_date from the status, its start day, extension and pauses."""
    step = STEP_OF_STATUS.get(matter.status)
    if step is None:
        matter.due_step, matter.due_date, matter.warn_date = "", None, None
        matter.due_provisional = matter.clock_paused = False
        return
    pauses = []
    if step in PAUSABLE_STEPS and matter.pk is not None:
        pauses = [
            (p.first, p.last) for p in matter.pauses.filter(step=step, first__gte=matter.step_started_on)
        ]
    extension = matter.extension_days if step == "handling" else 0
    counted = [(first, last or max(today, first)) for first, last in pauses]
    d = _deadline(step, matter.step_started_on, matter, extension_days=extension, pauses=counted)
    matter.due_step, matter.due_date, matter.warn_date = step, d.due, d.warn_from
    matter.due_provisional = d.provisional
    matter.clock_paused = any(last is None for _, last in pauses)


def _dispatch_target(s: Step) -> Unit:
    unit = s.params.get("unit")
    if not isinstance(unit, Unit):
        raise TransitionError("请选择承办单位。")
    if not unit.active:
        raise TransitionError(f"「{unit}」已停用，不能接收事项。")
    if s.matter.holder_unit_id == unit.pk:
        raise TransitionError("不能转送、交办给本单位；本单位办理请选择「直接办理」。")
    m = s.matter
    if m.nature == Nature.ACCUSATION and m.screened_at is None:
        raise TransitionError(f"检举控告事项须先由「{m.screening_unit}」核定被反映对象，才能转送、交办。")
    if hidden_from(m, unit):
        raise TransitionError(
            "检举控告事项不得转送、交办给被检举控告的单位（《信访工作条例》第三十条、第四十六条）。"
        )
    return unit


def _give_to(s: Step, unit: Unit):
    s.matter.holder_unit = unit
    s.link_units.append(unit)
    s.notify_staff_units.append(unit)


# ---------------------------------------------------------------- one function per transition


def _forward_or_assign(kind):
    def apply(s: Step):
        unit = _dispatch_target(s)
        m = s.matter
        m.handling_unit, m.dispatch_kind, m.dispatched_on = unit, kind, s.today
        _give_to(s, unit)
        s.data["unit"] = unit.name
        s.notify_petitioner = f"您的信访事项已{DispatchKind(kind).label}至「{unit}」办理。"

    return apply


def _handle_directly(s: Step):
    m = s.matter
    m.handling_unit, m.dispatch_kind = m.holder_unit, DispatchKind.DIRECT
    m.dispatched_on = m.accepted_on = s.today
    s.notify_petitioner = f"您的信访事项已由「{m.holder_unit}」受理办理。"


def _refer(s: Step):
    channel = s.require_choice("referral_channel", "其他法定途径", ReferralChannel)
    s.require("note", "告知内容")
    s.matter.referral_channel = channel
    s.matter.closed_on = s.today
    s.data["channel"] = ReferralChannel(channel).label
    s.notify_petitioner = f"您反映的事项应当通过{ReferralChannel(channel).label}途径解决，信访部门不予受理，现书面告知：{s.note}"


def _not_accept(s: Step):
    s.require("note", "不予受理的理由")
    s.matter.closed_on = s.today
    s.notify_petitioner = f"您的信访事项不予受理。理由：{s.note}"


def _accept(s: Step):
    m = s.matter
    m.accepted_on = s.today
    s.data["notice_required"] = not m.anonymous
    handling = policy(m.policy_set)["handling"]
    s.notify_petitioner = (
        f"您的信访事项已由「{m.holder_unit}」受理，将在{handling.label()}内办结并书面答复；"
        f"可凭查询码{format_tracking_code(m.code)}查询办理进展。"
    )


def _dispute(s: Step):
    m = s.matter
    s.require("note", "管辖异议的理由")
    limit = policy(m.policy_set)["jurisdiction_dispute"]
    if not _window_open(m.dispatched_on, s.today, limit):
        raise TransitionError(
            f"管辖异议应当在收到事项之日起{limit.label()}内提出，已超过期限（第二十三条）。"
        )
    bureau = _origin_bureau(m)
    m.handling_unit, m.dispatch_kind, m.dispatched_on = None, "", None
    m.holder_unit = bureau
    s.notify_staff_units.append(bureau)


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


def _origin_bureau(m) -> Unit:
    """The bureau that dispatched the matter (the last dispatch event's actor unit)."""
    last = m.events.filter(action__in=["forward", "assign"]).order_by("-at", "-id").first()
    return last.actor_unit if last and last.actor_unit else m.registering_unit


def _extend(s: Step):
    m = s.matter
    days = int(s.require("days", "延长天数"))
    s.require("note", "延期理由")
    limit = policy(m.policy_set)["extension_max"]
    if days <= 0 or m.extension_days + days > limit.days:
        raise TransitionError(
            f"延长办理期限最多{limit.label()}（第三十四条），已延长{m.extension_days}日，本次最多还能延长{limit.days - m.extension_days}日。"
        )
    if m.due_date and s.today > m.due_date:
        raise TransitionError("办理期限已届满，不能再申请延期。")
    m.extension_days += days
    m.extension_reason = s.note
    s.data["days"] = days
    s.notify_petitioner = f"您的信访事项办理期限延长{days}日。延期理由：{s.note}"


def _refuse_during_hearing(m):
    if m.pauses.filter(step=m.due_step, last__isnull=True).exists():
        raise TransitionError("听证尚未结束，请先记录「听证结束」。")


def _submit_reply(s: Step):
    m = s.matter
    _refuse_during_hearing(m)
    m.reply_outcome = s.require_choice("outcome", "处理意见", ReplyOutcome)
    m.resolution = s.require_choice("resolution", "化解方式（四个到位）", Resolution)
    m.reply_text = s.require("text", "处理意见书正文")
    m.reply_basis = s.require("basis", "法律政策依据")
    s.data.update(outcome=m.reply_outcome, resolution=m.resolution)
    s.notify_staff_units.append(m.holder_unit)


def _return_reply(s: Step):
    s.require("note", "退回理由")


def _approve_reply(s: Step):
    m = s.matter
    delivered = s.params.get("delivered_on") or s.today
    if delivered < m.accepted_on or delivered > s.today:
        raise TransitionError("送达日期不能早于受理日期，也不能晚于今天。")
    m.reply_delivered_on = delivered
    m.rating, m.rated_on = "", None
    m.rating_due = window_end(m, "rating", delivered)
    m.review_unit = m.handling_unit.parent
    m.holder_unit = m.registering_unit
    s.data.update(
        outcome=m.reply_outcome,
        resolution=m.resolution,
        text=m.reply_text,
        basis=m.reply_basis,
        delivered_on=str(delivered),
    )
    s.step_start = delivered
    window = policy(m.policy_set)["review_request"]
    s.notify_petitioner = (
        f"您的信访事项已作出处理意见（{ReplyOutcome(m.reply_outcome).label}），请查阅处理意见书并评价。"
        f"如不服，可自收到之日起{window.label()}内向上一级机关申请复查。"
    )


def _rate(s: Step):
    m = s.matter
    if m.rating:
        raise TransitionError("该答复已评价，不能重复评价。")
    end = window_end(m, "rating", m.reply_delivered_on)
    if s.today > end:
        raise TransitionError(f"评价期限已于{end:%Y年%m月%d日}届满。")
    m.rating = s.require_choice("rating", "评价", Rating)
    m.rated_on = s.today
    s.data["rating"] = m.rating


def _request_review(s: Step):
    m = s.matter
    end = window_end(m, "review_request", m.reply_delivered_on)
    if s.today > end:
        raise TransitionError(
            f"复查申请应当自收到处理意见书之日起30日内提出（截至{end:%Y年%m月%d日}），已超过期限（第三十五条）。"
        )
    if m.review_unit is None:
        raise TransitionError("承办单位没有上一级机关，无法申请复查。")
    m.review_requested_on = s.today
    m.holder_unit = m.review_unit
    _give_to(s, m.review_unit)
    s.notify_petitioner = f"您的复查申请已由「{m.review_unit}」收到，将在30日内作出复查意见。"


def _decide(s: Step, prefix: str):
    m = s.matter
    _refuse_during_hearing(m)
    decision = s.require_choice(
        "decision", "复查复核意见" if prefix == "review" else "复核意见", ReviewDecision
    )
    s.require("note", "意见书正文")
    setattr(m, f"{prefix}_decision", decision)
    setattr(m, f"{prefix}_decided_on", s.today)
    s.data["decision"] = decision
    label = "复查" if prefix == "review" else "复核"
    if decision == ReviewDecision.REDO:
        s.target = Status.HANDLING
        m.accepted_on, m.extension_days, m.extension_reason = s.today, 0, ""
        m.holder_unit = m.handling_unit
        s.notify_staff_units.append(m.handling_unit)
        s.notify_petitioner = f"{label}机关责令「{m.handling_unit}」重新办理您的信访事项。"
    else:
        s.notify_petitioner = (
            f"您的{label}申请已作出{label}意见：{ReviewDecision(decision).label}原处理意见。{s.note}"
        )


def _decide_review(s: Step):
    _decide(s, "review")
    m = s.matter
    if s.target is None:
        m.rereview_unit = m.review_unit.parent
        m.holder_unit = m.registering_unit


def _request_rereview(s: Step):
    m = s.matter
    end = window_end(m, "rereview_request", m.review_decided_on)
    if s.today > end:
        raise TransitionError(
            f"复核申请应当自收到复查意见之日起30日内提出（截至{end:%Y年%m月%d日}），已超过期限（第三十六条）。"
        )
    if m.rereview_unit is None:
        raise TransitionError("复查机关没有上一级机关，无法申请复核。")
    m.rereview_requested_on = s.today
    m.holder_unit = m.rereview_unit
    _give_to(s, m.rereview_unit)
    s.notify_petitioner = (
        f"您的复核申请已由「{m.rereview_unit}」收到，将在30日内作出复核意见（听证时间不计入）。"
    )


def _start_hearing(s: Step):
    m = s.matter
    if m.pauses.filter(step=m.due_step, last__isnull=True).exists():
        raise TransitionError("听证正在进行中。")
    Pause.objects.create(matter=m, step=m.due_step, first=s.today, reason=s.note or "听证")


def _end_hearing(s: Step):
    pause = s.matter.pauses.filter(step=s.matter.due_step, last__isnull=True).first()
    if pause is None:
        raise TransitionError("没有正在进行的听证。")
    pause.last = s.today
    pause.save(update_fields=["last"])
    s.data["paused_days"] = (pause.last - pause.first).days + 1


def _decide_rereview(s: Step):
    _decide(s, "rereview")
    if s.target is None:
        s.target = Status.CLOSED
        s.matter.closed_on = s.today
        s.matter.holder_unit = s.matter.registering_unit


def _close(s: Step):
    m = s.matter
    if m.due_date and s.today <= m.due_date:
        raise TransitionError(f"申请期限至{m.due_date:%Y年%m月%d日}才届满，届满前不能办结。")
    m.closed_on = s.today


def _withdraw(s: Step):
    s.require("note", "撤回说明")
    s.matter.closed_on = s.today


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
assert set(APPLY) == set(TRANSITIONS), "every transition needs exactly one service function"

# Transitions that leave their status unchanged but start a new period.
RESTARTING = {"extend", "start_hearing", "end_hearing"}


# ---------------------------------------------------------------- the write path


@transaction.atomic
def perform(
    matter_id, actor, action, *, expected_version=None, now=None, note="", files=(), system=False, **params
):
    """Run transition `action` on a matter. Raises TransitionError with a Chinese message."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise TransitionError("未知的操作。")
    now = now or clock.now()
    matter = (
        Matter.objects.select_for_update(of=("self",))
        .select_related("division", "holder_unit", "handling_unit", "registering_unit", "review_unit")
        .get(pk=matter_id)
    )
    if expected_version is not None and int(expected_version) != matter.version:
        raise StaleMatter()
    if matter.status not in t.sources:
        raise TransitionError(f"事项当前状态为「{matter.get_status_display()}」，不能「{t.label}」。")
    if not system:
        check_actor(actor, matter, t)
    step = Step(matter=matter, actor=actor, now=now, params=params, note=(note or "").strip())
    step.params["note"] = step.note
    step.step_start = step.today
    from_status, old_due, holder_before = matter.status, matter.due_date, matter.holder_unit
    APPLY[action](step)
    target = step.target or (t.targets[0] if t.targets[0] is not None else from_status)
    if target not in t.targets and not (None in t.targets and target == from_status):
        raise TransitionError("该操作不能使事项进入此状态。")

    matter.status = target
    # A new step starts a new period; moving within a step (reply submitted for approval, or
    # returned for changes) keeps the step's deadline and reminders.
    if step_of(target) != step_of(from_status):
        matter.step_started_on = step.step_start
        matter.reminded_level = 0
    if target != from_status or action in RESTARTING:
        recompute_deadline(matter, step.today)
    done = completed_step(t, from_status, target)
    on_time = step.today <= old_due if done and old_due else None
    matter.version += 1
    matter.save()

    for unit in step.link_units:
        grant_access(matter, unit)
    event = MatterEvent.objects.create(
        matter=matter,
        action=action,
        from_status=from_status,
        to_status=target,
        actor=None if system else actor,
        actor_unit=None if system else actor.unit,
        at=now,
        note=step.note,
        data=step.data,
        public=t.public,
        on_time=on_time,
        step=done,
        due_on=old_due if done else None,
        unit=holder_before if done else None,
    )
    audit.record(
        "change",
        user=event.actor,
        target=f"matter:{matter.pk}",
        detail={"action": action, "from": from_status, "to": target},
    )
    for f in files:
        save_attachment(matter, f, actor, event)
    _queue_notifications(matter, t, step)
    return matter


def grant_access(matter, unit):
    """Let `unit` (and its sub-units) see the matter from now on (属事). The one writer of
    MatterUnit rows for single matters; bulk writers insert the same row."""
    MatterUnit.objects.get_or_create(matter=matter, unit=unit, defaults={"unit_path": unit.path})


def is_final(matter) -> bool:
    """A matter that went through re-review and closed: filing it again is 不再受理 (art. 36)."""
    return bool(matter.rereview_decided_on and matter.status == Status.CLOSED)


@transaction.atomic
def link_repeat(matter_id, actor, original, *, now=None) -> Matter:
    """Record that a matter repeats an earlier one (重复信访). Not a transition: the status and the
    deadline stay; the link, and 不再受理 when the earlier matter completed re-review, are recorded
    with an internal event."""
    now = now or clock.now()
    matter = Matter.objects.select_for_update(of=("self",)).get(pk=matter_id)
    if original.pk == matter.pk:
        raise TransitionError("不能把事项标记为它自己的重复信访。")
    if (original.received_at, original.pk) > (matter.received_at, matter.pk):
        raise TransitionError(f"{original.display_code}晚于本事项收到，请在较晚的事项上标记重复信访。")
    if original.repeat_of_id == matter.pk:
        raise TransitionError(f"{original.display_code}已标记为本事项的重复信访，不能互相标记。")
    if matter.repeat_of_id == original.pk:
        raise TransitionError(f"本事项已标记为{original.display_code}的重复信访。")
    final = is_final(original)
    matter.repeat_of, matter.finality_flag = original, matter.finality_flag or final
    matter.save(update_fields=["repeat_of", "finality_flag", "updated_at"])
    note = f"重复信访，原事项{original.display_code}。"
    if final:
        note += "原事项已经复核终结，以同一事实和理由再次提出的，不再受理（第三十六条）。"
    record_internal_event(matter, "link_repeat", actor, now, note, data={"repeat_of": original.pk})
    return matter


def record_internal_event(matter, action, actor, now, note, *, data=None):
    """An internal (non-public) event that changes no status or deadline — a repeat link, a
    督办, a 包案 — appended and audited; like every event it moves the matter's version."""
    Matter.objects.filter(pk=matter.pk).update(version=F("version") + 1, updated_at=now)
    matter.version += 1
    MatterEvent.objects.create(
        matter=matter,
        action=action,
        from_status=matter.status,
        to_status=matter.status,
        actor=actor,
        actor_unit=actor.unit if actor else None,
        at=now,
        note=note,
        data=data or {},
        public=False,
    )
    audit.record("change", user=actor, target=f"matter:{matter.pk}", detail={"action": action})


def _queue_notifications(matter, t: Transition, step: Step):
    rows = []
    if step.notify_petitioner and not matter.anonymous:
        for p in matter.petitioners.all():
            if p.phone or p.address:
                rows.append(
                    Notification(
                        matter=matter,
                        audience=Notification.Audience.PETITIONER,
                        recipient_contact=p.phone or p.address,
                        kind=t.name,
                        subject=f"信访事项{t.label}告知",
                        body=step.notify_petitioner,
                    )
                )
    if step.notify_staff_units:
        rows += staff_notices(
            step.notify_staff_units,
            kind=t.name,
            subject=f"待办：{matter.title[:40]}",
            body=f"事项「{matter.title}」（{matter.display_code}）{t.label}，请及时办理。",
            matter=matter,
        )
    enqueue(rows)


def staff_notices(units, *, kind, subject, body, matter=None, roles=NOTIFIED_ROLES) -> list:
    """One notice to each active user of `units` whose role is one of `roles`."""
    return [
        Notification(
            matter=matter,
            audience=Notification.Audience.STAFF,
            recipient_user=user,
            kind=kind,
            subject=subject[:200],
            body=body,
        )
        for user in User.objects.filter(unit__in=units, is_active=True, role__in=roles)
    ]


def enqueue(rows):
    """Write notification rows now; hand them to the worker once the transaction commits."""
    if not rows:
        return
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk]
    if not ids:  # backends without RETURNING: the periodic retry job picks them up
        return
    from xinfang.core.tasks import deliver_notifications

    transaction.on_commit(lambda: deliver_notifications(ids))


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


@transaction.atomic
def register_matter(actor, *, fields: dict, petitioners: list[dict], files=(), now=None) -> Matter:
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
    matter.save()
    grant_access(matter, actor.unit)
    if matter.screening_unit_id:
        grant_access(matter, matter.screening_unit)
    for p in petitioners:
        Petitioner.objects.create(matter=matter, **p)
    note = (
        f"该事项已经复核终结（见{repeat_of.display_code}），以同一事实和理由再次提出，不再受理（第三十六条）。"
        if final
        else ""
    )
    event = MatterEvent.objects.create(
        matter=matter,
        action="register",
        from_status="",
        to_status=matter.status,
        actor=actor,
        actor_unit=actor.unit,
        at=now,
        note=note,
        data={"channel": matter.channel, "repeat_of": repeat_of.pk if repeat_of else None},
    )
    audit.record(
        "change",
        user=actor,
        target=f"matter:{matter.pk}",
        detail={"action": "register", "from": "", "to": matter.status},
    )
    for f in files:
        save_attachment(matter, f, actor, event)
    from xinfang.assist.tasks import escalate_if_urgent

    transaction.on_commit(lambda: escalate_if_urgent(matter.pk))  # 急事急报, if it reads as urgent
    return matter


def new_matter(actor, fields: dict, now, *, final=False) -> Matter:
    """An unsaved matter registered at the actor's unit, with its first deadline: shared by
    `register_matter` and the bulk 台账 import."""
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
        recompute_deadline(matter, timezone.localdate(now))
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


# ---------------------------------------------------------------- the deadline sweeper


def sweep(today: date | None = None) -> dict:
    """Queue 临期/超期 reminders once per step and close matters whose petitioner window ran out.

    Conditional updates on the indexed due_date column make each reminder fire exactly once even
    if two sweepers run at the same time.
    """
    from xinfang.supervision.services import record_auto_reminders  # 催办 records, issue 6

    # One instant for every act of this sweep; a given day (xinfang sweep --today) is swept at noon.
    now = clock.now() if today is None else clock.local_datetime(today, time(12))
    today = timezone.localdate(now)
    staff_steps = [s for s in STEPS if s not in PETITIONER_WINDOWS]
    counts = {"warning": 0, "overdue": 0, "closed": 0}
    for level, kind, cond in [
        (2, "overdue", {"due_date__lt": today}),
        (1, "warning", {"warn_date__lte": today}),
    ]:
        ids = list(
            Matter.objects.filter(
                due_step__in=staff_steps, reminded_level__lt=level, clock_paused=False, **cond
            ).values_list("pk", flat=True)
        )
        for chunk in _chunks(ids, 500):
            with transaction.atomic():
                claimed = list(
                    Matter.objects.filter(pk__in=chunk, reminded_level__lt=level).values_list("pk", flat=True)
                )
                Matter.objects.filter(pk__in=claimed, reminded_level__lt=level).update(reminded_level=level)
                matters = list(Matter.objects.filter(pk__in=claimed).select_related("holder_unit"))
                enqueue(_reminders(matters, kind))
                record_auto_reminders(matters, kind, now)
                counts[kind] += len(claimed)
    expired = Matter.objects.filter(due_step__in=list(PETITIONER_WINDOWS), due_date__lt=today).values_list(
        "pk", flat=True
    )
    for pk in list(expired):
        perform(
            pk, None, "close", system=True, now=now, note="申请期限届满，信访人未申请复查（复核），事项办结。"
        )
        counts["closed"] += 1
    return counts


def _reminders(matters, kind):
    label = "超期" if kind == "overdue" else "临期"
    rows = []
    users_by_unit = {}
    for m in matters:
        users = users_by_unit.setdefault(
            m.holder_unit_id,
            list(
                User.objects.filter(
                    unit_id=m.holder_unit_id,
                    is_active=True,
                    role__in=NOTIFIED_ROLES,
                )
            ),
        )
        for u in users:
            rows.append(
                Notification(
                    matter=m,
                    audience=Notification.Audience.STAFF,
                    recipient_user=u,
                    kind=f"reminder_{kind}",
                    subject=f"催办（{label}）：{m.title[:40]}",
                    body=f"事项「{m.title}」（{m.display_code}）{STEPS[m.due_step][0]}期限为{m.due_date:%Y年%m月%d日}，已{label}，请抓紧办理。",
                )
            )
    return rows


def _chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i : i + n]
