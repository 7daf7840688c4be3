"""信访形势分析报告 (monthly, quarterly, annual situation report): the figures gathered from the
dashboard's panels (`data`), written up (`narrative`, `art41`) and laid out as a GB/T 9704 公文
(`docx`, .pdf through LibreOffice) or as the workbook of its tables (`xlsx`).

`period_of` reads a period as people write it; `render` is what the page and `xinfang report` call.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from xinfang.analytics.panels import Period
from xinfang.documents import convert

from .data import gather
from .docx import render_report
from .figures import KINDS, ReportError
from .xlsx import render_tables_xlsx


def period_of(kind: str, value: str) -> Period:
    """'2026-10' (monthly), '2026Q3' or '2026-Q3' (quarterly), '2025' (annual)."""
    value = value.strip()
    if kind == "monthly" and (m := re.fullmatch(r"(\d{4})-(\d{1,2})", value)):
        y, mo = int(m[1]), int(m[2])
        if 1 <= mo <= 12:
            return Period(date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]))
    if kind == "quarterly" and (m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", value)):
        y, q = int(m[1]), int(m[2])
        last_month = q * 3
        return Period(date(y, last_month - 2, 1), date(y, last_month, calendar.monthrange(y, last_month)[1]))
    if kind == "annual" and re.fullmatch(r"\d{4}", value):
        return Period(date(int(value), 1, 1), date(int(value), 12, 31))
    examples = {"monthly": "2026-10", "quarterly": "2026Q3", "annual": "2025"}
    raise ReportError(
        f"报告期间「{value}」格式不正确，{KINDS.get(kind, '')}报告请写作 {examples.get(kind, '')}。"
    )


def render(kind: str, period: Period, fmt: str, **kw) -> bytes:
    """The report as .docx, .pdf (LibreOffice) or the .xlsx of its tables."""
    data = gather(kind, period, **kw)
    if fmt == "xlsx":
        return render_tables_xlsx(data)
    docx = render_report(data)
    return convert.to_pdf(docx) if fmt == "pdf" else docx
