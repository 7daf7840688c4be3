"""The columns of a matter 台账: the template's headers (the usual 交办单 fields), the other names
bureaus give them, and the first guess of which file column is which. Plain Python."""

from dataclasses import dataclass

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from xinfang.core.workbook import Book


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the template's header
    required: bool
    aliases: tuple[str, ...] = ()
    hint: str = ""  # shown in the template's 填写说明 sheet

    def names(self):
        return {self.label, *self.aliases}


COLUMNS = [
    Column(
        "ledger_number",
        "编号",
        False,
        ("台账编号", "交办单编号", "登记编号", "件号", "信访编号"),
        "原台账中的编号；再次导入同一文件时按编号识别，不会重复登记。没有编号的按内容识别。",
    ),
    Column(
        "names",
        "信访人",
        False,
        ("姓名", "信访人姓名", "来信人", "来访人", "反映人"),
        "多人用顿号分隔；姓名地址不详的留空。",
    ),
    Column(
        "id_number",
        "身份证号",
        False,
        ("身份证号码", "证件号码", "公民身份号码"),
        "18位；多人时按信访人的顺序用顿号分隔。",
    ),
    Column("address", "住址", False, ("地址", "家庭住址", "联系地址", "通讯地址")),
    Column(
        "phone",
        "电话",
        False,
        ("联系电话", "手机", "手机号", "手机号码", "联系方式"),
        "手机11位，固定电话带区号；多人时按信访人的顺序用顿号分隔。",
    ),
    Column(
        "received_at",
        "信访时间",
        True,
        ("信访日期", "来信日期", "来访日期", "来访时间", "收到时间", "登记时间", "登记日期"),
        "如2025-03-01、2025/3/1、2025年3月1日，可带时间14:30。",
    ),
    Column(
        "division",
        "问题属地",
        True,
        ("属地", "问题发生地", "所属区划", "行政区划", "区划代码"),
        "区划名称或代码；重名的写上级名称，如「和平区新华街道」。",
    ),
    Column(
        "category",
        "内容分类",
        True,
        ("问题分类", "问题类别", "分类", "内容类别"),
        "二级分类，如「城乡建设／物业管理」，二级名称不重名时可只写「物业管理」。",
    ),
    Column(
        "channel",
        "信访方式",
        True,
        ("信访形式", "来源", "来源渠道", "渠道"),
        "来信、来访、网上、电话、传真、领导接访、上级转送、上级交办。",
    ),
    Column(
        "content",
        "案情",
        True,
        ("主要内容", "信访内容", "反映问题", "事项内容", "问题摘要", "内容", "简要案情"),
    ),
    Column("request", "诉求", False, ("主要诉求", "信访诉求", "诉求内容")),
    Column(
        "due_date",
        "办理时限",
        False,
        ("办结时限", "时限", "办理期限", "要求办结日期", "要求办结时间"),
        "要求办结的日期，如2025-04-15；法定期限由系统按《信访工作条例》另行计算。",
    ),
    Column(
        "handling_unit",
        "承办单位",
        False,
        ("责任单位", "主办单位", "办理单位"),
        "系统中的单位全称或简称；填写的，导入时即交办（本级以外为转送）给该单位；填本单位的为直接办理；留空的待交办。",
    ),
    Column(
        "instructions", "办理意见", False, ("拟办意见", "交办意见", "批办意见"), "交办时给承办单位的意见。"
    ),
    Column("title", "标题", False, ("事项标题", "摘要标题"), "留空时取案情的开头。"),
    Column(
        "nature",
        "事项性质",
        False,
        ("性质", "信访性质"),
        "建议意见、检举控告、申诉求决；留空时按导入时选择的默认值。",
    ),
    Column(
        "request_type",
        "诉求类型",
        False,
        ("诉求类别",),
        "咨询、求助、投诉、举报、建议；留空时按导入时选择的默认值。",
    ),
    Column("complained_unit", "被反映单位", False, ("被检举控告单位", "被投诉单位")),
    Column("complained_person", "被反映人", False, ("被检举控告人", "被投诉人")),
]
BY_KEY = {c.key: c for c in COLUMNS}
# The template holds the 交办单 columns (and the ID number); the others are accepted when present.
OPTIONAL_EXTRAS = {"title", "nature", "request_type", "complained_unit", "complained_person"}
TEMPLATE_COLUMNS = [c for c in COLUMNS if c.key not in OPTIONAL_EXTRAS]


