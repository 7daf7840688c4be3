"""The write path of hazards, on the case kernel (xinfang/cases/engine.py).

`register_hazard` creates a hazard held by the unit that supervises its enterprise; `perform` runs
any transition of workflow.TRANSITIONS (one function per transition below decides the act); the
acts outside the table — 挂牌督办, escalation with 约谈, a link to a petition — are recorded
with `engine.record`; 督办 and 催办 (by hand and the sweeper's) are supervision's, as for every
case type with a page. All of it writes through plans, by the ORM or inside a bulk session
(`xinfang.cases.plan.bulk`: the 台账 import and the demo).
"""

from datetime import date, time
from decimal import Decimal, InvalidOperation

from django.urls import reverse
from django.utils import timezone

from xinfang.cases import engine
from xinfang.cases.engine import Act, TransitionError
from xinfang.cases.plan import current_session
from xinfang.cases.registry import CaseType, register
from xinfang.core import clock, uploads
from xinfang.org.models import Role, Unit

from .choices import OPEN_STATUSES, Level, ListingLevel, PhotoStage, Source, Status, Stoppage
from .models import Hazard, HazardEvent, HazardPhoto, HazardUnit
from .workflow import RECTIFY_STEPS, WORKFLOW

__all__ = ["TransitionError", "can_perform", "perform", "register_hazard", "sweep"]

REGISTERING_ROLES = {Role.REGISTRAR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD}
OVERSIGHT_ROLES = {Role.SUPERVISOR, Role.LEADER}
PHOTO_STAGE = {
    "notify": PhotoStage.FOUND,
    "record_progress": PhotoStage.PROGRESS,
    "order_stoppage": PhotoStage.PROGRESS,
    "request_acceptance": PhotoStage.AFTER,
    "accept": PhotoStage.AFTER,
    "reject": PhotoStage.AFTER,
}


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _due_of(a: Act, status) -> date:
    """The deadline the hazard will wait on in `status` from today (the kernel sets the same)."""
    return engine.deadline(WORKFLOW.step_of(status), a.today, a.case).due


def _add_photos(a: Act, action):
    for photo in a.params.get("photos") or []:
        photo.stage = PHOTO_STAGE.get(action, PhotoStage.PROGRESS)
        photo.uploaded_by = a.actor
        a.add(photo)


# ---------------------------------------------------------------- one function per transition


def _notify(a: Act):
    h = a.case
    h.requirements = a.require("requirements", "整改要求")
    _stoppage(a, required=False)
    h.notified_on = a.today
    a.target = Status.PLAN_PENDING if h.is_major else Status.RECTIFYING
    due = _due_of(a, a.target)
    a.data.update(requirements=h.requirements, level=h.level, due=due.isoformat(), stoppage=h.stoppage)
    _add_photos(a, "notify")


def _stoppage(a: Act, *, required: bool):
    h = a.case
    kind = a.params.get("stoppage") or ""
    if kind not in Stoppage.values:
        raise TransitionError("「停产停业」的取值不正确。")
    if required and not kind:
        raise TransitionError("请选择责令局部停产停业还是全部停产停业。")
    if kind:
        h.stoppage = kind
        h.stoppage_scope = a.require("stoppage_scope", "停产停业范围")
        a.data.update(stoppage=kind, stoppage_scope=h.stoppage_scope)


def _record_progress(a: Act):
    a.require("note", "整改进展")
    _add_photos(a, "record_progress")


PLAN_FIELDS = {
    "plan_person": "治理责任人（职务）",
    "plan_unit": "治理责任部门",
    "plan_measures": "治理措施",
    "plan_funds": "治理资金",
    "plan_deadline": "治理时限",
    "plan_contingency": "应急预案",
}


def _take_plan(a: Act):
    """The parts of the governance plan given with the act (the others stay as recorded before)."""
    h = a.case
    for name in PLAN_FIELDS:
        value = a.params.get(name)
        if value in (None, ""):
            continue
        if name == "plan_funds":
            try:
                value = Decimal(str(value))
            except InvalidOperation:
                raise TransitionError("「治理资金」应为金额（元）。") from None
            if value <= 0:
                raise TransitionError("「治理资金」应大于零。")
        if name == "plan_deadline":
            if not isinstance(value, date):
                raise TransitionError("「治理时限」应为日期。")
            if value < a.today:
                raise TransitionError("「治理时限」不能早于今天。")
        if isinstance(value, str):
            value = value.strip()
        setattr(h, name, value)
    a.data["plan"] = {
        name: (str(getattr(h, name)) if getattr(h, name) is not None else "") for name in PLAN_FIELDS
    }


