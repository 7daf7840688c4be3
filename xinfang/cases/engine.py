"""The one write path of every case type.

`perform` runs a transition of a case type's table: it loads and locks the case, checks the table
and the actor, lets the type's function for that transition decide the act (`Act`), moves the
status, recomputes the deadline, appends an event and writes it all as one plan (plan.py) — through
the ORM, or into the bulk session when one is open. `create` registers a new case the same way.
"""

import functools
from contextlib import contextmanager
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xinfang.core import clock
from xinfang.deadlines.engine import ScheduleUnknown
from xinfang.deadlines.service import deadline_for
from xinfang.org.models import Division, Role, Unit

from . import hooks
from .models import ReminderLevel
from .notices import staff_notices
from .plan import Plan, current_session, save
from .registry import CaseType, all_types, of
from .scoping import can_see
from .workflow import Transition


class TransitionError(Exception):
    """A refused act, with a message for the user in Chinese."""


class StaleCase(TransitionError):
    def __init__(self):
        super().__init__("该事项已被他人更新，请刷新页面查看最新情况后重试。")


class Act:
    """One act on a case: what the type's function for the transition decided, and the rows it
    reads. The function changes `case` in memory and records what else to write; the engine
    writes it all."""

    def __init__(self, case_type: CaseType, case, actor, now: datetime, params: dict, note: str, plan):
        self.type, self.case, self.actor, self.now = case_type, case, actor, now
        self.params, self.note, self.plan = params, note, plan
        self.target = None  # the resulting status, when the function chooses among the targets
        self.data = {}  # recorded with the event
        # Body of a notice to the other side (the petitioners); the type's `other_side_notices` may
        # accept a function of the case instead, for words that need the recomputed deadline.
        self.notify_other_side = ""
        self.notify_units = []  # units whose staff are told
        # (kind, body) of the staff notice: of an act outside the table, or a transition's own words
        self.notice = ("", "")
        self.step_start: date = self.today  # first day of the status's new period
        self.event = None  # the event the act appends
        self._rows = {}

    @functools.cached_property
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

    # -- rows of the case

    def rows(self, model) -> list:
        """The case's rows of `model` (whose foreign key to the case is the type's `case_field`):
        those written, those of the bulk session not yet written, and this act's own."""
        if model not in self._rows:
            written = []
            session = current_session()
            if self.case.pk is not None and not (session and session.is_new(self.case)):
                field = self.type.case_field
                written = list(model.objects.filter(**{field: self.case}).order_by("pk"))
            if session is not None and self.case.pk is not None:
                written += session.rows_for(self.case, model)
            self._rows[model] = written
        return self._rows[model] + [r for r in self.plan.rows if type(r) is model]

    def add(self, row):
        """A new row of the case, written with the act."""
        setattr(row, self.type.case_field, self.case)
        self.plan.rows.append(row)
        return row

    def change(self, row, fields):
        """An earlier row changed by the act (a row not written yet carries the change itself)."""
        if not row._state.adding:
            self.plan.changed.append((row, fields))

    def grant_access(self, unit):
        grant_access(self, unit)


def grant_access(act: Act, unit: Unit):
    """Let `unit` (and its sub-units) see the case from now on (属事): the one writer of link rows.
    Outside a transition (a 督办, a 包案), record the grant with `record`."""
    link_model = act.type.link_model
    if any(link.unit_id == unit.pk for link in act.rows(link_model)):
        return
    act.add(link_model(unit=unit, unit_path=unit.path))


# ---------------------------------------------------------------- permission


