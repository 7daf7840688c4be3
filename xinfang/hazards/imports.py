"""The hazard ledger's 台账 imports, on the import machinery of xinfang/ledger (reading, column
mapping, jobs, refused rows, pages): the enterprise register, and an existing hazard 台账.

Hazards are written through the kernel's bulk plans: each row is registered with
`services.register_hazard` and taken as far as the 台账 says (整改中, 已整改, 已销号) with
`services.perform`, dated on the days the 台账 gives, inside one bulk session per chunk. Enterprises
are not cases: a chunk of them is one bulk insert. Importing the same file again writes nothing
twice (enterprises are found by their credit code or name and place, hazards by their import key).
"""

from dataclasses import dataclass
from datetime import datetime, time

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from openpyxl.styles import Font

from xinfang.cases import plan
from xinfang.core import clock, crypto
from xinfang.core.tables import text_of
from xinfang.core.workbook import Book
from xinfang.ledger import values
from xinfang.ledger.columns import Column, guess_mapping, notes_sheet
from xinfang.ledger.kinds import Kind, refuse
from xinfang.ledger.rows import RowChecker
from xinfang.ledger.views import patterns
from xinfang.org.importers import RowError
from xinfang.org.models import Role
from xinfang.petitions.forms import PHONE_RE

from . import credit, services
from .choices import Industry, Level, Source
from .models import Enterprise, Hazard, HazardImportJob, HazardType
from .services import TransitionError

__all__ = ["ENTERPRISES", "HAZARDS", "guess_mapping", "urlpatterns"]


def _may_import(user):
    try:
        services.check_registrant(user)
    except TransitionError as exc:
        refuse(str(exc))


def _words(choices, extra=None) -> dict:
    return {**{c.label: c.value for c in choices}, **(extra or {})}


INDUSTRY_WORDS = _words(
    Industry,
    {
        "农业": Industry.AGRICULTURE, "矿山": Industry.MINING, "非煤矿山": Industry.MINING,
        "工业": Industry.MANUFACTURING, "工贸": Industry.MANUFACTURING, "危化": Industry.MANUFACTURING,
        "化工": Industry.MANUFACTURING, "燃气": Industry.UTILITIES, "电力": Industry.UTILITIES,
        "建筑施工": Industry.CONSTRUCTION, "商贸": Industry.TRADE, "零售": Industry.TRADE,
        "交通运输": Industry.TRANSPORT, "物流": Industry.TRANSPORT, "仓储": Industry.TRANSPORT,
        "餐饮": Industry.HOSPITALITY, "住宿": Industry.HOSPITALITY, "物业": Industry.REAL_ESTATE,
        "学校": Industry.EDUCATION, "医疗": Industry.HEALTH, "文化旅游": Industry.CULTURE,
        "其他": Industry.OTHER,
    },
)  # fmt: skip
LEVEL_WORDS = _words(
    Level,
    {"一般": Level.GENERAL, "一般事故隐患": Level.GENERAL, "重大": Level.MAJOR, "重大事故隐患": Level.MAJOR},
)
SOURCE_WORDS = _words(
    Source,
    {"检查": Source.INSPECTION, "执法检查": Source.INSPECTION, "自查": Source.SELF_CHECK,
     "举报": Source.PUBLIC, "网格": Source.GRID, "网格员": Source.GRID, "信访": Source.PETITION},
)  # fmt: skip
# What the 台账 says of the rectification → how far the import takes the hazard.
OPEN, RECTIFIED, CLOSED = "open", "rectified", "closed"
PROGRESS_WORDS = {
    "未整改": OPEN, "整改中": OPEN, "正在整改": OPEN, "治理中": OPEN,
    "已整改": RECTIFIED, "整改完成": RECTIFIED, "已完成": RECTIFIED, "验收合格": RECTIFIED,
    "已销号": CLOSED, "销号": CLOSED,
}  # fmt: skip


