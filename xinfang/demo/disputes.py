"""Demo 矛盾纠纷排查化解 and 网格化 records: grids with their grid workers and an information
reporter per town, a screening campaign part-way through (some 零报告, some units not reported),
disputes at every stage over the last fourteen months (with a surge of 欠薪 disputes in one town in
the last days, which the early warning finds), and grid events through the whole workflow. Every
dispute and event is written through its write path inside one bulk session
(`xinfang.cases.plan.bulk`), its notices kept as history like the matters'."""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from xinfang.cases import plan
from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.demo.city import load_city
from xinfang.demo.generate import history_mode
from xinfang.disputes import campaigns
from xinfang.disputes import services as disputes
from xinfang.disputes import warnings as dispute_warnings
from xinfang.disputes.choices import Status
from xinfang.disputes.models import Dispute, DisputeType
from xinfang.grid import services as grid
from xinfang.grid.choices import Kind
from xinfang.grid.choices import Status as EventStatus
from xinfang.grid.models import Grid
from xinfang.org.models import Role, User

DISTRICTS = 2  # the first two districts (urban 溪东区 and the next) have grids
HISTORY_DAYS = 430
DISPUTES_PER_DAY = 1.3
EVENTS = 300

SUMMARIES = {
    "劳资/欠薪": ("{place}工地拖欠工人工资", "某建筑劳务公司拖欠{n}名工人工资约{amount}万元，工人多次讨要未果，情绪激动。", "要求尽快结清工资"),
    "邻里": ("{place}邻里因噪声发生争执", "楼上住户夜间装修噪声扰民，双方多次争吵，险些动手。", "要求停止夜间施工、赔礼道歉"),
    "婚姻家庭": ("{place}老人赡养纠纷", "老人三个子女对赡养费分担意见不一，老人生活困难。", "要求子女按月支付赡养费"),
    "物业": ("{place}小区物业费纠纷", "业主认为物业服务不到位拒交物业费，物业公司停止部分服务。", "要求物业整改服务、业主缴纳欠费"),
    "土地承包/流转": ("{place}土地流转租金纠纷", "合作社拖欠{n}户村民土地流转租金，村民要求解除合同。", "要求支付租金或收回土地"),
    "房屋建设": ("{place}自建房施工质量纠纷", "房主与施工队因墙体开裂发生争议，施工队拒绝返工。", "要求返工或赔偿"),
    "医疗": ("{place}医疗费用纠纷", "患者家属对手术费用和疗效有异议，与医院协商未果。", "要求减免费用并说明情况"),
    "环境": ("{place}养殖场异味纠纷", "村民反映养殖场异味扰民，与养殖户多次交涉无果。", "要求整改或搬迁"),
}  # fmt: skip
EVENT_TEXTS = [
    (Kind.SAFETY, "{place}井盖缺失", "路口井盖缺失，夜间行人有跌落危险。"),
    (Kind.ENVIRONMENT, "{place}垃圾堆放", "小区出入口垃圾堆放多日未清运，气味较大。"),
    (Kind.FACILITY, "{place}路灯损坏", "主干道三盏路灯不亮，居民夜间出行不便。"),
    (Kind.ORDER, "{place}占道经营", "早市摊贩占用消防通道经营。"),
    (Kind.DISPUTE, "{place}邻里因停车起争执", "两户居民因车位问题争吵，需社区介入调解。"),
    (Kind.LIVELIHOOD, "{place}独居老人需帮扶", "独居老人腿脚不便，家中缺少生活必需品。"),
]


def _stamp(day, rng, hour=None):
    return timezone.make_aware(datetime.combine(day, time(hour or rng.randint(8, 17), rng.randint(0, 59))))


class _Town:
    def __init__(self, division, unit, district):
        self.division, self.unit, self.district = division, unit, district
        staff = {u.role: u for u in User.objects.filter(unit=unit, role__in=[Role.HANDLER, Role.UNIT_HEAD])}
        self.handler, self.head = staff[Role.HANDLER], staff[Role.UNIT_HEAD]
        self.places = list(division.children.order_by("code"))
        self.grids, self.reporters, self.reporters_of = [], [], {}
        self.unit_handlers = {}


