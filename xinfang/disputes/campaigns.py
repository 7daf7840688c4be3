"""集中排查: a campaign names the units that must report within a period; a unit reports what it
found (disputes registered under the campaign) or a 零报告 (nothing found), which counts as reported.
The units are told when it is launched; the dashboard shows who has not reported, and the organiser
may 催报 them."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count

from xinfang.audit import api as audit
from xinfang.cases.notices import staff_notices
from xinfang.core import clock
from xinfang.core.dates import cn_date
from xinfang.core.outbox import enqueue
from xinfang.org.models import Role

from .models import Campaign, CampaignReport

ORGANISERS = {Role.DISPATCHER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.LEADER}
# Who reports for a unit (and is told of a campaign and its 催报).
REPORTERS = {Role.DISPATCHER, Role.UNIT_HEAD, Role.HANDLER, Role.REGISTRAR}


class CampaignError(Exception):
    pass


def visible_campaigns(user):
    """Campaigns the user's unit organised (or a unit above it did, within its government) or
    must report to."""
    unit = user.unit
    gov = unit.government() or unit
    return Campaign.objects.filter(unit__path__startswith=gov.path) | Campaign.objects.filter(units=unit)


def create(user, *, name, first, last, units) -> Campaign:
    if user.role not in ORGANISERS:
        raise CampaignError("只有交办员、单位负责人、督查员和领导可以组织集中排查。")
    with transaction.atomic():
        campaign = Campaign.objects.create(name=name, first=first, last=last, unit=user.unit, created_by=user)
        campaign.units.set(units)
        audit.record(
            "change", user=user, target=f"dispute_campaign:{campaign.pk}", detail={"action": "create"}
        )
        body = (f"{campaign.unit}组织「{name}」，排查期间{cn_date(first)}起，请于{cn_date(last)}前"
                "登记排查出的矛盾纠纷并报送；没有排查出的，请报送零报告。")  # fmt: skip
        enqueue(staff_notices(units, kind="dispute_campaign", subject=f"集中排查：{name}"[:200], body=body,
                              roles=REPORTERS))  # fmt: skip
    return campaign


def remind(user, campaign: Campaign) -> int:
    """催报: tell the units that have not reported yet; the number of units told."""
    if user.role not in ORGANISERS or user.unit_id != campaign.unit_id:
        raise CampaignError("只有组织单位的交办员、单位负责人、督查员和领导可以催报。")
    reported = campaign.reports.values_list("unit_id", flat=True)
    units = list(campaign.units.exclude(pk__in=reported))
    if not units:
        raise CampaignError("应报送单位均已报送，无需催报。")
    today = clock.today()
    when = "已超过报送截止日期" if today > campaign.last else f"报送截止日期为{cn_date(campaign.last)}"
    body = (
        f"「{campaign.name}」{when}，本单位尚未报送排查情况，请尽快报送（没有排查出矛盾纠纷的，报送零报告）。"
    )
    with transaction.atomic():
        enqueue(staff_notices(units, kind="dispute_campaign", subject=f"催报：{campaign.name}"[:200], body=body,
                              roles=REPORTERS))  # fmt: skip
        audit.record("change", user=user, target=f"dispute_campaign:{campaign.pk}",
                     detail={"action": "remind", "units": [u.pk for u in units]})  # fmt: skip
    return len(units)


def submit(user, campaign: Campaign, *, zero: bool, note="") -> CampaignReport:
    """The user's unit reports to the campaign; a 零报告 must really find nothing."""
    if not campaign.units.filter(pk=user.unit_id).exists():
        raise CampaignError("本单位不在该集中排查的报送范围内。")
    if user.role not in REPORTERS:
        raise CampaignError("您的角色不能报送排查情况。")
    found = campaign.disputes.filter(registering_unit=user.unit).count()
    if zero and found:
        raise CampaignError(f"本单位已在该集中排查中登记{found}件矛盾纠纷，不能报送零报告。")
    if not zero and not found:
        raise CampaignError("本单位尚未登记排查出的矛盾纠纷；没有排查出的，请报送零报告。")
    try:
        with transaction.atomic():
            report = CampaignReport.objects.create(
                campaign=campaign,
                unit=user.unit,
                zero=zero,
                note=note,
                reported_by=user,
                reported_at=clock.now(),
            )
            audit.record(
                "change",
                user=user,
                target=f"dispute_campaign:{campaign.pk}",
                detail={"action": "report", "zero": zero},
            )
    except IntegrityError:
        raise CampaignError("本单位已报送过。") from None
    return report


@dataclass
class Line:
    unit: object
    report: CampaignReport | None
    found: int


def dashboard(campaign: Campaign) -> list[Line]:
    """Every unit that must report: its report (or none yet) and the disputes it registered."""
    reports = {r.unit_id: r for r in campaign.reports.select_related("reported_by")}
    found = dict(
        campaign.disputes.order_by()
        .values("registering_unit")
        .annotate(n=Count("pk"))
        .values_list("registering_unit", "n")
    )
    lines = [Line(u, reports.get(u.pk), found.get(u.pk, 0)) for u in campaign.units.order_by("path")]
    return sorted(lines, key=lambda line: (line.report is not None, line.unit.path))