def _word(text, words, what):
    value = words.get(text.strip())
    if value is None:
        raise ValueError(f"「{text}」不是可识别的{what}，可填：{'、'.join(dict.fromkeys(words))}")
    return value


class Cells:
    """The cells of one row by column key, and the row's problems."""

    def __init__(self, number, cells, mapping, columns):
        self.number, self.cells, self.mapping, self.errors = number, cells, mapping, []
        self.by_key = {c.key: c for c in columns}

    def text(self, key) -> str:
        i = self.mapping.get(key)
        return text_of(self.cells[i]) if i is not None and i < len(self.cells) else ""

    def raw(self, key):
        i = self.mapping.get(key)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def fail(self, key, message):
        self.errors.append(RowError(self.number, self.by_key[key].label if key else "", message))

    def parsed(self, key, parse):
        try:
            return parse()
        except ValueError as exc:
            self.fail(key, str(exc))
            return None

    def required(self, key, limit=None) -> str:
        text = self.text(key)
        if not text:
            self.fail(key, "不能为空")
        elif limit and len(text) > limit:
            self.fail(key, f"不能超过{limit}字")
        return text


# ---------------------------------------------------------------- the enterprise register

ENTERPRISE_COLUMNS = [
    Column(
        "name",
        "单位名称",
        True,
        ("企业名称", "单位（场所）名称", "生产经营单位", "场所名称"),
        "生产经营单位或场所的全称。",
    ),
    Column(
        "credit_code",
        "统一社会信用代码",
        False,
        ("信用代码", "社会信用代码"),
        "18位，按GB 32100校验；有代码的按代码识别，再次导入不重复登记。没有代码的场所按名称和区划识别。",
    ),
    Column(
        "industry", "行业", True, ("所属行业", "行业类别"), "如制造业、建筑业、批发和零售业、交通运输、餐饮。"
    ),
    Column(
        "division",
        "所在区划",
        True,
        ("属地", "所在地", "区划代码", "所属街道"),
        "区划名称或代码；重名的写上级名称。",
    ),
    Column("address", "地址", False, ("详细地址", "经营地址")),
    Column(
        "supervising_unit",
        "行业监管部门",
        True,
        ("监管部门", "主管部门", "负有安全监管职责的部门"),
        "系统中的单位全称或简称，如应急管理局、住房和城乡建设局。",
    ),
    Column("contact_name", "联系人", False, ("安全负责人", "负责人")),
    Column("contact_phone", "联系电话", False, ("电话", "手机")),
]


@dataclass
class EnterpriseRow:
    number: int
    key: str
    values: dict


class EnterpriseChecker:
    def __init__(self, job, now):
        self.actor = job.user
        self.mapping = {k: int(v) for k, v in job.mapping.items()}
        self.reference = RowChecker(job.user, {})  # places and units, named as in every 台账

    def check(self, number, cells):
        c = Cells(number, cells, self.mapping, ENTERPRISE_COLUMNS)
        name = c.required("name", 100)
        code = credit.normalize(c.text("credit_code"))
        if code and (problem := credit.problem(code)):
            c.fail("credit_code", problem)
        industry = c.parsed("industry", lambda: _word(c.required("industry"), INDUSTRY_WORDS, "行业"))
        division = c.parsed("division", lambda: self.reference.reference("division", c.text("division")))
        unit = c.parsed(
            "supervising_unit", lambda: self.reference.reference("unit", c.text("supervising_unit"))
        )
        phone = values.phone_digits(c.text("contact_phone"))
        if phone and not PHONE_RE.match(phone):
            c.fail("contact_phone", f"「{crypto.mask_phone(phone)}」不是有效的电话号码")
        if division and unit and not _would_see(self.actor, division, unit):
            c.fail("", "该单位的所在区划和行业监管部门都不在您的工作范围内，请由属地或监管部门导入")
        if c.errors:
            return None, c.errors
        key = f"code:{code}" if code else f"name:{division.pk}:{name}"
        row = EnterpriseRow(
            number,
            key,
            {
                "name": name,
                "credit_code": code,
                "industry": industry,
                "division": division,
                "address": c.text("address")[:200],
                "supervising_unit": unit,
                "contact_name": c.text("contact_name")[:40],
                "contact_phone": phone,
            },
        )
        return row, []