def _record_plan(a: Act):
    _take_plan(a)


def _approve_plan(a: Act):
    """A major hazard's plan is accepted only with all of the 五落实: 责任, 措施, 资金, 时限, 预案."""
    h = a.case
    _take_plan(a)
    missing = h.plan_missing()
    if missing:
        raise TransitionError(f"重大隐患治理方案须做到“五落实”，尚缺：{'、'.join(missing)}。")
    limit = _due_of(a, Status.GOVERNING)
    if h.plan_deadline > limit:
        raise TransitionError(f"治理时限不能晚于重大隐患限期治理的期限（{_cn(limit)}）。")
    h.plan_approved_on = a.today
    a.data["due"] = limit.isoformat()


def _order_stoppage(a: Act):
    _stoppage(a, required=True)
    a.require("note", "责令停产停业的理由")
    _add_photos(a, "order_stoppage")


def _request_acceptance(a: Act):
    h = a.case
    a.require("note", "整改完成情况")
    h.applied_on = a.today
    h.rectify_due = h.due_date
    a.data.update(rectify_due=h.due_date.isoformat() if h.due_date else "")
    _add_photos(a, "request_acceptance")


def _accept(a: Act):
    """An inspector accepts the rectification, with photos of the result (taken now or sent with
    the request)."""
    h = a.case
    a.require("note", "验收意见")
    _add_photos(a, "accept")
    imported = a.params.get("imported_from") and current_session() is not None
    if imported:  # an existing 台账's rectified hazard: its photos are in that 台账's files
        a.data["photos_in"] = a.params["imported_from"]
    elif not any(p.stage == PhotoStage.AFTER for p in a.rows(HazardPhoto)):
        raise TransitionError("验收合格须上传整改后的现场照片。")
    h.rectified_on = a.today
    h.rectified_on_time = h.applied_on <= h.rectify_due if h.applied_on and h.rectify_due else None
    lifted = h.stoppage
    h.stoppage, h.stoppage_scope = "", ""
    a.data.update(on_time=h.rectified_on_time, lifted=lifted)


def _reject(a: Act):
    h = a.case
    a.require("note", "不合格的理由和重新整改要求")
    a.target = Status.GOVERNING if h.is_major else Status.RECTIFYING
    h.applied_on = None
    a.data["due"] = _due_of(a, a.target).isoformat()
    _add_photos(a, "reject")


def _close(a: Act):
    a.case.closed_on = a.today


def _revoke(a: Act):
    a.require("note", "撤销的理由")
    a.case.closed_on = a.today


APPLY = {
    "notify": _notify,
    "record_progress": _record_progress,
    "record_plan": _record_plan,
    "approve_plan": _approve_plan,
    "order_stoppage": _order_stoppage,
    "request_acceptance": _request_acceptance,
    "accept": _accept,
    "reject": _reject,
    "close": _close,
    "revoke": _revoke,
}

HAZARD = register(
    CaseType(
        key="hazard",
        label="安全生产隐患",
        model=Hazard,
        event_model=HazardEvent,
        link_model=HazardUnit,
        case_field="hazard",
        workflow=WORKFLOW,
        apply=APPLY,
        select_related=("division", "holder_unit", "enterprise", "hazard_type"),
        detail_url=lambda h: reverse("hazards:detail", args=[h.pk]),
    )
)

can_perform = engine.can_perform


# ---------------------------------------------------------------- the write path


def stored_photos(hazard_id, files) -> list[HazardPhoto]:
    """Uploaded photos saved to storage (encrypted) as unsaved rows for an act to add; each checked
    by content (images and PDF scans only). Raises ValidationError."""
    if not files:
        return []
    if current_session() is not None:
        raise RuntimeError("bulk sessions take photos already stored")
    hazard = Hazard.objects.only("pk", "created_at").get(pk=hazard_id)
    rows = []
    for upload in files:
        content_type = uploads.sniff(upload)
        photo = HazardPhoto(
            hazard=hazard, name=upload.name[:200], size=upload.size, content_type=content_type
        )
        photo.file.save(upload.name, upload, save=False)
        rows.append(photo)
    return rows


