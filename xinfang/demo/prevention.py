"""Demo records of the prevention ledgers, written through their write paths in bulk sessions
(xinfang/cases/plan.py), like the demo's matters: an enterprise register of the city, hazards at
every stage (rectified and struck off, rejected once, overdue, major hazards with their 五落实,
a partial stoppage, 挂牌督办, an escalation with 约谈, one reported by a petition), and stability
risk assessments at every step, several with their report issued and decided.

The stories run up to a day whose working-day deadlines the calendar can still count; their
notices are kept as history (sent, never delivered)."""

import random
import struct
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from xinfang.assessments import services as assessments
from xinfang.assessments.models import Hearing
from xinfang.cases.plan import bulk
from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.deadlines.policies import ASSESSMENT_STEPS, HAZARD_STEPS
from xinfang.deadlines.service import current_calendar, policy
from xinfang.hazards import credit
from xinfang.hazards import services as hazards
from xinfang.hazards.choices import Industry, Level, Source, Status
from xinfang.hazards.models import Enterprise, Hazard, HazardPhoto, HazardType
from xinfang.org.models import Division, Role
from xinfang.petitions.models import Matter
from xinfang.supervision import reminders

from .city import City, person_name
from .generate import history_mode

R = Role
ENTERPRISES_PER_DISTRICT = 48
HAZARDS = 900
BATCH = 300
BRANDS = "恒达 宏远 鑫源 瑞丰 港兴 金鼎 华信 永盛 众合 鼎盛 新锐 汇通 顺安 德隆 博远 晟泰 溪源 隆兴 嘉禾 锦程 天和 润泽".split()
KINDS = {
    Industry.MANUFACTURING: (
        ["化工", "机械", "塑胶", "纺织", "家具", "食品", "电子", "金属制品"],
        "有限公司",
        30,
    ),
    Industry.CONSTRUCTION: (["建筑工程", "安置房项目工地", "市政道路工程工地", "幕墙工程"], "", 18),
    Industry.TRADE: (["商贸城", "加油站", "超市", "建材市场"], "", 14),
    Industry.TRANSPORT: (["物流", "客运", "危货运输", "仓储"], "有限公司", 10),
    Industry.HOSPITALITY: (["大酒店", "餐饮管理", "宾馆"], "", 10),
    Industry.UTILITIES: (["燃气", "供热", "水务"], "有限公司", 5),
    Industry.MINING: (["石料场", "砂石"], "", 3),
    Industry.EDUCATION: (["实验学校", "幼儿园"], "", 5),
    Industry.CULTURE: (["影城", "游乐园", "体育馆"], "", 5),
}
# The department of the district (or of the city) that supervises each industry's safety.
SUPERVISOR = {
    Industry.MANUFACTURING: "yingji",
    Industry.MINING: "yingji",
    Industry.UTILITIES: "zhujian",
    Industry.CONSTRUCTION: "zhujian",
    Industry.TRADE: "shichang",
    Industry.HOSPITALITY: "shichang",
    Industry.EDUCATION: "jiaoyu",
    Industry.TRANSPORT: "city:jiaotong",
    Industry.CULTURE: "city:wenlv",
}
TYPES = {
    Industry.MANUFACTURING: ["危化品", "用电", "粉尘防爆", "有限空间", "特种设备", "消防"],
    Industry.MINING: ["非法开采", "用电", "特种设备"],
    Industry.UTILITIES: ["燃气", "特种设备"],
    Industry.CONSTRUCTION: ["建筑施工", "用电", "特种设备", "消防"],
    Industry.TRADE: ["消防", "用电", "燃气"],
    Industry.HOSPITALITY: ["燃气", "消防", "用电"],
    Industry.EDUCATION: ["消防", "用电", "特种设备"],
    Industry.TRANSPORT: ["道路交通", "危化品", "消防"],
    Industry.CULTURE: ["特种设备", "消防", "用电"],
}
FINDINGS = {
    "危化品": [("危化品仓库防爆灯损坏", "仓库两盏防爆灯灯罩破裂，库内存放易燃液体。", "立即更换防爆灯具，检查库内电气线路。"),
             ("危化品混存", "氧化剂与易燃物同库存放，未按规定分区隔离。", "立即分区隔离存放，设置警示标志。")],
    "用电": [("配电箱未接地", "车间配电箱外壳未接地，线路私拉乱接。", "规范敷设线路，配电箱可靠接地。"),
           ("临时用电不规范", "作业区临时用电未使用三级配电两级保护。", "按规范设置三级配电两级保护。")],
    "粉尘防爆": [("除尘系统未设泄爆装置", "打磨车间除尘器未设置泄爆口，积尘未及时清理。", "加装泄爆装置，建立清扫制度。")],
    "有限空间": [("有限空间作业未审批", "污水池清理作业未经审批，未配备气体检测仪。", "落实作业审批，配备检测和防护设备。")],
    "特种设备": [("起重机械超期未检", "车间桥式起重机检验合格证已过期。", "立即停用，检验合格后方可使用。"),
             ("电梯维保记录缺失", "两台电梯近三个月无维保记录。", "落实维保单位，补齐维保记录。")],
    "消防": [("消防通道被占用", "疏散通道堆放货物，安全出口上锁。", "立即清理通道，保持安全出口畅通。"),
           ("灭火器失效", "多具灭火器压力不足，未定期检查。", "更换失效灭火器，建立月度检查记录。")],
    "非法开采": [("越界开采", "开采范围超出许可红线，边坡陡峭无防护。", "立即停止越界开采，对边坡进行治理。")],
    "燃气": [("燃气管道无报警装置", "后厨燃气管道未安装可燃气体报警装置。", "安装可燃气体报警和紧急切断装置。"),
           ("液化气钢瓶违规存放", "餐厅在地下室存放液化气钢瓶。", "立即搬离地下室，改用管道燃气。")],
    "建筑施工": [("深基坑支护变形", "基坑东侧支护桩出现位移，监测数据超预警值。", "立即停止基坑周边作业，加固支护结构。"),
             ("脚手架连墙件缺失", "外脚手架连墙件设置不足，立杆基础积水。", "按方案补设连墙件，排除积水。")],
    "道路交通": [("危货车辆动态监控离线", "三辆危货运输车辆卫星定位长期离线。", "修复监控设备，加强动态监控。")],
}  # fmt: skip
PLAN_MEASURES = "停用相关设施，委托有资质单位制定并实施治理方案，治理期间设专人值守。"
SEED_TEXT = {
    "hearing": "多数群众支持决策，部分群众对补偿标准、施工扰民和过渡安置提出意见。",
    "plan": "采取公示、问卷调查、走访和座谈相结合的方式听取意见，分析论证后形成评估报告。",
}
DECISIONS = [
    (
        "{district}老旧小区改造项目",
        "project",
        "改造老旧小区{n}个，加装电梯、改造管网。",
        "小区居民约{people}人",
    ),
    ("{district}城中村征收项目", "land", "征收城中村房屋{n}户，建设安置房。", "被征收户{n}户约{people}人"),
    (
        "{district}农贸市场搬迁",
        "reform",
        "农贸市场整体搬迁至新址，原址改建公园。",
        "市场经营户{n}户及周边居民",
    ),
    ("{district}公交票价调整", "price", "调整城区公交基础票价并实行换乘优惠。", "城区公交乘客约{people}人"),
    (
        "{district}垃圾焚烧发电项目",
        "environment",
        "新建日处理{n}吨生活垃圾焚烧发电厂。",
        "厂址周边三公里居民约{people}人",
    ),
]