def check_actor(case_type: CaseType, user, case, t: Transition, *, visible=None):
    """Whether `user` may take transition `t` on `case`; raises TransitionError with the reason.
    `visible`: True when the case was already read through the user's scope."""
    if t.actor == "reporter":
        check_reporter(case_type, user, case, t)
        return
    if not (user and user.is_authenticated and user.does_casework):
        raise TransitionError("您没有办理信访事项的权限。")
    if t.roles and user.role not in t.roles:
        roles = "、".join(Role(r).label for r in sorted(t.roles))
        raise TransitionError(f"「{t.label}」只能由{roles}办理。")
    if visible is None:
        visible = can_see(user, case)
    if not visible:
        raise TransitionError("该事项不在您的工作范围内。")
    if t.actor in {"holder", "reviewer"} and not user.unit.is_within(case.holder_unit):
        raise TransitionError(f"该事项目前由「{case.holder_unit}」办理，您所在单位不能进行此操作。")
    if t.actor == "reviewer" and case_type.check_reviewer is not None:
        case_type.check_reviewer(user, case)


def check_reporter(case_type: CaseType, user, case, t: Transition):
    """An act of the person who reported the case (a grid worker confirming on the spot): only
    they may take it, whatever they may otherwise see."""
    field = case_type.reporter_field
    if not (field and user and user.is_authenticated and user.is_active):
        raise TransitionError(f"「{t.label}」只能由上报人办理。")
    if t.roles and user.role not in t.roles:
        roles = "、".join(Role(r).label for r in sorted(t.roles))
        raise TransitionError(f"「{t.label}」只能由{roles}办理。")
    if getattr(case, f"{field}_id") != user.pk:
        raise TransitionError(f"「{t.label}」只能由该事件的上报人办理。")


def can_perform(user, case, t: Transition, *, visible=None) -> bool:
    try:
        check_actor(of(case), user, case, t, visible=visible)
    except TransitionError:
        return False
    return case.status in t.sources


# ---------------------------------------------------------------- deadlines


def deadline(step, start, case, **kw):
    try:
        return deadline_for(step, start, case.policy_set, **kw)
    except ScheduleUnknown as exc:
        raise TransitionError(str(exc)) from exc


def policy_set_for(division) -> str:
    """The deadline rules of the division (its own set, an ancestor's, or the deployment's); a bulk
    session looks each division up once."""
    session = current_session()
    key = ("policy_set", division.pk)
    if session is not None and key in session.memo:
        return session.memo[key]
    codes = [code for code in division.path.strip("/").split("/") if code]
    nearest = (
        Division.objects.filter(code__in=codes, policy_set__isnull=False)
        .order_by("-level")
        .values_list("policy_set__name", flat=True)
        .first()
    )  # the division's own set, else its nearest ancestor's (Division.effective_policy_set)
    found = nearest or settings.XINFANG_POLICY_SET
    if session is not None:
        session.memo[key] = found
    return found


def recompute_deadline(case_type: CaseType, case, today: date, pauses=()):
    """Set due_step/due_date/warn_date from the status, its start day, extension and pauses
    (`pauses`: the case's pause rows; only those of the current step and period count)."""
    wf = case_type.workflow
    step = wf.step_for(case)
    if not step:
        case.due_step, case.due_date, case.warn_date = "", None, None
        case.due_provisional = case.clock_paused = False
        return
    spans = []
    if step in wf.pausable:
        spans = [(p.first, p.last) for p in pauses if p.step == step and p.first >= case.step_started_on]
    extension = getattr(case, "extension_days", 0) if step == wf.extended_step else 0
    counted = [(first, last or max(today, first)) for first, last in spans]
    d = deadline(step, case.step_started_on, case, extension_days=extension, pauses=counted)
    due, warn = d.due, d.warn_from
    if case_type.cap_due is not None:
        capped = case_type.cap_due(case, step, due)
        if capped < due:  # an earlier date governs: warn as long before it as the period would
            warn = max(case.step_started_on, capped - (due - warn)) if warn else None
            due = capped
    case.due_step, case.due_date, case.warn_date = step, due, warn
    case.due_provisional = d.provisional
    case.clock_paused = any(last is None for _, last in spans)


