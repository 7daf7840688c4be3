"""Workbooks of statistical tables (the 信访形势分析报告's tables, the dashboard's exports): one
sheet per table, a bold centred header, numbers kept as numbers, columns as wide as their text.

Plain Python, no Django; any export of tables can use it.
"""

import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

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
    numbers show with thousands separators, fractions in percent columns as 0.0%."""
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(spec.name)
        sheet.append(spec.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        for row in spec.rows:
            sheet.append(row)
        for col in range(1, len(spec.header) + 1):
            is_percent = col - 1 in spec.percent
            for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                if is_percent and isinstance(cell.value, float):
                    cell.number_format = PERCENT
                elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                    cell.number_format = WHOLE
            widest = max(
                [display_width(spec.header[col - 1])]
                + [display_width(r[col - 1]) for r in spec.rows if r[col - 1] is not None]
            )
            sheet.column_dimensions[get_column_letter(col)].width = min(MAX_WIDTH, widest + 4)
        sheet.freeze_panes = "A2"
        if spec.note:
            sheet.append([])
            sheet.append([spec.note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
