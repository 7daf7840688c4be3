"""The 信访形势分析报告's statistical tables as a workbook, one sheet each: numbers stay numbers,
shares, changes and rates are fractions shown as percentages, a missing value leaves its cell
empty."""

from xinfang.analytics.figures import change, share
from xinfang.core.xlsx_tables import TableSheet, tables_xlsx

from . import tables
from .figures import ReportData
from .tables import Change, Rate, Share, StatTable


def render_tables_xlsx(data: ReportData) -> bytes:
    """The report's statistical tables as a workbook, one sheet each."""
    return tables_xlsx(sheets(data))


def sheets(data: ReportData) -> list[TableSheet]:
    out = [_sheet("总体情况", tables.summary(data))]
    for field, (first, sheet, _title) in tables.BREAKDOWNS.items():
        out.append(_sheet(sheet, tables.breakdown(data, getattr(data, field), first)))
    out.append(_sheet("主要问题", tables.top_issues(data)))
    out.append(_sheet("走势", tables.volume(data)))
    out.append(_sheet("办理质效", tables.quality(data)))
    if data.longest_open:  # names matters: only when there are some the reader may see
        out.append(_sheet("在办时间最长", tables.longest_open(data)))
    out.append(_sheet("预警", tables.alerts(data)))
    if data.annual is not None:
        out.append(_sheet("被反映单位", tables.organs(data)))
        out.append(_sheet("转送交办督办", tables.dispatch(data, indent="")))
        out.append(_sheet("建议及采纳", tables.proposals(data)))
    return out


def _sheet(name: str, table: StatTable) -> TableSheet:
    percent = {j for row in table.rows for j, v in enumerate(row) if isinstance(v, (Change, Share, Rate))}
    return TableSheet(name, table.header, [[_cell(v) for v in row] for row in table.rows], percent)


def _cell(value):
    """A table cell as the workbook keeps it: a fraction for a change, share or rate."""
    if isinstance(value, Change):
        return change(value.current, value.base)
    if isinstance(value, Share):
        return share(value.part, value.total)
    if isinstance(value, Rate):
        return None if value.value is None else float(value.value)
    return value