def _would_see(user, division, unit) -> bool:
    from xinfang.cases.scoping import territory_paths

    own = user.unit
    if unit.is_within(own):
        return True
    return own.is_territorial and any(division.path.startswith(p) for p in territory_paths(own))


def _known_enterprises(rows) -> set[str]:
    codes = [r.values["credit_code"] for r in rows if r.values["credit_code"]]
    known = {
        f"code:{c}"
        for c in Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True)
    }
    names = [r.values["name"] for r in rows if not r.values["credit_code"]]
    for division_id, name in Enterprise.objects.filter(name__in=names).values_list("division_id", "name"):
        known.add(f"name:{division_id}:{name}")
    # A name already registered in the place under a credit code is the same enterprise.
    for division_id, name in Enterprise.objects.filter(name__in=[r.values["name"] for r in rows]).values_list(
        "division_id", "name"
    ):
        known.add(f"place:{division_id}:{name}")
    return known


def write_enterprises(job, actor, rows, now) -> list[RowError]:
    known = _known_enterprises(rows)
    new, skipped = [], 0
    for row in rows:
        v = row.values
        if row.key in known or f"place:{v['division'].pk}:{v['name']}" in known:
            skipped += 1
            continue
        new.append(Enterprise(**v))
    with transaction.atomic():
        Enterprise.objects.bulk_create(new, batch_size=500)
        HazardImportJob.objects.filter(pk=job.pk).update(
            written=F("written") + len(new), skipped=F("skipped") + skipped, claimed_at=timezone.now()
        )
    return []


ENTERPRISE_EXAMPLE = {
    "name": "青溪示例化工有限公司",
    "credit_code": "91350100M000100Y43",
    "industry": "制造业",
    "division": "东湖街道",
    "address": "湖滨社区工业路8号",
    "supervising_unit": "溪东区应急管理局",
    "contact_name": "周建国",
    "contact_phone": "13900000000",
}


def _template(columns, sheet_name, example, closing):
    def write(stream):
        book = Book()
        book.sheet(
            sheet_name,
            [c.label for c in columns],
            widths=[
                30 if c.key in {"description", "requirements", "plan_measures", "plan_contingency"} else 16
                for c in columns
            ],
            header_fonts=[Font(bold=True, color="C00000" if c.required else "000000") for c in columns],
            freeze=True,
        )
        notes_sheet(book, columns, example, closing=closing)
        book.save(stream)

    return write


def _urls(prefix):
    return {
        page: f"hazards:{prefix}_{page}"
        for page in ("upload", "template", "job", "mapping", "cancel", "errors")
    }


ENTERPRISES = Kind(
    key="enterprises",
    title="生产经营单位名录",
    columns=ENTERPRISE_COLUMNS,
    job_model=HazardImportJob,
    checker=EnterpriseChecker,
    write_chunk=write_enterprises,
    write_template=_template(
        ENTERPRISE_COLUMNS,
        "生产经营单位名录",
        ENTERPRISE_EXAMPLE,
        "第一个工作表的第一行是表头，从第二行起每行一家生产经营单位或场所。红色列名为必填列。",
    ),
    may_import=_may_import,
    duplicate_what=lambda row: "统一社会信用代码" if row.values["credit_code"] else "名称和所在区划",
    urls=_urls("enterprise_import"),
    done_url="hazards:enterprises",
    done_label="查看生产经营单位名录",
    job_filter={"kind": HazardImportJob.Kind.ENTERPRISES},
    note="已在名录中的单位（统一社会信用代码相同，或同一区划内名称相同）跳过，不修改原有信息。",
    unit_word="家",
)


# ---------------------------------------------------------------- the hazard 台账