@engine.atomic
def perform(hazard_id, actor, action, *, files=(), photos=(), **kwargs) -> Hazard:
    """Run transition `action` on a hazard, with photos uploaded for it (`files`) or already
    stored (`photos`: unsaved HazardPhoto rows, as a bulk loader gives). Raises TransitionError."""
    uploaded = stored_photos(hazard_id, files)
    try:
        act = engine.perform(HAZARD, hazard_id, actor, action, photos=[*photos, *uploaded], **kwargs)
    except Exception:
        for photo in uploaded:
            photo.file.delete(save=False)
        raise
    return act.case


def check_registrant(actor):
    if not (actor and actor.does_casework and actor.role in REGISTERING_ROLES):
        raise TransitionError("只有登记员、交办员、承办人和单位负责人可以登记隐患。")


@engine.atomic
def register_hazard(actor, *, fields: dict, files=(), now=None, note="", data=None) -> Hazard:
    """Register a hazard of an enterprise the actor's unit can see; it is held by the unit that
    supervises the enterprise, which is told when someone else registered it."""
    from .models import Enterprise

    check_registrant(actor)
    now = now or clock.now()
    enterprise = fields["enterprise"]
    if not enterprise.active:
        raise TransitionError(f"「{enterprise}」已不在册，不能登记隐患。")
    if (
        current_session() is None
        and not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists()
    ):
        raise TransitionError("该生产经营单位不在您的工作范围内。")
    if fields.get("found_on") and fields["found_on"] > timezone.localdate(now):
        raise TransitionError("发现日期不能晚于今天。")
    petition = fields.get("petition")
    if petition is not None:
        from xinfang.petitions.models import Matter

        if current_session() is None and not Matter.objects.visible_to(actor).filter(pk=petition.pk).exists():
            raise TransitionError("所关联的信访事项不在您的工作范围内。")
        fields.setdefault("source", Source.PETITION)
    hazard = new_hazard(actor, fields, now)
    holder = hazard.holder_unit
    elsewhere = not actor.unit.is_within(holder)  # the supervising unit is told
    body = f"{actor.unit}登记了「{enterprise}」的{hazard.get_level_display()}「{hazard.title}」，请及时下达整改通知。"
    act = engine.create(
        HAZARD,
        hazard,
        actor,
        now=now,
        note=note,
        data={"level": hazard.level, "source": hazard.source, **(data or {})},
        links=[holder],
        notify=[holder] if elsewhere else (),
        notify_body=body,
    )
    for upload in files:
        HazardPhoto.objects.create(
            hazard=hazard,
            stage=PhotoStage.FOUND,
            file=upload,
            name=upload.name[:200],
            size=upload.size,
            content_type=uploads.sniff(upload),
            uploaded_by=actor,
        )
    return act.case


def new_hazard(actor, fields: dict, now) -> Hazard:
    """An unsaved hazard held by its enterprise's supervising unit, with its first deadline."""
    enterprise = fields["enterprise"]
    values = {
        **fields,
        "industry": enterprise.industry,
        "division": enterprise.division,
        "registered_by": actor,
        "registering_unit": actor.unit,
        "holder_unit": enterprise.supervising_unit,
        "policy_set": engine.policy_set_for(enterprise.division),
        "step_started_on": timezone.localdate(now),
        "status": Status.REGISTERED,
    }
    if values.get("level") not in Level.values:
        raise TransitionError("请选择隐患等级。")
    hazard = Hazard(**values)
    engine.recompute_deadline(HAZARD, hazard, timezone.localdate(now))
    return hazard


# ---------------------------------------------------------------- acts outside the table


def _require_oversight(actor):
    if not (actor and actor.does_casework and actor.role in OVERSIGHT_ROLES):
        raise TransitionError("只有督查员和领导可以挂牌督办或升级督办。")


def _visible(actor, hazard_id) -> Hazard:
    found = Hazard.objects.visible_to(actor).filter(pk=hazard_id).first()
    if found is None:
        raise TransitionError("该隐患不在您的工作范围内。")
    return found


def is_overdue(hazard, today) -> bool:
    return bool(hazard.due_date and hazard.due_step in RECTIFY_STEPS and hazard.due_date < today)


def listing_level(government: Unit) -> str:
    """市级 for the government of a city (or above), 区县级 below it."""
    top = government.divisions.order_by("level").values_list("level", flat=True).first()
    return ListingLevel.CITY if top is not None and top <= 2 else ListingLevel.COUNTY