def seed(seed=2025) -> dict:
    rng = random.Random(seed + 18)
    city = load_city()
    before = Notification.objects.aggregate(last=Max("id"))["last"] or 0
    with history_mode(), transaction.atomic():
        towns = _grids_and_reporters(city, rng)
        campaign = _campaign(towns)
        counts = _disputes(towns, campaign, rng)
        conversions = []
        counts.update(_events(towns, rng, conversions))
        counts.update(_convert(conversions, rng))
        counts.update(_matter_links(towns))
        _campaign_reports(campaign, towns)
        counts["预警"] = len(dispute_warnings.scan())
        # Like the rest of the history, what these records would have told people stays unsent.
        Notification.objects.filter(pk__gt=before, state=Notification.State.PENDING).update(
            state=Notification.State.SENT
        )
    return counts


def _grids_and_reporters(city, rng) -> list[_Town]:
    towns = []
    password = User.objects.get(username="admin").password  # the demo password, hashed once
    for district in city.districts[:DISTRICTS]:
        for i, (division, unit) in enumerate(district.townships, start=1):
            town = _Town(division, unit, district)
            prefix = f"{district.spec.key}_town{i}"
            informant = User.objects.create(username=f"{prefix}_informant", password=password, unit=unit,
                                            role=Role.INFORMANT, full_name=f"{division.name}信息员")  # fmt: skip
            for j, place in enumerate(town.places[:3], start=1):
                worker = User.objects.create(username=f"{prefix}_grid{j}", password=password, unit=unit,
                                             role=Role.GRID_WORKER, full_name=f"{place.name}网格员")  # fmt: skip
                g = Grid.objects.create(
                    code=f"{place.code}001", name=f"{place.name}第1网格", division=place, unit=unit
                )
                g.workers.add(worker, informant)
                town.grids.append(g)
                town.reporters.append(worker)
                town.reporters_of[g.pk] = [worker, informant]
            town.reporters.append(informant)
            towns.append(town)
    return towns


def _campaign(towns):
    today = clock.today()
    dispatcher = User.objects.get(username="district1_dispatcher")
    units = [t.unit for t in towns if t.district is towns[0].district]
    return campaigns.create(dispatcher, name=f"{today.year + 1}年春节前矛盾纠纷集中排查",
                            first=today - timedelta(days=10), last=today + timedelta(days=5), units=units)  # fmt: skip


def _campaign_reports(campaign, towns):
    """The first town reports what it found, the second and third report 零报告, the rest not yet."""
    mine = [t for t in towns if t.district is towns[0].district]
    campaigns.submit(mine[0].head, campaign, zero=False, note="排查出的纠纷已逐件登记。")
    for town in mine[1:3]:
        campaigns.submit(town.head, campaign, zero=True, note="经排查，本街道未发现新的矛盾纠纷。")


def _disputes(towns, campaign, rng) -> dict:
    today = clock.today()
    types = {t.name: list(t.children.all()) for t in DisputeType.objects.filter(parent=None)}
    names = list(SUMMARIES)
    weights = [5, 4, 3, 3, 2, 2, 1, 1]
    counts = {"矛盾纠纷": 0}
    surge_town = towns[1]
    with plan.bulk(audit_target="demo", audit_detail={"action": "demo"}, history=True):
        for age in range(HISTORY_DAYS, 0, -1):
            day = today - timedelta(days=age)
            n = int(DISPUTES_PER_DAY) + (rng.random() < DISPUTES_PER_DAY % 1)
            for _ in range(n):
                _one(rng.choice(towns), rng.choices(names, weights)[0], types, day, today, rng, counts)
            if age <= 4:  # a surge of 欠薪 disputes in one town before 春节
                for _ in range(4):
                    _one(surge_town, "劳资/欠薪", types, day, today, rng, counts)
        for town in [t for t in towns if t.unit in set(campaign.units.all())][:1]:
            for _ in range(3):
                _one(
                    town, "劳资/欠薪", types, today - timedelta(days=3), today, rng, counts, campaign=campaign
                )
    return counts


