"""The hazard ledger's lists and statistics as .xlsx, written through the one workbook writer
(xinfang/core/workbook.py, xinfang/core/xlsx_tables.py)."""

import io

from xinfang.core.workbook import Book
from xinfang.core.xlsx_tables import TableSheet, tables_xlsx

HAZARD_COLUMNS = [
    ("隐患编号", 14, lambda h: h.display_code),
    ("生产经营单位", 28, lambda h: h.enterprise.name),
    ("统一社会信用代码", 22, lambda h: h.enterprise.credit_code),
    ("行业", 16, lambda h: h.get_industry_display()),
    ("所在区划", 12, lambda h: h.division.name),
    ("发现日期", 12, lambda h: h.found_on),
    ("发现方式", 10, lambda h: h.get_source_display()),
    ("隐患类型", 10, lambda h: h.hazard_type.name),
    ("隐患等级", 10, lambda h: h.get_level_display()),
    ("隐患部位", 16, lambda h: h.location),
    ("隐患名称", 30, lambda h: h.title),
    ("隐患描述", 40, lambda h: h.description),
    ("状态", 12, lambda h: h.get_status_display()),
    ("行业监管部门", 24, lambda h: h.holder_unit.name),
    ("当前期限", 12, lambda h: h.due_date),
    ("整改期限", 12, lambda h: h.rectify_due),
    ("验收合格日期", 12, lambda h: h.rectified_on),
    ("按期整改", 8, lambda h: {True: "是", False: "否"}.get(h.rectified_on_time, "")),
    ("销号日期", 12, lambda h: h.closed_on),
    ("挂牌督办", 14, lambda h: h.get_listed_level_display()),
]
DATE_FORMAT = "yyyy-mm-dd"
CHUNK = 2000


def write_hazards(queryset, stream) -> int:
    book = Book()
    sheet = book.sheet(
        "隐患排查治理台账",
        [t for t, _, _ in HAZARD_COLUMNS],
        widths=[w for _, w, _ in HAZARD_COLUMNS],
        freeze=True,
    )
    formats = [DATE_FORMAT if title.endswith(("日期", "期限")) else None for title, _, _ in HAZARD_COLUMNS]
    done = 0
    rows = queryset.select_related("enterprise", "hazard_type", "division", "holder_unit")
    for hazard in rows.iterator(chunk_size=CHUNK):
        sheet.append([value(hazard) for _, _, value in HAZARD_COLUMNS], formats=formats)
        done += 1
    book.save(stream)
    return done


def enterprise_columns(full: bool):
    def contact(e, key):
        return e.contact(full=full)[key]

    return [
        ("单位（场所）名称", 30, lambda e: e.name),
        ("统一社会信用代码", 22, lambda e: e.credit_code),
        ("行业", 16, lambda e: e.get_industry_display()),
        ("所在区划", 12, lambda e: e.division.name),
        ("地址", 30, lambda e: e.address),
        ("行业监管部门", 24, lambda e: e.supervising_unit.name),
        ("联系人", 10, lambda e: contact(e, "name")),
        ("联系电话", 14, lambda e: contact(e, "phone")),
    ]


def write_enterprises(queryset, stream, *, full: bool) -> int:
    columns = enterprise_columns(full)
    book = Book()
    sheet = book.sheet(
        "生产经营单位名录", [t for t, _, _ in columns], widths=[w for _, w, _ in columns], freeze=True
    )
    done = 0
    for e in queryset.select_related("division", "supervising_unit").iterator(chunk_size=CHUNK):
        sheet.append([value(e) for _, _, value in columns])
        done += 1
    book.save(stream)
    return done


def _table(name, first_header, rows) -> TableSheet:
    header = [
        first_header,
        "排查隐患",
        "一般隐患",
        "重大隐患",
        "已整改",
        "整改率",
        "按期整改率",
        "超期未整改",
        "重大隐患未销号",
        "挂牌督办",
        "重大隐患治理资金（元）",
    ]
    return TableSheet(
        name,
        header,
        [
            [
                f.label,
                f.found,
                f.general,
                f.major,
                f.rectified,
                f.rate,
                f.on_time_rate,
                f.overdue,
                f.major_open,
                f.listed,
                round(f.funds, 2),
            ]
            for f in rows
        ],
        percent={5, 6},
    )


def statistics_xlsx(report, title: str, majors=()) -> bytes:
    note = f"{title}；排查、整改按发现日期在{report.first:%Y-%m-%d}至{report.last:%Y-%m-%d}的隐患统计，超期未整改和重大隐患未销号为截至{report.today:%Y-%m-%d}的情况。"
    sheets = [
        _table("合计", "范围", [report.total]),
        _table("按行业监管部门", "行业监管部门", report.by_unit),
        _table("按行业", "行业", report.by_industry),
    ]
    sheets[0].note = note
    if majors:
        sheets.append(
            TableSheet(
                "重大隐患清单",
                ["隐患编号", "生产经营单位", "隐患", "状态", "整改期限", "挂牌督办"],
                [
                    [
                        h.display_code,
                        h.enterprise.name,
                        h.title,
                        h.get_status_display(),
                        h.due_date.isoformat() if h.due_date else "",
                        h.get_listed_level_display(),
                    ]
                    for h in majors
                ],
            )
        )
    return tables_xlsx(sheets)


def to_bytes(write, *args, **kwargs) -> bytes:
    out = io.BytesIO()
    write(*args, out, **kwargs)
    return out.getvalue()