def _normal(text: str) -> str:
    return "".join(str(text or "").split()).lstrip("\ufeff").replace("（", "(").replace("）", ")").lower()


def guess_mapping(header: list[str], columns=None) -> dict[str, int]:
    """{column key: index in the file's header} for headers that name a known column exactly
    (`columns`: another ledger's, e.g. the dispute 台账's; by default the matter 台账's)."""
    by_name = {}
    for c in COLUMNS if columns is None else columns:
        for name in c.names():
            by_name.setdefault(_normal(name), c.key)
    mapping = {}
    for i, text in enumerate(header):
        key = by_name.get(_normal(text))
        if key and key not in mapping:
            mapping[key] = i
    return mapping


def missing_required(mapping: dict[str, int], columns=None) -> list[Column]:
    return [c for c in (COLUMNS if columns is None else columns) if c.required and c.key not in mapping]


def notes_sheet(book, columns, examples: dict, optional=frozenset(), closing=""):
    """The template's 填写说明 sheet: each column, whether it is required, its other names, how to
    fill it and an example."""
    notes = book.sheet(
        "填写说明", ["列名", "必填", "可用的其他列名", "填写说明", "示例"], widths=(12, 6, 36, 70, 30)
    )
    for c in columns:
        extra = "（可选列，模板中没有，需要时自行添加）" if c.key in optional else ""
        notes.append(
            [
                c.label,
                "是" if c.required else "",
                "、".join(c.aliases),
                c.hint + extra,
                examples.get(c.key, ""),
            ]
        )
    notes.append([])
    notes.append([closing])


EXAMPLE = {
    "ledger_number": "TZ2025-0001",
    "names": "张三",
    "id_number": "",
    "address": "和平区新华街道幸福里3号楼",
    "phone": "13800000000",
    "received_at": "2025-03-01",
    "division": "新华街道",
    "category": "城乡建设／物业管理",
    "channel": "来访",
    "content": "小区电梯停用两个月，物业公司不维修，老人出行困难。",
    "request": "督促物业公司尽快修复电梯",
    "due_date": "2025-04-15",
    "handling_unit": "",
    "instructions": "请依法按政策处理，按期答复信访人",
}
CHANNELS = "来信,来访,网上,电话,传真,领导接访,上级转送,上级交办"


def write_template(stream):
    """The import template: the 交办单 columns on the first sheet, how to fill them on the second."""
    book = Book()
    sheet = book.sheet(
        "信访事项",
        [c.label for c in TEMPLATE_COLUMNS],
        widths=[40 if c.key in {"content", "request", "instructions"} else 16 for c in TEMPLATE_COLUMNS],
        header_fonts=[Font(bold=True, color="C00000" if c.required else "000000") for c in TEMPLATE_COLUMNS],
        freeze=True,
    )
    letter = get_column_letter([c.key for c in TEMPLATE_COLUMNS].index("channel") + 1)
    choice = DataValidation(type="list", formula1=f'"{CHANNELS}"', allow_blank=True)
    choice.add(f"{letter}2:{letter}100000")
    sheet.add_validation(choice)
    notes_sheet(
        book,
        COLUMNS,
        EXAMPLE,
        OPTIONAL_EXTRAS,
        "第一个工作表的第一行是表头，从第二行起每行一件事项。红色列名为必填列。列的顺序可以调整，导入时可以重新指定对应关系。",
    )
    book.save(stream)