def refresh_estimated_deadlines(today: date) -> tuple[int, int]:
    """Compute again the deadlines that were estimated because their year's holiday schedule was
    not known (due_provisional), once an administrator has entered it. Returns (refreshed, still
    estimated). The status and history of the cases do not change; only their due dates."""
    refreshed = still = 0
    for case_type in all_types():
        model = case_type.model
        with transaction.atomic():
            for case in model.objects.select_for_update(of=("self",)).filter(due_provisional=True):
                pauses = ()
                if case_type.pause_model is not None:
                    pauses = list(case_type.pause_model.objects.filter(**{case_type.case_field: case}))
                try:
                    recompute_deadline(case_type, case, today, pauses)
                except TransitionError:  # a working-day step reaching a year still unknown
                    still += 1
                    continue
                case.save(
                    update_fields=["due_step", "due_date", "warn_date", "due_provisional", "clock_paused"]
                )
                if case.due_provisional:
                    still += 1
                else:
                    refreshed += 1
    return refreshed, still


# ---------------------------------------------------------------- the write path


def load(case_type: CaseType, pk):
    """The case to act on: from the bulk session if it holds it, else locked in the database."""
    session = current_session()
    if session is not None:
        held = session.case(case_type.model, pk)
        if held is not None:
            return held
    case = (
        case_type.model.objects.select_for_update(of=("self",))
        .select_related(*case_type.select_related)
        .get(pk=pk)
    )
    if session is not None:
        session.hold(case)
    return case