@engine.atomic
def list_for_supervision(hazard_id, actor, *, requirement, due_on: date, now=None):
    """挂牌督办 of a major hazard by the actor's government; the public notice is its document."""
    _require_oversight(actor)
    hazard = _visible(actor, hazard_id)
    government = actor.unit.government()
    if government is None:
        raise TransitionError("挂牌督办由党委政府作出，您所在单位不属于任何一级党委政府。")
    if not hazard.is_major:
        raise TransitionError("只有重大隐患可以挂牌督办。")
    if hazard.status not in OPEN_STATUSES:
        raise TransitionError("该隐患已整改或撤销，不能挂牌督办。")
    if hazard.listed_by_id:
        raise TransitionError(f"该隐患已由{hazard.listed_by}挂牌督办。")
    requirement = (requirement or "").strip()
    if not requirement:
        raise TransitionError("请填写督办要求。")
    now = now or clock.now()
    if due_on <= timezone.localdate(now):
        raise TransitionError("督办期限应晚于今天。")
    level = listing_level(government)

    def apply(a: Act):
        h = a.case
        h.listed_level, h.listed_by, h.listed_on = level, government, a.today
        a.grant_access(government)
        a.notify_units.append(h.holder_unit)
        a.notice = (
            "hazard_listed",
            f"重大隐患「{h.title}」（{h.display_code}）由{government}{ListingLevel(level).label}。",
        )
        a.data.update(level=level, unit=government.name, requirement=requirement, due_on=due_on.isoformat())

    act = engine.record(HAZARD, hazard.pk, actor, "list", now=now, note=requirement, apply=apply)
    return act.case


def level_above(unit: Unit) -> Unit | None:
    """The government one level above the government the unit belongs to."""
    own = unit.government()
    return own.parent.government() if own is not None and own.parent_id else None


@engine.atomic
def escalate(hazard_id, actor, *, interviewed, held_on: date, summary, now=None):
    """Still overdue after 催办 and 督办: the hazard is taken up by the government above, which
    records the 约谈 (the talk with the enterprise's and the supervising unit's leaders)."""
    _require_oversight(actor)
    now = now or clock.now()
    hazard = _visible(actor, hazard_id)
    if not is_overdue(hazard, timezone.localdate(now)):
        raise TransitionError("该隐患未超过整改期限，不能升级督办。")
    above = level_above(hazard.holder_unit)
    if above is None:
        raise TransitionError(f"「{hazard.holder_unit}」没有上一级党委政府，无法升级督办。")
    if actor.unit.government() != above:
        raise TransitionError(f"升级督办由{above}作出，您所在单位不能操作。")
    interviewed, summary = (interviewed or "").strip(), (summary or "").strip()
    if not interviewed or not summary:
        raise TransitionError("请填写约谈对象和约谈情况。")
    if held_on > timezone.localdate(now):
        raise TransitionError("约谈日期不能晚于今天。")

    def apply(a: Act):
        h = a.case
        h.escalated_to = above
        a.grant_access(above)
        a.notify_units.append(h.holder_unit)
        a.notice = (
            "hazard_escalated",
            f"隐患「{h.title}」（{h.display_code}）超期未整改，已升级至{above}督办。",
        )
        a.data.update(unit=above.name, interviewed=interviewed, held_on=held_on.isoformat())

    return engine.record(HAZARD, hazard.pk, actor, "escalate", now=now, note=summary, apply=apply).case


@engine.atomic
def link_petition(hazard_id, actor, matter, *, now=None):
    """Record that a petition reported this hazard (the petition's page then shows it)."""
    from xinfang.petitions.models import Matter

    if not (actor and actor.does_casework):
        raise TransitionError("您没有办理权限。")
    hazard = _visible(actor, hazard_id)
    if not Matter.objects.visible_to(actor).filter(pk=matter.pk).exists():
        raise TransitionError("所关联的信访事项不在您的工作范围内。")
    if hazard.petition_id == matter.pk:
        raise TransitionError("该隐患已关联此信访事项。")

    def apply(a: Act):
        a.case.petition = matter
        a.data["matter"] = matter.pk

    note = f"关联信访事项{matter.display_code}。"
    return engine.record(HAZARD, hazard.pk, actor, "link_petition", now=now, note=note, apply=apply).case


def sweep(today: date | None = None) -> dict:
    """The kernel's sweeper over hazards: 临期 and 超期 reminders (催办) to the responsible unit."""
    from xinfang.cases.sweeper import sweep as sweep_cases

    now = clock.now() if today is None else clock.local_datetime(today, time(12))
    return sweep_cases(HAZARD, now)
