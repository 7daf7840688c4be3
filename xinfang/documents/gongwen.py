"""The GB/T 9704-2012 official-document (公文) layout as .docx. No Django: callers give text.

A4 paper; margins top 37 mm, bottom 35 mm, binding (left) 28 mm, right 26 mm, which leaves the
156 × 225 mm text block; body in 3号仿宋 on a grid of 22 lines × 28 characters; the title in 2号小标宋;
headings 一、 in 黑体 and （一） in 楷体; page numbers in 4号宋体 between dashes, on the outer side
(odd pages right, even pages left) one character in from the edge of the text block.
"""

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

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
LINES, CHARS = 22, 28
# 225 mm / 22 lines; 156 mm / 28 characters (a 3号 character is 16 pt, a little wider than the
# grid's 15.79 pt, so the grid narrows each by the difference, in 1/4096 pt as Word counts it).
LINE_PITCH = Pt(225 / 25.4 * 72 / LINES)
CHAR_SPACE = round((156 / 25.4 * 72 / CHARS - 16) * 4096)


def _fonts(run, name, size, bold=False):
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


class Gongwen:
    """A 公文 being written: title, headings, paragraphs, tables, signature; then `to_bytes()`."""

    def __init__(self):
        self.doc = Document()
        self._page()
        self._body_style()
        self._page_numbers()

    def _page(self):
        section = self.doc.sections[0]
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
        section.footer_distance = Mm(28)  # the page number sits 7 mm below the text block
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
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(p.add_run(text), TITLE_FONT, SIZE_2)
        self.doc.add_paragraph()  # one blank line between title and body
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
        p.paragraph_format.first_line_indent = SIZE_3 * 2  # two characters
        _fonts(p.add_run(text), font, SIZE_3)
        return p

    def table(self, header, rows):
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            _fonts(cell.paragraphs[0].add_run(str(text)), HEADING1_FONT, SIZE_4)
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                _fonts(cell.paragraphs[0].add_run(str(text)), BODY_FONT, SIZE_4)
        return table

    def signature(self, unit, day):
        """发文机关署名 and 成文日期, right-aligned, four characters in from the right."""
        self.doc.add_paragraph()
        for text in (unit, f"{day.year}年{day.month}月{day.day}日"):
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.right_indent = SIZE_3 * 4
            _fonts(p.add_run(text), BODY_FONT, SIZE_3)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()