HAZARD_COLUMNS = [
    Column(
        "ledger_number",
        "隐患编号",
        False,
        ("台账编号", "原编号", "编号"),
        "原台账中的编号；再次导入同一文件时按编号识别，不会重复登记。",
    ),
    Column(
        "enterprise",
        "生产经营单位",
        True,
        ("单位名称", "企业名称", "被检查单位"),
        "须已在生产经营单位名录中。",
    ),
    Column(
        "credit_code", "统一社会信用代码", False, ("信用代码",), "填写时按代码查找单位，同名单位不会混淆。"
    ),
    Column(
        "found_on", "发现日期", True, ("排查日期", "检查日期", "发现时间"), "如2026-03-01或2026年3月1日。"
    ),
    Column(
        "source",
        "发现方式",
        False,
        ("排查方式", "隐患来源", "来源"),
        "监督检查、企业自查、群众举报、网格员上报、信访反映；留空按监督检查。",
    ),
    Column(
        "hazard_type",
        "隐患类型",
        True,
        ("类型", "隐患类别"),
        "系统中的隐患类型，如消防、用电、特种设备、危化品。",
    ),
    Column("level", "隐患等级", True, ("等级", "级别"), "一般隐患或重大隐患。"),
    Column("location", "隐患部位", True, ("部位", "具体位置", "地点")),
    Column("description", "隐患描述", True, ("隐患内容", "存在问题", "问题描述")),
    Column("title", "隐患名称", False, ("名称",), "留空时取隐患描述的开头。"),
    Column(
        "progress",
        "整改情况",
        False,
        ("整改状态", "状态", "是否整改"),
        "未整改、整改中、已整改、已销号；留空的只登记。填写了的，须同时填写整改要求。",
    ),
    Column("requirements", "整改要求", False, ("整改措施要求", "整改意见")),
    Column(
        "rectified_on", "整改完成日期", False, ("验收日期", "完成日期", "销号日期"), "已整改、已销号的必填。"
    ),
    Column(
        "plan_person",
        "治理责任人",
        False,
        ("责任人",),
        "重大隐患的“五落实”：已整改的重大隐患须填写以下六列。",
    ),
    Column("plan_unit", "治理责任部门", False, ("责任部门",)),
    Column("plan_measures", "治理措施", False, ("措施",)),
    Column("plan_funds", "治理资金（元）", False, ("治理资金", "资金", "整改资金")),
    Column("plan_deadline", "治理时限", False, ("时限", "治理期限")),
    Column("plan_contingency", "应急预案", False, ("预案",)),
]
TITLE_LENGTH = 40


@dataclass
class HazardRow:
    number: int
    key: str
    fields: dict
    progress: str
    requirements: str
    rectified_on: object
    plan: dict


