"""The GB/T 9704-2012 official-document (公文) layout as .docx. No Django: callers give text.

A4 paper; margins top 37 mm, bottom 35 mm, binding (left) 28 mm, right 26 mm, which leaves the
156 × 225 mm text block; body in 3号仿宋 on a grid of 22 lines × 28 characters; the title in 2号小标宋;
headings 一、 in 黑体 and （一） in 楷体; page numbers in 4号宋体 between dashes, on the outer side
(odd pages right, even pages left) one character in from the edge of the text block.

Reports add figures (a picture at most the text block wide, "图N" caption below), numbered tables
("表N" title above, numbers right-aligned, the header row repeated on every page), an attachment
note (附件说明) and the attachment itself on a new page (附件 in 黑体, then its own title).
"""

import copy
import io
import math
from numbers import Number

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
SIZE_2 = Pt(22)  # 2号
SIZE_3 = Pt(16)  # 3号
SIZE_4 = Pt(14)  # 4号

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
TEXT_WIDTH_MM = 156  # the text block: 210 − 28 − 26
CAPTION_FONT = HEADING1_FONT
LINES, CHARS = 22, 28
# 225 mm / 22 lines; 156 mm / 28 characters (a 3号 character is 16 pt, a little wider than the
# grid's 15.79 pt, so the grid narrows each by the difference, in 1/4096 pt as Word counts it).
# The line pitch is rounded down to whole twips (28.95 pt): rounded up (29.00 pt), 22 lines would
# overrun the 225 mm block by 0.2 pt and Word and LibreOffice would set 21.
LINE_PITCH = Pt(math.floor(225 / 25.4 * 72 / LINES * 20) / 20)
CHAR_SPACE = round((156 / 25.4 * 72 / CHARS - 16) * 4096)


def _fonts(run, name, size, bold=False):
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _off_grid(p, line_spacing=None):
    """Let a paragraph leave the 22-line grid: a picture would be clipped by the body's exact line
    height, and table cells in 4号 would each take a full 3号 grid line."""
    fmt = p.paragraph_format
    if line_spacing is None:
        fmt.line_spacing = 1.0  # single, grows with the picture
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line_spacing
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p._p.get_or_add_pPr().insert_element_before(
        snap, "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:jc", "w:rPr"
    )


def _number_text(value):
    """Numbers as a table shows them: integers with thousands separators, others as given."""
    if isinstance(value, bool) or not isinstance(value, Number):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}"