def png(rgb) -> bytes:
    """A 64×48 picture of one colour with a darker band: the demo's stand-in for a site photo."""
    width, height = 64, 48
    dark = bytes(int(c * 0.6) for c in rgb)
    rows = b"".join(b"\x00" + (dark if 18 <= y < 30 else bytes(rgb)) * width for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    """A one-page PDF: the demo's stand-in for the record of a hearing."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


@dataclass
class Files:
    """Demo files stored once (encrypted like every attachment) and named by many rows."""

    before: str
    after: str
    record: str

    @classmethod
    def store(cls):
        def save(name, content):
            return default_storage.save(f"attachments/demo/{name}", ContentFile(content))

        return cls(
            save("现场照片.png", png((200, 90, 60))),
            save("整改后照片.png", png((80, 160, 90))),
            save("座谈会纪要.pdf", pdf()),
        )

    def photo(self, after=True):
        name = self.after if after else self.before
        return HazardPhoto(
            file=name,
            name="整改后照片.png" if after else "现场照片.png",
            size=default_storage.size(name),
            content_type="image/png",
        )

    def hearing(self):
        return Hearing(
            file=self.record,
            name="座谈会纪要.pdf",
            size=default_storage.size(self.record),
            content_type="application/pdf",
        )


def safe_day(today: date) -> date:
    """The last day on which a step of the ledgers can still start: their working-day deadlines
    must end within the years whose holiday schedule is known."""
    rules = policy("national")
    longest = max(
        p.days
        for step, p in rules.items()
        if p.working and (step in HAZARD_STEPS or step in ASSESSMENT_STEPS)
    )
    last = date(current_calendar().last_year, 12, 31) - timedelta(days=longest * 7 // 5 + 14)
    return min(today, last)


def seed(city: City, seed=2025) -> dict:
    """Enterprises, hazards and assessments of the demo city; returns what was made."""
    with history_mode():
        return Prevention(city, random.Random(seed)).run()


class Prevention:
    def __init__(self, city: City, rng):
        self.city, self.rng = city, rng
        self.today = safe_day(clock.today())
        self.types = {t.name: t for t in HazardType.objects.all()}
        self.counts = {}

    def at(self, day: date, hour=10) -> datetime:
        return clock.local_datetime(day, time(hour, self.rng.randrange(60)))

    def user(self, unit, role=R.HANDLER):
        return self.city.user(unit, role)

    def run(self) -> dict:
        self.files = Files.store()
        self.enterprises = self.make_enterprises()
        with bulk(audit_target="demo", audit_detail={"action": "demo"}, history=True) as session:
            self.showcase(session)
        self.remind(*self.reminder)
        stories = [self.story() for _ in range(HAZARDS)]
        for i in range(0, len(stories), BATCH):
            with bulk(audit_target="demo", audit_detail={"action": "demo"}, history=True):
                for enterprise, plan in stories[i : i + BATCH]:
                    self.tell(enterprise, plan)
        with bulk(audit_target="demo", audit_detail={"action": "demo"}, history=True) as session:
            self.make_assessments(session)
        return {"生产经营单位": len(self.enterprises), **self.counts}

    def remind(self, hazard_id, supervisor, at):
        """A 催办 by hand, through supervision; its notices are history, kept as sent (as the
        bulk sessions' are)."""
        before = Notification.objects.aggregate(last=Max("id"))["last"] or 0
        with transaction.atomic():
            note = "请督促企业立即落实作业审批制度。"
            reminders.remind(supervisor, Hazard.objects.get(pk=hazard_id), note, now=at)
            Notification.objects.filter(pk__gt=before, state=Notification.State.PENDING).update(
                state=Notification.State.SENT
            )

    # ------------------------------------------------------------ the register

    def make_enterprises(self) -> list:
        rows, rng = [], self.rng
        weights = [k[2] for k in KINDS.values()]
        names = set()
        for district in self.city.districts:
            places = list(Division.objects.filter(path__startswith=district.division.path, level=5))
            for _ in range(ENTERPRISES_PER_DISTRICT):
                industry = rng.choices(list(KINDS), weights)[0]
                words, suffix, _ = KINDS[industry]
                place = rng.choice(places)
                name = f"{district.spec.short}{rng.choice(BRANDS)}{rng.choice(words)}{suffix}"
                if name in names:
                    continue
                names.add(name)
                unit_key = SUPERVISOR[industry]
                unit = (
                    self.city.units[unit_key[5:]]
                    if unit_key.startswith("city:")
                    else district.units[unit_key]
                )
                body = (
                    "91"
                    + place.code[:6]
                    + "".join(rng.choice(credit.ALPHABET[:10] + "ABCDEFGHJK") for _ in range(9))
                )
                rows.append(
                    Enterprise(
                        name=name,
                        credit_code=body + credit.check_character(body) if suffix else "",
                        industry=industry,
                        division=place,
                        address=f"{place.name}{rng.randint(1, 300)}号",
                        supervising_unit=unit,
                        contact_name=person_name(rng),
                        contact_phone=f"13{rng.randint(100000000, 999999999)}",
                    )
                )
        Enterprise.objects.bulk_create(rows, batch_size=500)
        return list(Enterprise.objects.select_related("division", "supervising_unit").order_by("pk"))

    # ------------------------------------------------------------ hazards

    def story(self):
        rng = self.rng
        enterprise = rng.choice(self.enterprises)
        found = self.today - timedelta(days=rng.randrange(3, 365))
        major = rng.random() < 0.05
        stall = rng.random() < (0.12 if (self.today - found).days > 40 else 0.3)
        return enterprise, {
            "found": found,
            "major": major,
            "stall": stall,
            "reject": rng.random() < 0.08,
            "late": rng.random() < 0.15,
            "source": rng.choices(
                [Source.INSPECTION, Source.SELF_CHECK, Source.PUBLIC, Source.GRID], [55, 22, 8, 15]
            )[0],
        }

    def register(
        self, enterprise, found: date, *, level=Level.GENERAL, source=Source.INSPECTION, actor=None, **extra
    ):
        rng = self.rng
        kind = rng.choice(TYPES[enterprise.industry])
        title, description, requirement = rng.choice(FINDINGS[kind])
        actor = actor or self.user(enterprise.supervising_unit)
        if source == Source.GRID:
            actor = self.township_handler(enterprise) or actor
        fields = {
            "enterprise": enterprise,
            "hazard_type": self.types[kind],
            "level": level,
            "source": source,
            "found_on": found,
            "found_by": "检查组" if source == Source.INSPECTION else "",
            "location": rng.choice(
                ["一号车间", "二号仓库", "配电房", "后厨", "施工现场东侧", "地下室", "厂区道路"]
            ),
            "title": extra.pop("title", title),
            "description": description,
            **extra,
        }
        hazard = hazards.register_hazard(actor, fields=fields, now=self.at(found, 9))
        return hazard, requirement

    def township_handler(self, enterprise):
        for district in self.city.districts:
            for division, unit in district.townships:
                if enterprise.division.path.startswith(division.path):
                    return self.user(unit)
        return None

    def act(self, hazard, action, day: date, actor=None, **params):
        unit = hazard.holder_unit
        actor = actor or self.user(
            unit,
            R.UNIT_HEAD if action in {"approve_plan", "close", "revoke", "order_stoppage"} else R.HANDLER,
        )
        return hazards.perform(hazard.pk, actor, action, now=self.at(day, 14), **params)

    def tell(self, enterprise, plan):
        """One hazard taken as far as its story goes before today."""
        rng, today = self.rng, self.today
        level = Level.MAJOR if plan["major"] else Level.GENERAL
        hazard, requirement = self.register(enterprise, plan["found"], level=level, source=plan["source"])
        day = plan["found"] + timedelta(days=rng.randrange(0, 3))
        if day > today:
            return self.count(hazard)
        hazard = self.act(hazard, "notify", day, requirements=requirement)
        if hazard.is_major:
            day += timedelta(days=rng.randrange(3, 14))
            if day > today or plan["stall"]:
                return self.count(hazard)
            hazard = self.act(hazard, "approve_plan", day, **self.five(day))
        rounds = 2 if plan["reject"] else 1
        for round_ in range(rounds):
            span = (hazard.due_date - day).days
            work = span + rng.randrange(3, 20) if plan["late"] else rng.randrange(2, max(3, span))
            day += timedelta(days=work)
            if day > today or (plan["stall"] and round_ == rounds - 1):
                return self.count(hazard)
            hazard = self.act(hazard, "request_acceptance", day, note="已按要求完成整改。")
            day += timedelta(days=rng.randrange(1, 5))
            if day > today:
                return self.count(hazard)
            if round_ < rounds - 1:
                hazard = self.act(hazard, "reject", day, note="整改不到位，请按整改要求重新整改。")
        hazard = self.act(hazard, "accept", day, note="经现场复查，整改到位。", photos=[self.files.photo()])
        day += timedelta(days=rng.randrange(1, 6))
        if day <= today:
            hazard = self.act(hazard, "close", day)
        return self.count(hazard)

    def five(self, day):
        return {
            "plan_person": f"{person_name(self.rng)}（总经理）",
            "plan_unit": "企业安全管理部",
            "plan_measures": PLAN_MEASURES,
            "plan_funds": Decimal(self.rng.randrange(5, 200) * 10000),
            "plan_deadline": day + timedelta(days=self.rng.randrange(30, 80)),
            "plan_contingency": "制定专项应急预案，配备应急物资，组织演练。",
        }

    def count(self, hazard):
        label = Status(hazard.status).label
        self.counts[f"隐患（{label}）"] = self.counts.get(f"隐患（{label}）", 0) + 1
        return hazard

    def showcase(self, session):
        """The stages and special cases every demo shows, whatever the seed draws."""
        today = self.today
        district = self.city.districts[0]
        own = [e for e in self.enterprises if e.supervising_unit.parent_id == district.gov.pk]
        by_industry = {}
        for e in own:
            by_industry.setdefault(e.industry, e)
        chem = by_industry.get(Industry.MANUFACTURING, own[0])
        site = by_industry.get(Industry.CONSTRUCTION, own[1])
        shop = by_industry.get(Industry.TRADE, own[2])
        # Registered today, waiting for its notice; put on notice and being rectified.
        self.count(self.register(shop, today, title="疏散指示标志不亮")[0])
        h, req = self.register(chem, today - timedelta(days=6), title="配电箱未接地")
        self.count(self.act(h, "notify", today - timedelta(days=5), requirements=req))
        # Overdue, reminded by the sweeper's rule and escalated with a 约谈.
        h, req = self.register(chem, today - timedelta(days=70), title="有限空间作业未审批")
        h = self.act(h, "notify", today - timedelta(days=69), requirements=req)
        overdue = h
        # Waiting for acceptance; rejected once and being rectified again; struck off.
        h, req = self.register(shop, today - timedelta(days=20), title="灭火器失效")
        h = self.act(h, "notify", today - timedelta(days=19), requirements=req)
        self.count(
            self.act(
                h,
                "request_acceptance",
                today - timedelta(days=1),
                note="已更换全部灭火器。",
                photos=[self.files.photo()],
            )
        )
        h, req = self.register(site, today - timedelta(days=40), title="脚手架连墙件缺失")
        h = self.act(h, "notify", today - timedelta(days=39), requirements=req)
        h = self.act(h, "request_acceptance", today - timedelta(days=20), note="已补设连墙件。")
        self.count(self.act(h, "reject", today - timedelta(days=18), note="东立面连墙件仍不足，请重新整改。"))
        # Reported by a petition: registered by the district's petition bureau, which keeps the link.
        h, req = self.register(
            chem, today - timedelta(days=50), title="危化品仓库防爆灯损坏", source=Source.PETITION,
            petition=self.petition(district), actor=self.city.user(district.bureau, R.REGISTRAR),
        )  # fmt: skip
        h = self.act(h, "notify", today - timedelta(days=49), requirements=req)
        h = self.act(h, "request_acceptance", today - timedelta(days=30), note="已更换防爆灯具。")
        h = self.act(
            h,
            "accept",
            today - timedelta(days=28),
            note="经现场复查，整改到位。",
            photos=[self.files.photo()],
        )
        self.count(self.act(h, "close", today - timedelta(days=26)))
        # Major hazards: waiting for the plan (with a partial stoppage), in governance and listed.
        h, req = self.register(site, today - timedelta(days=5), level=Level.MAJOR, title="深基坑支护变形")
        h = self.act(
            h,
            "notify",
            today - timedelta(days=4),
            requirements=req,
            stoppage="partial",
            stoppage_scope="基坑东侧作业面",
        )
        self.count(h)
        listed, req = self.register(
            chem, today - timedelta(days=30), level=Level.MAJOR, title="液氯储罐区无泄漏报警装置"
        )
        listed = self.act(listed, "notify", today - timedelta(days=29), requirements=req)
        listed = self.act(
            listed, "approve_plan", today - timedelta(days=20), **self.five(today - timedelta(days=20))
        )
        # A mistaken registration withdrawn.
        h, _ = self.register(shop, today - timedelta(days=10), title="重复登记的隐患")
        self.count(self.act(h, "revoke", today - timedelta(days=9), note="与已登记隐患重复。"))
        session.flush()  # the oversight acts look the hazards up in the database
        supervisor = self.city.user(self.city.bureau, R.SUPERVISOR)
        self.count(
            hazards.list_for_supervision(
                listed.pk, supervisor, requirement="按治理方案按期完成治理，每半月报送进展。",
                due_on=today + timedelta(days=45), now=self.at(today - timedelta(days=18)),
            )
        )  # fmt: skip
        # supervision writes its 催办 through the ORM: after the bulk session (run() below)
        self.reminder = (overdue.pk, supervisor, self.at(today - timedelta(days=30)))
        self.count(
            hazards.escalate(
                overdue.pk, supervisor, interviewed="企业主要负责人、区应急管理局分管负责人",
                held_on=today - timedelta(days=3), summary="约谈要求企业十日内完成整改，区应急管理局每周督查。",
                now=self.at(today - timedelta(days=3)),
            )
        )  # fmt: skip
        self.counts["挂牌督办"] = 1

    def petition(self, district):
        """A petition of the district (its bureau sees every one), if the demo has one."""
        return Matter.objects.filter(division__path__startswith=district.division.path).order_by("pk").first()

    # ------------------------------------------------------------ assessments

    def make_assessments(self, session):
        rng, today = self.rng, self.today
        links = []  # decisions implemented: the petitions that arose afterwards
        steps = [
            "planning",
            "hearing",
            "analysing",
            "grading",
            "reporting",
            "deciding",
            "tracking",
            "closed",
            "closed",
            "tracking",
        ]
        for i, goal in enumerate(steps):
            district = self.city.districts[i % len(self.city.districts)]
            title, kind, summary, affected = DECISIONS[i % len(DECISIONS)]
            n, people = rng.randrange(50, 400), rng.randrange(800, 20000)
            unit = district.units["zhujian"]
            handler, head = self.user(unit), self.user(unit, R.UNIT_HEAD)
            day = today - timedelta(days=120 - i * 6)
            fields = {
                "title": title.format(district=district.spec.name)
                + ("" if i < len(DECISIONS) else "（二期）"),
                "summary": summary.format(n=n),
                "decision_type": kind,
                "division": district.division,
                "deciding_organ": district.gov,
                "assessing_unit": unit,
                "affected": affected.format(n=n, people=people),
                "affected_count": people,
                "planned_decision_on": today + timedelta(days=60),
            }
            a = assessments.register_assessment(handler, fields=fields, now=self.at(day, 9))

            def step(action, actor=handler, **params):
                nonlocal day, a
                day += timedelta(days=rng.randrange(1, 4))
                a = assessments.perform(a.pk, actor, action, now=self.at(day), **params)

            order = [
                "planning",
                "hearing",
                "analysing",
                "grading",
                "reporting",
                "deciding",
                "tracking",
                "closed",
            ]
            reach = order.index(goal)
            if reach >= 1:
                step("set_plan", plan_text=SEED_TEXT["plan"])
            if reach >= 2:
                for method in rng.sample(["notice", "survey", "visit", "forum", "hearing"], 3):
                    reached = rng.randrange(40, 600)
                    objected = int(reached * rng.choice([0.08, 0.15, 0.3, 0.55]))
                    step(
                        "record_hearing", record=self.files.hearing(), method=method, reached=reached,
                        views=rng.randrange(10, reached), supported=reached - objected - rng.randrange(0, 10),
                        objected=objected, summary=SEED_TEXT["hearing"],
                    )  # fmt: skip
                step("finish_hearing")
            if reach >= 3:
                step(
                    "record_risk",
                    description="部分群众对补偿标准有意见，可能引发集体上访。",
                    likelihood="medium",
                    impact="medium",
                    mitigation="公开补偿标准，一户一策做好解释。",
                )
                step(
                    "record_risk",
                    description="施工期间噪声扬尘扰民。",
                    likelihood="high",
                    impact="low",
                    mitigation="合理安排施工时间，落实降尘措施。",
                )
                step(
                    "finish_analysis", legality="决策事项符合法律法规和政策规定，程序合法。", rationality="兼顾各方利益，补偿标准合理。",
                    feasibility="资金、用地和实施条件已落实。", controllability="风险可防可控，已制定化解措施和应急预案。",
                )  # fmt: skip
            if reach >= 4:
                level = rng.choice(["low", "medium", "medium", "high"]) if i != 7 else "high"
                step("grade", actor=head, risk_level=level, level_basis="综合听取意见情况和风险点分析确定。")
            if reach >= 5:
                recommendation = "adjust" if a.risk_level == "high" else "implement"
                reason = (
                    "项目为重大民生工程，调整补偿方案、分期实施后风险可控。" if a.risk_level == "high" else ""
                )
                step(
                    "issue_report", actor=head, recommendation=recommendation, go_ahead_reason=reason,
                    mitigation="公开决策信息，设立咨询接待点，落实包片责任。", emergency_plan="发生群体性聚集时，属地和公安按预案处置，领导现场接访。",
                )  # fmt: skip
            if reach >= 6:
                leader = self.city.user(district.gov, R.LEADER)
                decision = "postpone" if goal == "closed" and i % 2 == 0 else a.recommendation
                if i == 9:
                    decision = "implement"  # taken against an 调整后实施 or matching 实施 recommendation
                step("decide", actor=leader, decision=decision, note="经政府常务会议研究决定。")
            if a.status == "tracking":
                step("record_followup", findings="决策实施总体平稳，群众反映的问题已逐一答复。")
                if goal == "closed":
                    step("close", actor=head)
                else:
                    links.append((a, handler, district, self.at(day + timedelta(days=1))))
            self.counts[f"稳评（{a.get_status_display()}）"] = (
                self.counts.get(f"稳评（{a.get_status_display()}）", 0) + 1
            )
        session.flush()  # linking looks the assessment and the petition up in the database
        for a, handler, district, moment in links:
            matter = (
                Matter.objects.visible_to(handler)
                .filter(division__path__startswith=district.division.path)
                .first()
            )
            if matter is not None:
                assessments.link_case(a.pk, handler, "matter", matter.code, now=moment)
                self.counts["稳评后关联的信访事项"] = self.counts.get("稳评后关联的信访事项", 0) + 1
