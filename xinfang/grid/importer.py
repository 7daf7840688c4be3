"""Grids from a CSV or .xlsx file (网格编码, 网格名称, 所属村（社区）代码, 责任单位, 网格员): an existing
grid (by code) is updated, a new one created; every row checked first, errors in Chinese by row."""

from django.core.exceptions import ValidationError
from django.db import transaction

from xinfang.core.tables import open_table, text_of
from xinfang.ledger import values
from xinfang.ledger.jobs import limits
from xinfang.org.importers import RowError
from xinfang.org.models import Division, Unit, User

from .models import Grid

HEADER = {
    "网格编码": "code",
    "网格名称": "name",
    "所属村（社区）代码": "division",
    "责任单位": "unit",
    "网格员": "workers",
}
ALIASES = {
    "编码": "code",
    "名称": "name",
    "区划代码": "division",
    "村社区代码": "division",
    "网格员账号": "workers",
}


def import_grids(content: bytes) -> tuple[int, list[RowError]]:
    """(grids written, errors); nothing is written when any row is wrong."""
    table = open_table(content, limits())
    names = {**HEADER, **ALIASES}
    index = {names[h.strip()]: i for i, h in enumerate(table.header) if h and h.strip() in names}
    missing = [label for label, key in HEADER.items() if key not in index and key != "workers"]
    if missing:
        return 0, [RowError(0, "", "缺少列：" + "、".join(missing))]
    rows, errors = [], []
    for number, cells in table.rows():

        def cell(key, cells=cells):
            i = index.get(key)
            return text_of(cells[i]).strip() if i is not None and i < len(cells) else ""

        division = Division.objects.filter(code=cell("division")).first()
        unit = Unit.objects.filter(name=cell("unit")).first()
        workers = values.split_list(cell("workers"))
        found = list(User.objects.filter(username__in=workers))
        grid = Grid.objects.filter(code=cell("code")).first() or Grid(code=cell("code"))
        grid.name, grid.division, grid.unit = cell("name"), division, unit
        problems = []
        if division is None:
            problems.append(
                RowError(number, "所属村（社区）代码", f"系统中没有区划代码「{cell('division')}」")
            )
        if unit is None:
            problems.append(RowError(number, "责任单位", f"系统中没有单位「{cell('unit')}」"))
        unknown = set(workers) - {u.username for u in found}
        if unknown:
            problems.append(RowError(number, "网格员", "没有这些账号：" + "、".join(sorted(unknown))))
        wrong = [u.username for u in found if not u.reports_events]
        if wrong:
            problems.append(RowError(number, "网格员", "这些账号不是网格员或信息员：" + "、".join(wrong)))
        if not problems:
            try:
                grid.full_clean(exclude=["workers"])
            except ValidationError as exc:
                problems += [RowError(number, "", m) for m in exc.messages]
        errors += problems
        rows.append((grid, found))
    if errors:
        return 0, errors
    with transaction.atomic():
        for grid, found in rows:
            grid.save()
            grid.workers.set(found)
    return len(rows), []