def atomic(fn):
    """transaction.atomic around a service function, except inside a bulk session, where acts write
    nothing until the session flushes (and a savepoint per act would be most of its time)."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        if current_session() is not None:
            return fn(*args, **kwargs)
        with transaction.atomic():
            return fn(*args, **kwargs)

    return wrapped


@contextmanager
def undone_on_error(case):
    """A refused act leaves a case held in a bulk session as it was (in the database a rollback
    does that)."""
    fields, cached = dict(vars(case)), dict(case._state.fields_cache)
    try:
        yield
    except Exception:
        vars(case).clear()
        vars(case).update(fields)
        case._state.fields_cache = cached
        raise


def commit(plan: Plan):
    session = current_session()
    if session is not None:
        session.add(plan)
    else:
        save(plan)


def perform(
    case_type: CaseType,
    pk,
    actor,
    action,
    *,
    expected_version=None,
    now=None,
    note="",
    system=False,
    **params,
) -> Act:
    """Run transition `action` on a case. Raises TransitionError with a Chinese message.
    The caller holds the transaction (the type's service wraps this in one)."""
    wf = case_type.workflow
    t = wf.transitions.get(action)
    if t is None:
        raise TransitionError("未知的操作。")
    now = now or clock.now()
    case = load(case_type, pk)
    if expected_version is not None and int(expected_version) != case.version:
        raise StaleCase()
    if case.status not in t.sources:
        raise TransitionError(f"事项当前状态为「{case.get_status_display()}」，不能「{t.label}」。")
    session = current_session()
    if not system:
        check_actor(case_type, actor, case, t, visible=True if session is not None else None)
    with undone_on_error(case):
        plan = Plan(case=case)
        act = Act(case_type, case, actor, now, dict(params), (note or "").strip(), plan)
        act.params["note"] = act.note
        from_status, old_due, holder_before = case.status, case.due_date, case.holder_unit
        case_type.apply[action](act)
        target = act.target or (t.targets[0] if t.targets[0] is not None else from_status)
        if target not in t.targets and not (None in t.targets and target == from_status):
            raise TransitionError("该操作不能使事项进入此状态。")

        case.status = target
        # A new step starts a new period; moving within a step (a reply submitted for approval, or
        # returned for changes) keeps the step's deadline and reminders.
        if wf.step_of(target) != wf.step_of(from_status):
            case.step_started_on = act.step_start
            case.reminded_level = ReminderLevel.NONE
        if target != from_status or action in wf.restarting:
            pauses = act.rows(case_type.pause_model) if case_type.pause_model else ()
            recompute_deadline(case_type, case, act.today, pauses)
            if case.due_date is not None:
                act.data["due"] = case.due_date.isoformat()  # as promised on the day of the act
        done = wf.completed_step(t, from_status, target)
        case.version += 1
        act.event = act.add(
            case_type.event_model(
                action=action,
                from_status=from_status,
                to_status=target,
                actor=None if system else actor,
                actor_unit=None if system else actor.unit,
                at=now,
                note=act.note,
                data=act.data,
                public=t.public,
                on_time=act.today <= old_due if done and old_due else None,
                step=done,
                due_on=old_due if done else None,
                unit=holder_before if done else None,
            )
        )
        plan.audits.append(
            ("change", None if system else actor, {"action": action, "from": from_status, "to": target})
        )
        plan.notices += notices_of(act, t)
        commit(plan)
    return act


def notices_of(act: Act, t: Transition | None) -> list:
    """The act's notices: to the other side, and to the staff of `act.notify_units` (for an act
    outside the table, `act.notice` gives their kind and text)."""
    rows = []
    if act.notify_other_side and act.type.other_side_notices is not None:
        rows += act.type.other_side_notices(act, t)
    if act.notify_units:
        case = act.case
        kind, body = (
            (t.name, f"事项「{case.title}」（{case.display_code}）{t.label}，请及时办理。")
            if t and not act.notice[1]
            else act.notice
        )
        rows += staff_notices(
            act.notify_units, kind=kind, subject=f"待办：{case.title[:40]}", body=body, case=case
        )
    return rows


def create(
    case_type: CaseType, case, actor, *, now, rows=(), note="", data=None, links=(), notify_other_side="",
    notify=(), notify_body="",
):  # fmt: skip
    """Register a new case (built in memory by the type's service, deadline included) with its
    rows, the registering unit's access, a register event, a notice to the other side when
    `notify_other_side` is given, a notice to the staff of the units `notify` (a case registered
    for another unit; `notify_body` says what to do, else a general line), and the after-commit hook."""
    session = current_session()
    if session is not None:
        case.pk = session.allocate(case_type.model)
        session.hold(case, new=True)
    plan = Plan(case=case, new=True)
    act = Act(case_type, case, actor, now, {}, note, plan)
    for unit in [actor.unit, *links]:
        grant_access(act, unit)
    for row in rows:
        act.add(row)
    act.event = act.add(
        case_type.event_model(
            action="register",
            from_status="",
            to_status=case.status,
            actor=actor,
            actor_unit=actor.unit,
            at=now,
            note=note,
            data=data or {},
        )
    )
    plan.audits.append(("change", actor, {"action": "register", "from": "", "to": case.status}))
    act.notify_other_side = notify_other_side
    plan.notices += notices_of(act, None) if notify_other_side else []
    if notify:
        body = notify_body or f"新的{case_type.label}「{case.title}」（{case.display_code}），请及时办理。"
        plan.notices += staff_notices(
            notify, kind="register", subject=f"待办：{case.title[:40]}", body=body, case=case
        )
    plan.jobs.append(lambda: hooks.fire_after_commit("registered", case_type.key, case.pk))
    commit(plan)
    return act


def record(case_type: CaseType, pk, actor, action, *, now=None, note="", data=None, apply=None) -> Act:
    """An act outside the transition table — a screening, a repeat link, a 督办 or 包案 noted on the
    case: `apply(act)` (optional) changes the case and adds rows; the status and deadline stay, an
    internal event (not shown to the other side) is appended and audited, and like every event it
    moves the case's version."""
    now = now or clock.now()
    case = load(case_type, pk)
    with undone_on_error(case):
        plan = Plan(case=case)
        act = Act(case_type, case, actor, now, {}, (note or "").strip(), plan)
        if data:
            act.data.update(data)
        if apply is not None:
            apply(act)
        case.version += 1
        act.event = act.add(
            case_type.event_model(
                action=action,
                from_status=case.status,
                to_status=case.status,
                actor=actor,
                actor_unit=actor.unit if actor else None,
                at=now,
                note=act.note,
                data=act.data,
                public=False,
            )
        )
        plan.audits.append(("change", actor, {"action": action}))
        plan.notices += notices_of(act, None) if act.notify_units else []
        commit(plan)
    return act