class Gongwen:
    """A 公文 being written: title, headings, paragraphs, tables, signature; then `to_bytes()`."""

    def __init__(self):
        self.doc = Document()
        self.figures = 0  # figures and tables numbered so far (图N, 表N)
        self.tables = 0
        self._page()
        self._body_style()
        self._page_numbers()

    def _page(self):
        section = self.doc.sections[0]
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
        # The page number's line (exactly 4号 high) ends 23 mm above the paper's edge, so its top is
        # 7 mm below the text block (35 mm): the footer then stays inside the bottom margin and
        # leaves the text block its 22 lines (a taller footer would push the block up).
        section.footer_distance = Mm(35 - 7) - SIZE_4
        grid = section._sectPr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            section._sectPr.append(grid)
        grid.set(qn("w:type"), "linesAndChars")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
        grid.set(qn("w:charSpace"), str(CHAR_SPACE))

    def _body_style(self):
        style = self.doc.styles["Normal"]
        style.font.name = BODY_FONT
        style.font.size = SIZE_3
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
        fmt = style.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH
        fmt.space_before = fmt.space_after = Pt(0)

    def _page_numbers(self):
        self.doc.settings.odd_and_even_pages_header_footer = True
        section = self.doc.sections[0]
        for footer, align in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            p = footer.paragraphs[0]
            p.alignment = align
            _off_grid(p, SIZE_4)
            side = "right_indent" if align == WD_ALIGN_PARAGRAPH.RIGHT else "left_indent"
            setattr(p.paragraph_format, side, SIZE_3)  # one character in
            _fonts(p.add_run("— "), PAGE_NUMBER_FONT, SIZE_4)
            number = p.add_run()
            _fonts(number, PAGE_NUMBER_FONT, SIZE_4)
            field = OxmlElement("w:fldSimple")
            field.set(qn("w:instr"), "PAGE")
            inner = OxmlElement("w:r")
            text = OxmlElement("w:t")
            text.text = "1"
            inner.append(text)
            field.append(inner)
            number._element.addnext(field)
            _fonts(p.add_run(" —"), PAGE_NUMBER_FONT, SIZE_4)

    def title(self, text):
        p = self._title_line(text)
        self.doc.add_paragraph()  # one blank line between title and body
        return p

    def _title_line(self, text):
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(p.add_run(text), TITLE_FONT, SIZE_2)
        return p

    def subtitle(self, text):
        """A line under the title (e.g. the document number), centred in the body font."""
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(p.add_run(text), BODY_FONT, SIZE_3)
        return p

    def salutation(self, text):
        """The addressee (主送), flush left, followed by a full-width colon."""
        p = self.doc.add_paragraph()
        _fonts(p.add_run(text), BODY_FONT, SIZE_3)
        return p

    def heading1(self, text):
        return self._indented(text, HEADING1_FONT)

    def heading2(self, text):
        return self._indented(text, HEADING2_FONT)

    def paragraph(self, text):
        return self._indented(text, BODY_FONT)

    def _indented(self, text, font):
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY  # 两端对齐, as the body of a 公文
        p.paragraph_format.first_line_indent = SIZE_3 * 2  # two characters
        _fonts(p.add_run(text), font, SIZE_3)
        return p

    def table(self, header, rows, *, title=None, numeric=None, widths_mm=None, size=SIZE_4):
        """A bordered table, centred. `title` adds the numbered "表N　title" above it. Columns in
        `numeric` (indexes; by default those whose every value is a number) are right-aligned, with
        integers shown as 1,234. `widths_mm` sets the columns (their sum at most the text block)."""
        rows = [list(row) for row in rows]
        if title is not None:
            self.tables += 1
            self._caption(f"表{self.tables}\u3000{title}", keep_with_next=True)
        if numeric is None:
            numeric = {
                i
                for i in range(len(header))
                if rows
                and all(isinstance(row[i], Number) or row[i] is None for row in rows)
                and any(isinstance(row[i], Number) for row in rows)
            }
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        compact = title is not None or widths_mm is not None
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            _fonts(cell.paragraphs[0].add_run(str(text)), HEADING1_FONT, size)
            if compact:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        if compact:  # repeat the header row on every page the table runs onto
            header_mark = OxmlElement("w:tblHeader")
            table.rows[0]._tr.get_or_add_trPr().append(header_mark)
        if rows:  # one row formatted cell by cell; every row is a copy of it with its own text
            for i, cell in enumerate(table.add_row().cells):
                p = cell.paragraphs[0]
                _fonts(p.add_run(""), BODY_FONT, size)
                if i in numeric:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if compact:
            for row in table.rows:
                for cell in row.cells:
                    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                    for p in cell.paragraphs:
                        _off_grid(p, Pt(size.pt * 1.5))
        if widths_mm is not None:
            if len(widths_mm) != len(header) or sum(widths_mm) > TEXT_WIDTH_MM + 0.01:
                raise ValueError(f"列宽 {widths_mm} 与表头不符或超过版心宽度 {TEXT_WIDTH_MM} mm")
            table.autofit = False
            for col, width in zip(table._tbl.tblGrid.gridCol_lst, widths_mm, strict=True):
                col.w = Mm(width)  # the grid is what LibreOffice lays out by; Word reads the cells
            for row in table.rows:
                for cell, width in zip(row.cells, widths_mm, strict=True):
                    cell.width = Mm(width)
        if rows:  # python-docx takes milliseconds a cell: a list of hundreds of rows is copied
            model = table.rows[-1]._tr
            model.getparent().remove(model)
            for row in rows:
                tr = copy.deepcopy(model)
                table._tbl.append(tr)
                for tc, value in zip(tr.tc_lst, row, strict=True):
                    _Cell(tc, table).paragraphs[0].runs[0].text = _number_text(value)
        if compact:  # a little air between the table and the text after it
            _off_grid(self.doc.add_paragraph(), Pt(8))
        return table

    def image(self, png_bytes, width_mm=TEXT_WIDTH_MM, caption=None):
        """A picture centred on its own line, at most the text block wide, with "图N　caption" below."""
        if not 0 < width_mm <= TEXT_WIDTH_MM:
            raise ValueError(f"图片宽度须在 0–{TEXT_WIDTH_MM} mm 之间，得到 {width_mm}")
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _off_grid(p)
        p.paragraph_format.keep_with_next = caption is not None
        shape = p.add_run().add_picture(io.BytesIO(png_bytes), width=Mm(width_mm))
        if caption is not None:
            self.figures += 1
            self._caption(f"图{self.figures}\u3000{caption}")
        return shape

    def _caption(self, text, keep_with_next=False):
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = keep_with_next
        _fonts(p.add_run(text), CAPTION_FONT, SIZE_4)
        return p

    def attachment_note(self, *names):
        """附件说明: a blank line after the body, then "附件：name" two characters in (numbered when
        there are several), a wrapped name lining up under its first character; before the signature."""
        self.doc.add_paragraph()
        for i, name in enumerate(names, 1):
            label = f"{i}．{name}" if len(names) > 1 else name
            p = self._indented(f"附件：{label}" if i == 1 else label, BODY_FONT)
            fmt = p.paragraph_format
            fmt.left_indent = SIZE_3 * 5  # 2 characters in, then the 3 of 附件：
            fmt.first_line_indent = -SIZE_3 * 3 if i == 1 else Pt(0)
            if len(names) > 1:  # a wrapped name also clears its number (two half-width characters)
                fmt.left_indent += SIZE_3
                fmt.first_line_indent -= SIZE_3

    def attachment(self, title, number=None, subtitle=None):
        """Start an attachment on a new page: "附件" (or "附件N") flush left in 黑体, a blank line, its
        title in 小标宋 (and a line under it, e.g. its basis), a blank line."""
        p = self.doc.add_paragraph()
        p.paragraph_format.page_break_before = True
        _fonts(p.add_run("附件" if number is None else f"附件{number}"), HEADING1_FONT, SIZE_3)
        self.doc.add_paragraph()
        heading = self._title_line(title)
        if subtitle is not None:
            self.subtitle(subtitle)
        self.doc.add_paragraph()
        return heading

    def signature(self, unit, day):
        """发文机关署名 and 成文日期, right-aligned, four characters in from the right. They keep to
        the last paragraph of the body, so that a page never holds the signature alone."""
        if self.doc.paragraphs:
            self.doc.paragraphs[-1].paragraph_format.keep_with_next = True
        self.doc.add_paragraph().paragraph_format.keep_with_next = True
        for i, text in enumerate((unit, f"{day.year}年{day.month}月{day.day}日")):
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.right_indent = SIZE_3 * 4
            p.paragraph_format.keep_with_next = i == 0
            _fonts(p.add_run(text), BODY_FONT, SIZE_3)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()