def _one(town, type_name, types, day, today, rng, counts, campaign=None):
    title, summary, claims = SUMMARIES[type_name]
    place = rng.choice(town.places)
    n = rng.randint(2, 30)
    amount = rng.randint(2, 60)
    grid = next((g for g in town.grids if g.division_id == place.pk), None)
    fields = {
        "screened_on": day,
        "source": "campaign" if campaign else rng.choice(["routine", "routine", "grid", "informant", "hotline", "committee"]),
        "campaign": campaign,
        "dispute_type": rng.choice(types[type_name]),
        "division": place,
        "grid": grid,
        "title": title.format(place=place.name),
        "summary": summary.format(n=n, amount=amount),
        "claims": claims,
        "headcount": n,
        "amount": amount * 10000 if type_name == "劳资/欠薪" else None,
    }  # fmt: skip
    parties = [{"kind": "person", "side": "applicant", "name": f"{place.name[:1]}先生", "phone": "13900000000"},
               {"kind": "person", "side": "respondent", "name": f"{place.name[1:2]}女士"}]  # fmt: skip
    now = _stamp(day, rng)
    d = disputes.register_dispute(town.handler, fields=fields, parties=parties, now=now)
    counts["矛盾纠纷"] += 1
    age = (today - day).days
    # The older a dispute, the further it has gone; a few stay where they are for every stage.
    stage = rng.random() * min(1.0, age / 60)
    if age < 1 or stage < 0.05:
        return
    step = now
    major = rng.random() < 0.06

    def later(days):
        nonlocal step
        step = min(step + timedelta(days=days, hours=rng.randint(1, 5)), _stamp(today, rng, 8))
        return step

    disputes.perform(d.pk, town.head, "assess", now=later(1), risk="major" if major else rng.choice(["general", "general", "larger"]),
                     reasons=["group", "sensitive"] if major else [], leaders=[town.head], resolver=town.handler,
                     method="people", unit=town.unit)  # fmt: skip
    if stage < 0.2:
        return
    for k in range(rng.randint(1, 3)):
        disputes.perform(d.pk, town.handler, "attempt", now=later(rng.randint(1, 8)), method="people",
                         participants="双方当事人、村（社区）调解委员会", result="progress",
                         mediator="人民调解员", note=f"第{k + 1}次调解，双方各自陈述。")  # fmt: skip
    if stage < 0.35:
        return
    if rng.random() < 0.85:
        disputes.perform(
            d.pk, town.handler, "resolve", now=later(2), has_agreement=True, note="双方达成调解协议。"
        )
    else:
        disputes.perform(d.pk, town.handler, "fail", now=later(2), next_channel=rng.choice(["litigation", "arbitration", "petition"]),
                         note="双方分歧较大，引导通过法律途径解决。")  # fmt: skip
    if stage < 0.5:
        return
    disputes.perform(
        d.pk, town.handler, "follow_up", now=later(rng.randint(5, 14)), note="回访当事人，协议已履行。"
    )
    if stage < 0.6:
        return
    disputes.perform(d.pk, town.head, "close", now=later(1))


def _events(towns, rng, conversions) -> dict:
    """Events through the workflow; some accepted ones are left in `conversions` to become a
    dispute or a petition matter once the session is written (those write paths read the event)."""
    today = clock.today()
    made = {"网格事件": 0}
    with plan.bulk(audit_target="demo", audit_detail={"action": "demo"}, history=True):
        for i in range(EVENTS):
            town = towns[i % len(towns)]
            g = rng.choice(town.grids)
            reporter = rng.choice(town.reporters_of[g.pk])
            kind, title, text = rng.choice(EVENT_TEXTS)
            day = today - timedelta(days=rng.randint(0, 60))
            now = _stamp(day, rng)
            e = grid.report(reporter, kind=kind, title=title.format(place=g.division.name), description=text,
                            grid=g, headcount=rng.randint(1, 6), urgent=rng.random() < 0.1, now=now)  # fmt: skip
            made["网格事件"] += 1
            age = (today - day).days
            stage = rng.random() * min(1.0, age / 10)
            if age < 1 or stage < 0.1:
                continue
            step = now

            def later(hours, step_=None):
                nonlocal step
                step = min(step + timedelta(hours=hours), _stamp(today, rng, 8))
                return step

            if rng.random() < 0.06:
                grid.perform(
                    e.pk, town.head, "reject", now=later(3), reason="invalid", note="经核实，不属于网格事件。"
                )
                continue
            grid.perform(e.pk, town.handler, "accept", now=later(2))
            if stage < 0.2:
                continue
            if kind in CONVERTED and rng.random() < CONVERTED[kind]:
                conversions.append((e.pk, kind, town, later(3)))
                continue
            unit = town.district.units.get("zhujian") or town.unit if kind == Kind.SAFETY else town.unit
            grid.perform(e.pk, town.head, "dispatch", now=later(3), unit=unit, urgent=e.urgent)
            if stage < 0.35:
                continue
            if unit.pk not in town.unit_handlers:
                town.unit_handlers[unit.pk] = User.objects.filter(unit=unit, role=Role.HANDLER).first()
            handler = town.unit_handlers[unit.pk]
            grid.perform(e.pk, handler, "handle", now=later(rng.randint(4, 120)), note="已到现场处置完毕。")
            if stage < 0.5:
                continue
            passed = rng.random() < 0.9
            grid.perform(e.pk, reporter, "confirm", now=later(20), passed=passed,
                         note="" if passed else "现场仍未处理到位。")  # fmt: skip
            if not passed or stage < 0.6:
                continue
            grid.perform(e.pk, town.handler, "close", now=later(4))
    return made


