"""Checking one 台账 row against the rules of registration and the reference data.

`RowChecker.check` turns the cells of a row into the fields of a new matter, or into the list of
what is wrong with it (row number, column, reason in Chinese). The same rules as registration on
the page apply: a valid ID number and phone, a received time not in the future, a second-level
category, no 检举控告 handed to the accused unit (art. 30) or registered by it.
Reference lookups are cached per distinct cell text: a ledger names a few hundred places and units.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from xinfang.core import clock, crypto
from xinfang.core.tables import text_of as _text
from xinfang.org.importers import CodeError, RowError, normalize_code
from xinfang.org.models import Division, Unit
from xinfang.petitions.choices import Channel, Nature, RequestType
from xinfang.petitions.forms import PHONE_RE, id_number_is_valid
from xinfang.petitions.models import Category, Matter
from xinfang.petitions.workflow import TRANSITIONS

from . import values
from .columns import BY_KEY

TITLE_LENGTH = 40
CONTENT_MAX = 20000
EARLIEST_YEAR = 1990

CHANNEL_WORDS = {
    **{c.label: c for c in Channel},
    "信": Channel.LETTER, "信件": Channel.LETTER, "来信来访": Channel.VISIT, "走访": Channel.VISIT,
    "网信": Channel.ONLINE, "网上信访": Channel.ONLINE, "网络": Channel.ONLINE, "网站": Channel.ONLINE,
    "来电": Channel.PHONE, "热线": Channel.PHONE, "12345": Channel.PHONE,
    "领导接待": Channel.LEADER_RECEPTION, "转送": Channel.UPPER_FORWARDED, "交办": Channel.UPPER_ASSIGNED,
}  # fmt: skip
NATURE_WORDS = {
    **{c.label: c for c in Nature},
    "建议": Nature.ADVICE, "意见": Nature.ADVICE, "检举": Nature.ACCUSATION, "控告": Nature.ACCUSATION,
    "申诉": Nature.APPEAL, "求决": Nature.APPEAL,
}  # fmt: skip
REQUEST_WORDS = {c.label: c for c in RequestType}
CATEGORY_SEPARATORS = re.compile(r"\s*[／/\\\-—>＞·、|]+\s*")
FIELD_LENGTHS = {
    name: Matter._meta.get_field(name).max_length for name in ("title", "complained_person", "ledger_number")
}


@dataclass
class LedgerRow:
    """A valid row: what the bulk writer needs to register (and maybe dispatch) one matter."""

    number: int
    key: str  # import_key
    fields: dict
    petitioners: list[dict]
    handling_unit: Unit | None = None
    instructions: str = ""


@dataclass
class RowChecker:
    actor: object
    mapping: dict[str, int]
    default_nature: str = Nature.APPEAL
    default_request_type: str = RequestType.COMPLAINT
    now: datetime = field(default_factory=clock.now)
    _cache: dict = field(default_factory=dict)

    def check(self, number: int, cells: list) -> tuple[LedgerRow | None, list[RowError]]:
        errors = []

        def cell(key):
            i = self.mapping.get(key)
            return cells[i] if i is not None and i < len(cells) else None

        def fail(key, message):
            errors.append(RowError(number, BY_KEY[key].label, message))

        def parsed(key, parse):
            try:
                return parse()
            except ValueError as exc:
                fail(key, str(exc))
                return None

        received = parsed("received_at", lambda: self._received(cell("received_at")))
        due = None
        if _text(cell("due_date")):
            due = parsed("due_date", lambda: values.parse_date(cell("due_date")))
            if due and received and due < received.date():
                fail("due_date", "办理时限早于信访时间")
        division = parsed("division", lambda: self._lookup("division", _text(cell("division"))))
        category = parsed("category", lambda: self._lookup("category", _text(cell("category"))))
        channel = parsed("channel", lambda: _word(_text(cell("channel")), CHANNEL_WORDS, "信访方式"))
        nature = self.default_nature
        if _text(cell("nature")):
            nature = parsed("nature", lambda: _word(_text(cell("nature")), NATURE_WORDS, "事项性质"))
        request_type = self.default_request_type
        if _text(cell("request_type")):
            request_type = parsed(
                "request_type", lambda: _word(_text(cell("request_type")), REQUEST_WORDS, "诉求类型")
            )
        content = _text(cell("content"))
        if not content:
            fail("content", "不能为空")
        elif len(content) > CONTENT_MAX:
            fail("content", f"超过{CONTENT_MAX}字，请精简或作为附件在系统中补充")
        title = _text(cell("title")) or _title_from(content)
        if len(title) > FIELD_LENGTHS["title"]:
            fail("title", f"不能超过{FIELD_LENGTHS['title']}字")
        ledger_number = _text(cell("ledger_number"))
        if len(ledger_number) > FIELD_LENGTHS["ledger_number"]:
            fail("ledger_number", f"不能超过{FIELD_LENGTHS['ledger_number']}个字符")
        complained_person = _text(cell("complained_person"))
        if len(complained_person) > FIELD_LENGTHS["complained_person"]:
            fail("complained_person", f"不能超过{FIELD_LENGTHS['complained_person']}字")
        complained_unit = None
        if _text(cell("complained_unit")):
            complained_unit = parsed(
                "complained_unit", lambda: self._lookup("unit", _text(cell("complained_unit")))
            )
        handling_unit = None
        if _text(cell("handling_unit")):
            if self.actor.role not in TRANSITIONS["assign"].roles:
                fail("handling_unit", "只有交办员可以在导入时转送、交办；请清空此列，登记后由交办员交办")
            else:
                handling_unit = parsed(
                    "handling_unit", lambda: self._lookup("unit", _text(cell("handling_unit")))
                )
        people = parsed("names", lambda: self._petitioners(cell, fail))

        own = self.actor.unit
        if nature == Nature.ACCUSATION and complained_unit:
            if own.is_within(complained_unit):
                fail("complained_unit", "本单位是被检举控告的单位，应当回避，不能登记此事项")
            elif handling_unit and handling_unit.is_within(complained_unit):
                fail(
                    "handling_unit",
                    "检举控告事项不得交办给被检举控告的单位（《信访工作条例》第三十条、第四十六条）",
                )
        if errors:
            return None, errors
        names = [p["name"] for p in people]
        phones = [p["phone"] for p in people]
        if ledger_number:
            key = crypto.search_hash("import", f"no\x00{ledger_number}")
        else:
            basis = "\x00".join(["、".join(names), "、".join(phones), received.isoformat(), content])
            key = crypto.search_hash("import", f"row\x00{basis}")
        fields = {
            "channel": channel,
            "received_at": timezone.make_aware(received) if timezone.is_naive(received) else received,
            "title": title,
            "content": content,
            "request": _text(cell("request")),
            "nature": nature,
            "request_type": request_type,
            "division": division,
            "category": category,
            "complained_unit": complained_unit,
            "complained_person": complained_person,
            "headcount": max(1, len(people)),
            "anonymous": not people,
            "upper_due_date": due,
            "ledger_number": ledger_number,
        }
        row = LedgerRow(number, key, fields, people, handling_unit, _text(cell("instructions")))
        return row, []

    # ------------------------------------------------------------ cells

    def _received(self, value) -> datetime:
        received = values.parse_datetime(value)
        if received.year < EARLIEST_YEAR:
            raise ValueError(f"年份{received.year}太早，请核对")
        if timezone.make_aware(received) > self.now + timezone.timedelta(minutes=5):
            raise ValueError("信访时间不能晚于现在")
        return received

    def _petitioners(self, cell, fail) -> list[dict]:
        names = values.split_list(_text(cell("names")))
        ids = [v.upper() for v in values.split_list(_text(cell("id_number")))]
        phones = [values.phone_digits(v) for v in values.split_list(_text(cell("phone")))]
        address = _text(cell("address"))
        for key, items, what in (("id_number", ids, "身份证号"), ("phone", phones, "电话")):
            if len(items) > max(1, len(names)):
                fail(
                    key,
                    f"填写了{len(items)}个{what}，但只有{len(names)}名信访人；多人时请按信访人的顺序一一对应",
                )
        # The messages are kept on the job and shown on its page: the values in them are masked
        # (the encrypted error workbook keeps the row as it was, to be corrected).
        for v in ids:
            if not id_number_is_valid(v):
                fail("id_number", f"「{crypto.mask_id_number(v)}」的格式或校验位不正确")
        for v in phones:
            if not PHONE_RE.match(v):
                fail("phone", f"「{crypto.mask_phone(v)}」不是有效的电话号码：手机号为11位，固定电话请带区号")
        if not names and (ids or phones):
            fail("names", "填写了身份证号或电话，但没有信访人姓名")
        for name in names:
            if len(name) > 60:
                fail("names", f"「{crypto.mask_name(name[:10])}…」太长，不像姓名；多人请用顿号分隔")
        return [
            {
                "name": name,
                "id_number": ids[i] if i < len(ids) else "",
                "phone": phones[i] if i < len(phones) else "",
                "address": address if i == 0 else "",
                "is_representative": False,
            }
            for i, name in enumerate(names)
        ]

    # ------------------------------------------------------------ reference data

    def reference(self, kind: str, text: str):
        """The division ("division"), category or unit ("unit") a cell names; ValueError with the
        reason otherwise. Other kinds of 台账 name places and units the same way."""
        return self._lookup(kind, text)

    def _lookup(self, kind: str, text: str):
        if not text:
            raise ValueError("不能为空")
        cache = self._cache.setdefault(kind, {})
        if text not in cache:
            try:
                cache[text] = (getattr(self, f"_find_{kind}")(text), None)
            except ValueError as exc:
                cache[text] = (None, str(exc))
        found, problem = cache[text]
        if problem:
            raise ValueError(problem)
        return found

    def _find_division(self, text: str) -> Division:
        compact = "".join(CATEGORY_SEPARATORS.sub("", text).split())
        if compact.isdigit():
            try:
                code = normalize_code(compact)
            except CodeError as exc:
                raise ValueError(f"区划代码{exc}") from None
            found = Division.objects.filter(code__in={compact, code}).first()
            if found is None:
                raise ValueError(f"系统中没有区划代码为「{compact}」的区划")
            return found
        # The name alone, or with its ancestors in front: 新华街道, 和平区新华街道, 某市/和平区/新华街道.
        suffixes = [compact[i:] for i in range(len(compact))]
        matches = [
            d for d in Division.objects.filter(name__in=suffixes) if self._full_name(d).endswith(compact)
        ]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise ValueError(f"系统中找不到区划「{text}」")
        names = "、".join(self._full_name(d) for d in matches[:3])
        raise ValueError(f"「{text}」有多个同名区划（{names}等），请写上上级区划名称或填写区划代码")

    def _full_name(self, division: Division) -> str:
        names = self._cache.setdefault("division_names", {})
        codes = [c for c in division.path.strip("/").split("/") if c]
        missing = [c for c in codes if c not in names]
        if missing:
            names.update(Division.objects.filter(code__in=missing).values_list("code", "name"))
        return "".join(names.get(c, "") for c in codes)

    def _find_category(self, text: str) -> Category:
        parts = [p for p in CATEGORY_SEPARATORS.split(text) if p]
        items = Category.objects.filter(active=True, parent__isnull=False).select_related("parent")
        if len(parts) >= 2:
            found = items.filter(parent__name=parts[-2], name=parts[-1]).first()
            if found is None:
                raise ValueError(f"没有「{parts[-2]}」下的二级分类「{parts[-1]}」")
            return found
        same = list(items.filter(name=text)[:3])
        if len(same) == 1:
            return same[0]
        if same:
            raise ValueError(f"二级分类「{text}」在多个一级分类下都有，请写成「一级分类／{text}」")
        if Category.objects.filter(parent__isnull=True, name=text).exists():
            raise ValueError(f"「{text}」是一级分类，请写到二级分类，如「{text}／…」")
        raise ValueError(f"没有名为「{text}」的内容分类（启用中的二级分类）")

    def _find_unit(self, text: str) -> Unit:
        found = list(Unit.objects.filter(Q(name=text) | Q(short_name=text))[:3])
        if len(found) > 1:
            found = [u for u in found if u.name == text] or found
        if not found:
            raise ValueError(f"系统中没有名为「{text}」的单位")
        if len(found) > 1:
            raise ValueError(f"简称「{text}」对应多个单位，请写单位全称")
        if not found[0].active:
            raise ValueError(f"「{text}」已停用")
        return found[0]


def _word(text: str, words: dict, what: str) -> str:
    if not text.strip():
        raise ValueError("不能为空")
    value = words.get(text.strip())
    if value is None:
        choices = "、".join(dict.fromkeys(v.label for v in words.values()))
        raise ValueError(f"「{text}」不是可识别的{what}，可填：{choices}")
    return value


def _title_from(content: str) -> str:
    first = content.strip().splitlines()[0] if content.strip() else ""
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"