class HazardChecker:
    def __init__(self, job, now):
        self.actor = job.user
        self.now = now
        self.mapping = {k: int(v) for k, v in job.mapping.items()}
        self.types = {t.name: t for t in HazardType.objects.filter(active=True)}
        self.visible = Enterprise.objects.visible_to(job.user).filter(active=True)
        self._found = {}

    def _enterprise(self, name, code):
        key = (name, code)
        if key not in self._found:
            found = (
                list(self.visible.filter(credit_code=code)[:2])
                if code
                else list(self.visible.filter(name=name)[:2])
            )
            if not found:
                self._found[key] = (
                    None,
                    "名录中没有该单位，或该单位不在您的工作范围内；请先导入生产经营单位名录",
                )
            elif len(found) > 1:
                self._found[key] = (None, "名录中有多家同名单位，请填写统一社会信用代码")
            else:
                self._found[key] = (found[0], "")
        enterprise, problem = self._found[key]
        if problem:
            raise ValueError(problem)
        return enterprise

    def check(self, number, cells):
        c = Cells(number, cells, self.mapping, HAZARD_COLUMNS)
        today = timezone.localdate(self.now)
        code = credit.normalize(c.text("credit_code"))
        enterprise = c.parsed("enterprise", lambda: self._enterprise(c.required("enterprise"), code))
        found_on = c.parsed("found_on", lambda: values.parse_date(c.raw("found_on")))
        if found_on and found_on > today:
            c.fail("found_on", "发现日期不能晚于今天")
        source = Source.INSPECTION
        if c.text("source"):
            source = c.parsed("source", lambda: _word(c.text("source"), SOURCE_WORDS, "发现方式"))
        kind = c.parsed("hazard_type", lambda: self._type(c.required("hazard_type")))
        level = c.parsed("level", lambda: _word(c.required("level"), LEVEL_WORDS, "隐患等级"))
        location = c.required("location", 200)
        description = c.required("description", 5000)
        title = c.text("title") or _title_from(description)
        if len(title) > 200:
            c.fail("title", "不能超过200字")
        ledger_number = c.text("ledger_number")
        if len(ledger_number) > 60:
            c.fail("ledger_number", "不能超过60个字符")
        progress = ""
        if c.text("progress"):
            progress = (
                c.parsed("progress", lambda: _word(c.text("progress"), PROGRESS_WORDS, "整改情况")) or ""
            )
        requirements = c.text("requirements")
        if progress and not requirements:
            c.fail("requirements", "填写了整改情况的，须填写整改要求")
        rectified_on = None
        if progress in {RECTIFIED, CLOSED}:
            rectified_on = c.parsed("rectified_on", lambda: values.parse_date(c.raw("rectified_on")))
            if rectified_on and found_on and not found_on <= rectified_on <= today:
                c.fail("rectified_on", "整改完成日期应在发现日期和今天之间")
        plan = self._plan(c, level, progress)
        if c.errors:
            return None, c.errors
        basis = (
            f"no\x00{ledger_number}"
            if ledger_number
            else f"row\x00{enterprise.pk}\x00{found_on}\x00{location}\x00{description}"
        )
        fields = {
            "enterprise": enterprise,
            "hazard_type": kind,
            "level": level,
            "source": source,
            "found_on": found_on,
            "location": location,
            "title": title,
            "description": description,
            "ledger_number": ledger_number,
        }
        return HazardRow(
            number, crypto.search_hash("import", basis), fields, progress, requirements, rectified_on, plan
        ), []

    def _type(self, text):
        found = self.types.get(text.strip())
        if found is None:
            raise ValueError(f"系统中没有隐患类型「{text}」，可填：{'、'.join(self.types)}")
        return found

    def _plan(self, c, level, progress) -> dict:
        plan = {key: c.text(key) for key in ("plan_person", "plan_unit", "plan_measures", "plan_contingency")}
        plan["plan_funds"] = None
        if c.text("plan_funds"):
            plan["plan_funds"] = c.parsed("plan_funds", lambda: _amount(c.raw("plan_funds")))
        plan["plan_deadline"] = None
        if c.text("plan_deadline"):
            plan["plan_deadline"] = c.parsed(
                "plan_deadline", lambda: values.parse_date(c.raw("plan_deadline"))
            )
        if level == Level.MAJOR and progress in {RECTIFIED, CLOSED}:
            missing = [col.label for col in HAZARD_COLUMNS if col.key in plan and plan[col.key] in (None, "")]
            if missing:
                c.fail("", f"已整改的重大隐患须有治理方案“五落实”，缺少：{'、'.join(missing)}")
        return {k: v for k, v in plan.items() if v not in (None, "")}


def _amount(value):
    from decimal import Decimal, InvalidOperation

    text = str(value).replace(",", "").replace("，", "").removesuffix("元").strip()
    wan = text.endswith("万")
    try:
        amount = Decimal(text.removesuffix("万")) * (10000 if wan else 1)
    except InvalidOperation:
        raise ValueError(f"「{value}」不是金额，请写成如180000或18万") from None
    if amount <= 0:
        raise ValueError("治理资金应大于零")
    return amount