# Accepted events that become another case: a neighbours' quarrel a dispute (转为矛盾纠纷), an old
# person's need of help a petition matter of the district bureau (转为信访事项); the share of each.
CONVERTED = {Kind.DISPUTE: 0.5, Kind.LIVELIHOOD: 0.3}


def _convert(conversions, rng) -> dict:
    from xinfang.petitions.choices import Channel
    from xinfang.petitions.models import Category

    made = {"转为矛盾纠纷的网格事件": 0, "转为信访事项的网格事件": 0}
    neighbours = DisputeType.objects.filter(parent__name="邻里").order_by("order", "id").first()
    elderly = Category.objects.get(parent__name="民政", name="养老服务")
    for pk, kind, town, now in conversions:
        if kind == Kind.DISPUTE:
            parties = [{"kind": "person", "side": "applicant", "name": "甲先生", "phone": "13900000001"},
                       {"kind": "person", "side": "respondent", "name": "乙女士"}]  # fmt: skip
            disputes.from_event(pk, town.head, dispute_type=neighbours, parties=parties, now=now)
            made["转为矛盾纠纷的网格事件"] += 1
        else:
            registrar = User.objects.get(username=f"{town.district.spec.key}_registrar")
            grid.to_matter(pk, registrar, category=elderly, channel=Channel.VISIT, now=now)
            made["转为信访事项的网格事件"] += 1
    return made


# The petition category a dispute becomes when its party petitions (调解不成转信访).
CATEGORY_OF_TYPE = {
    "劳资/欠薪": ("劳动和社会保障", "工资福利"),
    "土地承包/流转": ("农村农业", "农村土地承包"),
    "物业": ("城乡建设", "物业管理"),
    "房屋建设": ("城乡建设", "住房保障与房地产"),
    "医疗": ("卫生计生", "医患纠纷"),
    "环境": ("环境保护", "大气污染"),
}


def _matter_links(towns) -> dict:
    """Disputes and petition matters, both ways: in each town, a dispute that mediation did not
    settle and whose party petitions becomes a matter of the district bureau, and a matter filed
    there is linked to a dispute being mediated behind it — so both pages show the link."""
    from xinfang.petitions.choices import Channel
    from xinfang.petitions.models import Category, Matter

    made = {"转为信访事项的矛盾纠纷": 0, "关联背后纠纷的信访事项": 0}
    for town in towns:
        registrar = User.objects.get(username=f"{town.district.spec.key}_registrar")
        mine = Dispute.objects.visible_to(registrar).filter(division__path__startswith=town.division.path)
        failed = mine.filter(outcome="failed", next_channel="petition").select_related("type_top").first()
        if failed is not None:
            parent, name = CATEGORY_OF_TYPE.get(failed.type_top.name, ("其他", "其他"))
            category = Category.objects.get(parent__name=parent, name=name)
            disputes.to_matter(failed.pk, registrar, category=category, channel=Channel.VISIT)
            made["转为信访事项的矛盾纠纷"] += 1
        matter = (
            Matter.objects.visible_to(registrar).filter(division__path__startswith=town.division.path)
            .filter(dispute_links=None).order_by("-received_at").first()
        )  # fmt: skip
        open_dispute = mine.filter(status=Status.MEDIATING).order_by("-screened_on").first()
        if matter is not None and open_dispute is not None:
            disputes.link_matter(open_dispute.pk, registrar, matter)
            made["关联背后纠纷的信访事项"] += 1
    return made


__all__ = ["EventStatus", "Status", "seed"]
