"""Importing an existing dispute 台账 (Excel or CSV): the matter import's reading (bounded, xlsx
and csv, xinfang/ledger/jobs.read), column names and first guess of the mapping
(xinfang/ledger/columns), cell parsing (values) and reference lookups (RowChecker's places and
units); every row checked first with its errors in Chinese, then the good rows written through the
kernel's bulk plans, chunk by chunk. A row already imported by the unit (same 编号, or same content
when it has none) is skipped, so importing a file again creates nothing twice."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from xinfang.cases import plan
from xinfang.core.tables import text_of
from xinfang.ledger import values
from xinfang.ledger.columns import Column, guess_mapping, missing_required
from xinfang.ledger.jobs import read
from xinfang.ledger.rows import RowChecker, _word
from xinfang.org.importers import RowError

from . import services
from .choices import Method, PartyKind, Risk, Source
from .models import Dispute, DisputeType

COLUMNS = [
    Column("ledger_number", "编号", False, ("台账编号", "序号编号", "纠纷编号")),
    Column("screened_on", "排查日期", True, ("排查时间", "登记日期", "发现日期")),
    Column("source", "来源", False, ("排查来源", "纠纷来源")),
    Column("dispute_type", "纠纷类型", True, ("类型", "纠纷类别", "矛盾类型")),
    Column("division", "发生地", True, ("属地", "所属村（社区）", "所在村社区", "区划")),
    Column("address", "具体地点", False, ("地点", "地址")),
    Column("title", "纠纷概要", True, ("简要情况", "纠纷名称", "概要")),
    Column("summary", "基本情况", False, ("纠纷情况", "主要内容", "情况")),
    Column("claims", "各方诉求", False, ("诉求", "当事人诉求")),
    Column("parties", "当事人", True, ("当事人姓名", "双方当事人")),
    Column("headcount", "涉及人数", False, ("人数",)),
    Column("amount", "涉及金额", False, ("金额", "涉及金额（元）", "标的额")),
    Column("risk", "风险等级", False, ("风险",)),
    Column("unit", "责任单位", False, ("化解责任单位", "承办单位")),
    Column("method", "化解方式", False, ("调解方式",)),
    Column("mediator", "调解员", False, ("调解人",)),
]
SOURCE_WORDS = {c.label: c for c in Source} | {
    "网格": Source.GRID,
    "信息员": Source.INFORMANT,
    "12345": Source.HOTLINE,
}
RISK_WORDS = {c.label: c for c in Risk} | {
    "重大风险": Risk.MAJOR,
    "较大风险": Risk.LARGER,
    "一般风险": Risk.GENERAL,
}
METHOD_WORDS = {c.label: c for c in Method}
CHUNK = 1000


@dataclass
class Row:
    number: int
    key: str
    fields: dict
    parties: list


@dataclass
class Result:
    mapping: dict
    total: int = 0
    written: int = 0
    skipped: int = 0
    errors: list = field(default_factory=list)  # RowError
    refused: str = ""  # why nothing was imported


class DisputeRowChecker(RowChecker):
    def check_dispute(self, number, cells) -> tuple[Row | None, list[RowError]]:
        errors = []
        labels = {c.key: c.label for c in COLUMNS}

        def cell(key):
            i = self.mapping.get(key)
            return text_of(cells[i]) if i is not None and i < len(cells) else ""

        def raw(key):
            i = self.mapping.get(key)
            return cells[i] if i is not None and i < len(cells) else None

        def parsed(key, parse):
            try:
                return parse(raw(key) if key == "screened_on" else cell(key))
            except ValueError as exc:
                errors.append(RowError(number, labels[key], str(exc)))
                return None

        fields = {
            "ledger_number": cell("ledger_number")[:60],
            "screened_on": parsed("screened_on", values.parse_date),
            "source": parsed("source", lambda t: _word(t, SOURCE_WORDS, "来源"))
            if cell("source")
            else Source.ROUTINE,
            "dispute_type": parsed("dispute_type", self._type),
            "division": parsed("division", lambda t: self._lookup("division", t)),
            "address": cell("address")[:200],
            "title": cell("title")[:200],
            "summary": cell("summary") or cell("title"),
            "claims": cell("claims"),
            "headcount": parsed("headcount", _count) if cell("headcount") else 2,
            "amount": parsed("amount", _amount) if cell("amount") else None,
            "method": parsed("method", lambda t: _word(t, METHOD_WORDS, "化解方式"))
            if cell("method")
            else "",
            "mediator": cell("mediator")[:60],
        }
        if not fields["title"]:
            errors.append(RowError(number, labels["title"], "不能为空"))
        if fields["screened_on"] and fields["screened_on"] > timezone.localdate(self.now):
            errors.append(RowError(number, labels["screened_on"], "排查日期不能晚于今天"))
        risk = parsed("risk", lambda t: _word(t, RISK_WORDS, "风险等级")) if cell("risk") else ""
        unit = parsed("unit", lambda t: self._lookup("unit", t)) if cell("unit") else None
        names = values.split_list(cell("parties"))
        if not names:
            errors.append(RowError(number, labels["parties"], "请至少填写一方当事人"))
        if errors:
            return None, errors
        fields["holder_unit"] = unit
        parties = [{"name": n[:100], "kind": PartyKind.ORGANISATION if _is_org(n) else PartyKind.PERSON,
                    "side": "applicant" if i == 0 else "respondent"} for i, n in enumerate(names)]  # fmt: skip
        key = services.import_key(self.actor.unit_id, fields["ledger_number"], fields)
        fields["risk"] = risk
        return Row(number, key, fields, parties), []

    def _type(self, text):
        if not text:
            raise ValueError("不能为空")
        cache = self._cache.setdefault("dispute_type", {})
        if text not in cache:
            items = DisputeType.objects.filter(active=True, parent__isnull=False).select_related("parent")
            found = None
            # 「一级／二级」: type names may hold a slash themselves (劳资/欠薪), so try every split.
            for i, ch in enumerate(text):
                if ch in "/／" and found is None:
                    found = items.filter(parent__name=text[:i].strip(), name=text[i + 1 :].strip()).first()
            if found is None:
                same = list(items.filter(name=text)[:2])
                found = same[0] if len(same) == 1 else None
            if found is None:
                top = DisputeType.objects.filter(parent=None, name=text).first()
                found = top.children.filter(active=True).order_by("order", "pk").first() if top else None
            cache[text] = found
        if cache[text] is None:
            raise ValueError(f"没有名为「{text}」的纠纷类型")
        return cache[text]


def _count(text) -> int:
    try:
        n = int(float(str(text).strip().removesuffix("人")))
    except ValueError:
        raise ValueError(f"「{text}」不是人数") from None
    if n < 1:
        raise ValueError("人数至少为1")
    return n


def _amount(text):
    try:
        value = Decimal(str(text).replace(",", "").replace("，", "").removesuffix("元").strip())
    except InvalidOperation:
        raise ValueError(f"「{text}」不是金额") from None
    if value < 0:
        raise ValueError("金额不能为负数")
    return value


def _is_org(name: str) -> bool:
    return name.endswith(("公司", "厂", "委员会", "合作社", "中心", "医院", "学校", "局", "集团", "店"))


def imported(unit, keys) -> set:
    found = Dispute.objects.filter(registering_unit=unit, import_key__in=keys).exclude(import_key="")
    return set(found.values_list("import_key", flat=True))


def run_import(actor, content: bytes, name: str, *, mapping=None, all_or_nothing=True) -> Result:
    """Check every row, then (unless all-or-nothing found errors) write the good rows in bulk."""
    services.check_registrar(actor)
    table = read(content)
    mapping = mapping or guess_mapping(table.header, COLUMNS)
    result = Result(mapping=mapping)
    missing = missing_required(mapping, COLUMNS)
    if missing:
        result.refused = (
            "文件中找不到这些必填列："
            + "、".join(f"「{c.label}」" for c in missing)
            + "。请按模板的列名修改表头。"
        )
        return result
    now = timezone.now()
    checker = DisputeRowChecker(actor, mapping, now=now)
    good, seen = [], {}
    for number, cells in table.rows():
        result.total += 1
        row, errors = checker.check_dispute(number, cells)
        if row is not None and row.key in seen:
            errors = [RowError(number, "", f"与第{seen[row.key]}行重复")]
        if errors:
            result.errors += errors
            continue
        seen[row.key] = number
        good.append(row)
    if result.errors and all_or_nothing:
        result.refused = (
            f"共{len({e.row for e in result.errors})}行有错误，一行都没有导入。请修改后重新导入。"
        )
        return result
    for start in range(0, len(good), CHUNK):
        _write_chunk(actor, good[start : start + CHUNK], name, now, result)
    return result


def _write_chunk(actor, rows, name, now, result):
    existing = imported(actor.unit, [r.key for r in rows])
    detail = {"action": "import", "file": name}
    with plan.bulk(actor, audit_target="dispute_import", audit_detail=detail) as session:
        for row in rows:
            if row.key in existing:
                result.skipped += 1
                continue
            try:
                with session.savepoint():
                    fields = {**row.fields, "import_key": row.key}
                    services.register_dispute(actor, fields=fields, parties=row.parties, now=now,
                                              note=f"由台账导入（{name} 第{row.number}行）")  # fmt: skip
            except services.TransitionError as exc:
                result.errors.append(RowError(row.number, "", str(exc)))
                continue
            result.written += 1