def _title_from(description: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"


def _on(day, hour=9):
    return clock.local_datetime(day, time(hour)) if not isinstance(day, datetime) else day


def write_hazard(job, actor, row: HazardRow, now):
    note = f"由隐患台账导入（{job.original_name} 第{row.number}行）"
    found = _on(row.fields["found_on"])
    hazard = services.register_hazard(
        actor, fields={**row.fields, "import_key": row.key}, now=found, note=note, data={"import_job": job.pk}
    )
    if not row.progress:
        return
    hazard = services.perform(
        hazard.pk, actor, "notify", now=_on(row.fields["found_on"], 10), requirements=row.requirements
    )
    if hazard.is_major and row.plan:
        complete = len(row.plan) == 6 and actor.role == Role.UNIT_HEAD  # only a head approves the plan
        action = "approve_plan" if complete else "record_plan"
        services.perform(hazard.pk, actor, action, now=_on(row.fields["found_on"], 11), **row.plan)
    if row.progress == OPEN:
        return
    done = row.rectified_on
    services.perform(hazard.pk, actor, "request_acceptance", now=_on(done, 10), note="整改完成（据原台账）。")
    services.perform(
        hazard.pk,
        actor,
        "accept",
        now=_on(done, 15),
        note="据原台账验收合格。",
        imported_from=job.original_name,
    )
    if row.progress == CLOSED:
        services.perform(hazard.pk, actor, "close", now=_on(done, 16))


def write_hazards(job, actor, rows, now) -> list[RowError]:
    keys = [r.key for r in rows]
    existing = set(
        Hazard.objects.filter(registering_unit=actor.unit, import_key__in=keys)
        .exclude(import_key="")
        .values_list("import_key", flat=True)
    )
    errors, written = [], 0
    audit = {"action": "import", "file": job.original_name}
    with plan.bulk(actor, audit_target=f"import:hazards:{job.pk}", audit_detail=audit) as session:
        for row in rows:
            if row.key in existing:
                continue
            try:
                with session.savepoint():
                    write_hazard(job, actor, row, now)
            except TransitionError as exc:
                errors.append(RowError(row.number, "整改情况", str(exc)))
                continue
            written += 1
        session.flush()
        HazardImportJob.objects.filter(pk=job.pk).update(
            written=F("written") + written, skipped=F("skipped") + len(existing), claimed_at=timezone.now()
        )
    return errors


HAZARD_EXAMPLE = {
    "ledger_number": "YH-2026-001",
    "enterprise": "青溪示例化工有限公司",
    "found_on": "2026-03-01",
    "source": "监督检查",
    "hazard_type": "危化品",
    "level": "一般隐患",
    "location": "二号仓库",
    "description": "危化品仓库防爆灯灯罩破裂。",
    "progress": "已整改",
    "requirements": "立即更换防爆灯具。",
    "rectified_on": "2026-03-10",
}

HAZARDS = Kind(
    key="hazards",
    title="隐患",
    columns=HAZARD_COLUMNS,
    job_model=HazardImportJob,
    checker=HazardChecker,
    write_chunk=write_hazards,
    write_template=_template(
        HAZARD_COLUMNS,
        "隐患排查治理台账",
        HAZARD_EXAMPLE,
        "第一个工作表的第一行是表头，从第二行起每行一项隐患。红色列名为必填列。生产经营单位须先在名录中。",
    ),
    may_import=_may_import,
    duplicate_what=lambda row: "隐患编号" if row.fields["ledger_number"] else "单位、发现日期、部位和描述",
    urls=_urls("hazard_import"),
    done_url="hazards:queue",
    done_label="查看全部隐患",
    job_filter={"kind": HazardImportJob.Kind.HAZARDS},
    note="填写了整改情况的行，导入时即按原台账的日期下达整改通知，已整改的经验收、已销号的并销号（验收照片见原台账）；"
    "这些步骤须由行业监管部门的人员导入。导入的隐患不另发送通知。",
    unit_word="项",
)

urlpatterns = patterns("import/enterprises/", "enterprises", "enterprise_import_") + patterns(
    "import/hazards/", "hazards", "hazard_import_"
)
