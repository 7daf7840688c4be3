"""积案化解 (petition matters): a campaign's rules pick long-unresolved matters and freeze them into a
list; each case is assigned a leader and a unit and tracked to one of the four outcomes (四个到位)
with its evidence; a burn-down and tables per unit and leader show the progress."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q

from xinfang.audit import api as audit
from xinfang.core import clock
from xinfang.org.models import Role, Unit, User
from xinfang.petitions.choices import Resolution
from xinfang.petitions.models import Matter
from xinfang.petitions.services import save_attachment
from xinfang.petitions.workflow import OPEN_STATUSES

from . import case_refs
from .common import OVERSIGHT_ROLES, SupervisionError, oversight_root, require_casework
from .models import Campaign, CampaignCase, CaseOwnership


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
    require_casework(actor, OVERSIGHT_ROLES)
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
    require_casework(actor)
    if actor.role in OVERSIGHT_ROLES and actor.unit.is_within(oversight_root(case.campaign.unit)):
        return
    if actor.pk == case.leader_id:
        return
    if actor.role == Role.UNIT_HEAD and case.unit_id and actor.unit.is_within(case.unit):
        return
    raise SupervisionError("只有专项的督查人员、包案领导和责任单位负责人可以更新该积案。")


def assign_case(actor, case, *, leader=None, unit=None) -> CampaignCase:
    require_casework(actor, OVERSIGHT_ROLES)
    _check_campaign_side(actor, case)
    if leader is not None and leader.role != Role.LEADER:
        raise SupervisionError("包案领导必须是领导。")
    if unit is not None and case_refs.hidden_from([case.matter], unit):
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
    case.files.add(*[save_attachment(case.matter, f, actor) for f in files])
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
