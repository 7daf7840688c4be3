"""Records of the prevention ledgers for tests: enterprises of the conftest world, hazards and
assessments walked through their real write paths.

东城区住建局 (hank 承办人, hope 负责人) supervises 湖滨化工 (湖滨社区) and 东湖建筑工地 (西岭镇);
南山区住建局 (nora) supervises 南山商贸城. Assessments are made by 东城区住建局 for 东城区人民政府.
"""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from conftest import at
from django.core.files.uploadedfile import SimpleUploadedFile

from xinfang.assessments import services as assessments
from xinfang.hazards import services as hazards
from xinfang.hazards.choices import Industry, Level, Source
from xinfang.hazards.models import Enterprise, HazardType

# 1×1 PNG
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
    b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND"
    b"\xaeB`\x82"
)
CREDIT_CODE = "91350100M000100Y43"  # the example of GB 32100


def photo(name="整改后.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def enterprises(world):
    w = world
    return SimpleNamespace(
        chem=Enterprise.objects.create(
            name="青溪湖滨化工有限公司",
            credit_code=CREDIT_CODE,
            industry=Industry.MANUFACTURING,
            division=w.divisions.village,
            address="湖滨社区工业路8号",
            supervising_unit=w.units.d1_dept,
            contact_name="周建国",
            contact_phone="13912345678",
        ),
        site=Enterprise.objects.create(
            name="东湖安置房建筑工地",
            industry=Industry.CONSTRUCTION,
            division=w.divisions.other_township,
            supervising_unit=w.units.d1_dept,
        ),
        market=Enterprise.objects.create(
            name="南山商贸城",
            industry=Industry.TRADE,
            division=w.divisions.d2,
            supervising_unit=w.units.d2_dept,
        ),
    )


def hazard_fields(enterprise, **overrides):
    fields = {
        "enterprise": enterprise,
        "hazard_type": HazardType.objects.get(name="危化品"),
        "level": Level.GENERAL,
        "source": Source.INSPECTION,
        "found_on": date(2026, 11, 2),
        "found_by": "区住建局检查组",
        "location": "二号仓库",
        "title": "危化品仓库防爆灯损坏",
        "description": "二号仓库两盏防爆灯灯罩破裂，存放甲类危化品。",
    }
    fields.update(overrides)
    return fields


PLAN = {
    "plan_person": "周建国（总经理）",
    "plan_unit": "公司安全环保部",
    "plan_measures": "停用二号仓库，更换防爆电气，增设可燃气体报警装置。",
    "plan_funds": Decimal("180000"),
    "plan_deadline": date(2027, 1, 20),
    "plan_contingency": "《二号仓库泄漏应急处置预案》，配备应急物资和救援队伍。",
}


class HazardDriver:
    """Walks a hazard through the write path, one day per step from `start`."""

    def __init__(self, world, start=None):
        self.w = world
        self.now = start or at(2026, 11, 2)

    def tick(self, days=1):
        from datetime import timedelta

        self.now += timedelta(days=days)
        return self.now

    def register(self, enterprise, actor=None, **overrides):
        return hazards.register_hazard(
            actor or self.w.hank, fields=hazard_fields(enterprise, **overrides), now=self.now
        )

    def do(self, hazard, action, actor=None, days=1, files=(), **params):
        self.tick(days)
        defaults = {
            "notify": {"requirements": "立即更换防爆灯具，整改完成后申请验收。"},
            "record_progress": {"note": "已采购防爆灯具。"},
            "approve_plan": dict(PLAN),
            "request_acceptance": {"note": "防爆灯已全部更换。"},
            "accept": {"note": "经现场复查，整改到位。"},
            "reject": {"note": "灯具型号不符合防爆等级要求，重新整改。"},
            "revoke": {"note": "登记重复。"},
        }.get(action, {})
        actor = actor or (self.w.hope if action in {"approve_plan", "close", "revoke"} else self.w.hank)
        return hazards.perform(hazard.pk, actor, action, now=self.now, files=files, **(defaults | params))


def assessment_fields(world, **overrides):
    fields = {
        "title": "东湖片区旧城改造项目",
        "summary": "拆除东湖片区老旧房屋三百余户，建设安置房和配套学校。",
        "decision_type": "land",
        "division": world.divisions.township,
        "deciding_organ": world.units.d1_gov,
        "assessing_unit": world.units.d1_dept,
        "affected": "东湖片区居民312户约900人，沿街商户40家。",
        "affected_count": 900,
        "planned_decision_on": date(2027, 2, 1),
    }
    fields.update(overrides)
    return fields


def hearing_record(name="座谈会纪要.pdf"):
    return assessments.hearing_record(
        SimpleUploadedFile(name, b"%PDF-1.4 minutes", content_type="application/pdf")
    )


def ledger_objects(world):
    """What the route and download matrices call the ledgers' pages on.

    H1: a major hazard of 湖滨化工 (湖滨社区, supervised by 东城区住建局), put on notice with a
    photo and listed by 青溪市人民政府 (sam); H2: a hazard of 南山商贸城 (南山区). A1: an assessment
    by 东城区住建局 for 东城区人民政府 (东湖街道), its report issued, with 东城区人民政府 to decide;
    A2: one of 南山区住建局. Import jobs of both kinds belong to alice, each with refused rows.
    Who sees H1, A1 and 湖滨化工: the city's and 东城区's territorial units, 东湖街道办事处 and
    东城区住建局 — the same people who see M1 of test_scoping.py.
    """
    from datetime import date, timedelta

    from xinfang.core import clock
    from xinfang.hazards.models import HazardImportJob
    from xinfang.ledger import jobs as ledger_jobs

    e = enterprises(world)
    d = HazardDriver(world)
    h1 = d.register(e.chem, level=Level.MAJOR, title="液氯储罐区无泄漏报警装置")
    h1 = d.do(h1, "notify", files=[photo("现场.png")], requirements="停用液氯储罐区，增设报警装置。")
    h1 = hazards.list_for_supervision(
        h1.pk, world.sam, requirement="限期完成治理", due_on=date(2026, 12, 31), now=d.now
    )
    h2 = d.register(e.market, actor=world.nora, title="商贸城疏散通道堵塞")
    now = at(2026, 10, 9)

    def step(a, action, actor, **params):
        nonlocal now
        now += timedelta(days=1)
        return assessments.perform(a.pk, actor, action, now=now, **params)

    a1 = assessments.register_assessment(world.hank, fields=assessment_fields(world), now=now)
    a1 = step(a1, "set_plan", world.hank, plan_text="座谈、听证。")
    a1 = step(
        a1, "record_hearing", world.hank, record=hearing_record(), method="forum", reached=50, views=30,
        supported=40, objected=5, summary="多数支持。",
    )  # fmt: skip
    a1 = step(a1, "finish_hearing", world.hank)
    a1 = step(
        a1, "record_risk", world.hank, description="补偿争议", likelihood="low", impact="medium", mitigation="公开标准",
    )  # fmt: skip
    a1 = step(
        a1, "finish_analysis", world.hank, legality="合法", rationality="合理", feasibility="可行", controllability="可控",
    )  # fmt: skip
    a1 = step(a1, "grade", world.hope, risk_level="low", level_basis="多数支持。")
    a1 = step(
        a1,
        "issue_report",
        world.hope,
        recommendation="implement",
        mitigation="公开标准",
        emergency_plan="预案",
    )
    a2 = assessments.register_assessment(
        world.nora,
        fields=assessment_fields(
            world,
            title="南山区公交线路调整",
            division=world.divisions.d2,
            deciding_organ=world.units.d2_gov,
            assessing_unit=world.units.d2_dept,
        ),
        now=now,
    )
    jobs = {}
    for kind in ("enterprises", "hazards"):
        name = f"matrix-{kind}-errors.xlsx"
        ledger_jobs.keep(name, b"PK")
        jobs[kind] = HazardImportJob.objects.create(
            user=world.alice, kind=kind, original_name="台账.xlsx", header=["编号"], error_file=name
        )
    today = clock.today()
    return SimpleNamespace(
        chem=e.chem,
        market=e.market,
        h1=h1,
        h2=h2,
        photo=h1.photos.get(),
        a1=a1,
        a2=a2,
        hearing=a1.hearings.get(),
        enterprise_job=jobs["enterprises"],
        hazard_job=jobs["hazards"],
        quarter=f"{today.year}Q{(today.month - 1) // 3 + 1}",
    )
