"""Writing .xlsx workbooks: the one place the product does (matter list exports, the rows an import
refused, report and dashboard tables, the import template).

What petitioners, staff or an imported file typed is written as text, never as a formula. openpyxl
stores text beginning with "=" as a live formula, and Excel or WPS turns text beginning with "=",
"+", "-" or "@" (or a tab or carriage return before them) into one as soon as the cell is edited;
a formula can fetch URLs, run DDE commands or mislead the reader. Every text cell is therefore
written as a string cell, and text with such a start also carries Excel's leading-apostrophe mark
(quotePrefix), so it shows, edits and reads back exactly as typed. Numbers and dates stay numbers and
dates. Sheets are written row by row (openpyxl's write-only mode), so a large export does not grow
in memory.
"""

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

# What spreadsheet programs take as the start of a formula; the full-width forms are what a Chinese
# input method types, and some versions accept them too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
BOLD = Font(bold=True)


class Book:
    """`book = Book()`, `sheet = book.sheet("名称", header, widths=[…])`, `sheet.append([...])`,
    `book.save(path_or_stream)`."""

    def __init__(self):
        self._book = Workbook(write_only=True)

    def sheet(self, title, header=(), *, widths=(), header_fonts=None, centre_header=False, freeze=False):
        """A new sheet with its column widths (in characters) and a header row (bold unless
        `header_fonts` gives each header cell's font); `freeze` keeps the header in view."""
        sheet = Sheet(self._book.create_sheet(title))
        for i, width in enumerate(widths, start=1):
            sheet.ws.column_dimensions[get_column_letter(i)].width = width
        if freeze:
            sheet.ws.freeze_panes = "A2"
        if header:
            sheet.append(
                header,
                fonts=header_fonts or [BOLD] * len(header),
                alignment=Alignment(horizontal="center") if centre_header else None,
            )
        return sheet

    def save(self, target):
        self._book.save(target)


class Sheet:
    def __init__(self, ws):
        self.ws = ws

    def append(self, values, *, formats=None, fonts=None, alignment=None):
        """One row. `formats` and `fonts`: a number format / font per column (None: none)."""
        self.ws.append(
            [
                cell(
                    self.ws,
                    value,
                    number_format=formats[i] if formats else None,
                    font=fonts[i] if fonts else None,
                    alignment=alignment,
                )
                for i, value in enumerate(values)
            ]
        )

    def add_validation(self, validation):
        """A data validation (e.g. a drop-down list) on a range of this sheet."""
        self.ws.data_validations.append(validation)


def cell(ws, value, *, number_format=None, font=None, alignment=None) -> WriteOnlyCell:
    """One cell of a write-only sheet, text kept as text (see above)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XML cannot hold
    out = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        out.data_type = "s"  # never a formula ("=…") or an error value ("#N/A")
        if value.startswith(FORMULA_STARTS):
            out.quotePrefix = True
    if number_format:
        out.number_format = number_format
    if font is not None:
        out.font = font
    if alignment is not None:
        out.alignment = alignment
    return out
