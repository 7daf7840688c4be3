"""Workbooks of statistical tables (the 信访形势分析报告's tables, the dashboard's exports): one
sheet per table, a bold centred header, numbers kept as numbers, columns as wide as their text.

No Django; any export of tables can use it.
"""

import io
from dataclasses import dataclass, field

from .workbook import Book

PERCENT = "0.0%"
WHOLE = "#,##0"
MAX_WIDTH = 60  # characters


@dataclass
class TableSheet:
    """One sheet: its name, header and rows; `percent` the columns (0-based) whose fractions show as
    percentages (0.123 as 12.3%); `note` a line below the table."""

    name: str
    header: list[str]
    rows: list[list]
    percent: set[int] = field(default_factory=set)
    note: str = ""


def display_width(value) -> int:
    """How many Latin characters wide `value` shows (a CJK character counts as two)."""
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def tables_xlsx(sheets: list[TableSheet]) -> bytes:
    """A workbook with one sheet per table: a missing value (None) leaves its cell empty, whole
    numbers show with thousands separators, fractions in percent columns as 0.0%. Written through
    the product's one workbook writer (text stays text, see xinfang/core/workbook.py)."""
    book = Book()
    for spec in sheets:
        widths = [
            min(
                MAX_WIDTH,
                max([display_width(title)] + [display_width(r[i]) for r in spec.rows if r[i] is not None])
                + 4,
            )
            for i, title in enumerate(spec.header)
        ]
        sheet = book.sheet(spec.name, spec.header, widths=widths, centre_header=True, freeze=True)
        for row in spec.rows:
            sheet.append(row, formats=[_number_format(v, i in spec.percent) for i, v in enumerate(row)])
        if spec.note:
            sheet.append([])
            sheet.append([spec.note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number_format(value, percent_column: bool) -> str | None:
    if percent_column and isinstance(value, float):
        return PERCENT
    if isinstance(value, int) and not isinstance(value, bool):
        return WHOLE
    return None
