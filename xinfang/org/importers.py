"""Import administrative divisions from a CSV file (used by `xinfang import_divisions` and by pages).

File format
-----------
One header row, then one division per row. Columns (header names in Chinese or English, any order,
other columns are ignored):

* ``代码`` / ``code`` — the division code (required);
* ``名称`` / ``name`` — the name (required);
* ``上级代码`` / ``parent_code`` — the parent's code (optional). When empty, the parent is derived
  from the structure of the code: digits 1–2 province, 3–4 city, 5–6 county, 7–9 township,
  10–12 village.

The file may be UTF-8, UTF-8 with a BOM (as Excel writes it), UTF-16 with a BOM or GBK/GB18030.

Code convention
---------------
Codes are **stored with 12 digits**, the form of the statistical division codes (统计用区划代码):
``990000000000`` province, ``990100000000`` city, ``990102000000`` county, ``990102003000``
township, ``990102003201`` village. A fixed width keeps the ordering by code equal to the tree
order and makes a code's level unambiguous, including townships directly under a city that has no
counties (their county digits are ``00``). On input every form is accepted and padded to 12 digits:
the short forms without zero padding (``99``, ``9901``, ``990102``, ``990102003``), the 6-digit
GB/T 2260 forms (``990000``, ``990100``) and the 12-digit form. Existing divisions are matched by
their padded code, so rows that were entered in a short form are updated rather than duplicated
(and their code is rewritten in the 12-digit form).

The level of a division is that of the last non-zero part of its code (1 province … 5 village).

Import rules
------------
Every row is checked before anything is written; if any row is wrong nothing is written and every
problem is reported with its row number (the header is row 1), column and reason. Rows may come in
any order (a parent may follow its children). Importing the same file again updates names (and
parents) and creates no duplicates.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction

from xinfang.core.tables import FileRefused
from xinfang.core.tables import decode as decode_text

from .models import Division

CODE_LENGTH = 12
# (first digit, last digit exclusive) of each level's part of the 12-digit code
SEGMENTS = [(0, 2), (2, 4), (4, 6), (6, 9), (9, 12)]
INPUT_LENGTHS = {2, 4, 6, 9, 12}
NAME_MAX_LENGTH = Division._meta.get_field("name").max_length

COLUMNS = {
    "code": ("代码", {"代码", "区划代码", "行政区划代码", "code"}),
    "name": ("名称", {"名称", "区划名称", "行政区划名称", "name"}),
    "parent_code": ("上级代码", {"上级代码", "上级区划代码", "parent_code", "parent"}),
}
REQUIRED_COLUMNS = ("code", "name")


# ---------------------------------------------------------------- codes


class CodeError(ValueError):
    """A code that is not a valid division code; the message is for the user, in Chinese."""


def normalize_code(text) -> str:
    """The 12-digit form of a division code given in any accepted form; raises CodeError."""
    code = (text or "").strip()
    if not code:
        raise CodeError("不能为空")
    if not code.isdigit() or not code.isascii():
        raise CodeError(f"「{code}」只能由半角数字0–9组成")
    if len(code) not in INPUT_LENGTHS:
        raise CodeError(f"「{code}」的位数不对，应为2、4、6、9或12位数字")
    code = code.ljust(CODE_LENGTH, "0")
    if code[:2] == "00":
        raise CodeError(f"「{text.strip()}」的省级部分（前两位）不能为00")
    return code


def code_level(code: str) -> int:
    """Level 1..5 of a 12-digit code: the level of its last non-zero part."""
    level = 0
    for i, (a, b) in enumerate(SEGMENTS, start=1):
        if int(code[a:b]):
            level = i
    return level


def structural_parent(code: str) -> str | None:
    """The 12-digit code of the parent implied by the code (its last non-zero part set to zero)."""
    level = code_level(code)
    if level <= 1:
        return None
    a, b = SEGMENTS[level - 1]
    return code[:a] + "0" * (b - a) + code[b:]


def display_code(code: str) -> str:
    """The familiar short form for pages: 6 digits (GB/T 2260) down to county, 9 for a township,
    12 for a village."""
    try:
        full = normalize_code(code)
    except CodeError:
        return code
    level = code_level(full)
    return full[: {4: 9, 5: 12}.get(level, 6)]


# ---------------------------------------------------------------- results and errors


@dataclass(frozen=True)
class RowError:
    row: int  # row number in the file; the header is row 1
    column: str  # column label in Chinese, or "" for the whole row/file
    message: str

    def __str__(self):
        where = f"第{self.row}行" if self.row else "文件"
        return f"{where}「{self.column}」：{self.message}" if self.column else f"{where}：{self.message}"


class DivisionImportError(Exception):
    """The file was refused; `errors` lists every problem found. Nothing was written."""

    def __init__(self, errors: list[RowError], encoding: str = ""):
        self.errors = errors
        self.encoding = encoding
        super().__init__(f"行政区划导入失败，共{len(errors)}处错误，未写入任何数据。")


@dataclass
class ImportResult:
    encoding: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved_descendants: int = 0  # divisions outside the file whose path changed with their ancestor
    dry_run: bool = False

    def summary(self) -> str:
        verb = "检查通过（未写入）" if self.dry_run else "导入完成"
        text = (
            f"{verb}：共{self.rows}行（编码{self.encoding}），新增{self.created}个、"
            f"更新{self.updated}个、未变化{self.unchanged}个行政区划。"
        )
        if self.moved_descendants:
            text += f"另有{self.moved_descendants}个下级区划随上级调整了层级路径。"
        return text


@dataclass
class _Row:
    row: int
    code: str
    name: str
    parent_code: str | None  # 12-digit; None for a province
    parent_given: bool
    level: int
    valid: bool = True
    errors: list = field(default_factory=list)


# ---------------------------------------------------------------- reading


def decode(data: bytes) -> tuple[str, str]:
    """File bytes as text and the encoding found (UTF-8 with or without BOM, UTF-16, GBK/GB18030),
    by the same rules as the matter 台账 import."""
    try:
        return decode_text(data)
    except FileRefused as exc:
        raise DivisionImportError([RowError(0, "", str(exc))]) from exc


def _header_map(header: list[str]) -> tuple[dict, list[RowError]]:
    positions, errors = {}, []
    for i, raw in enumerate(header):
        name = (raw or "").strip().lstrip("\ufeff").strip().lower()
        for key, (label, aliases) in COLUMNS.items():
            if name in {a.lower() for a in aliases}:
                if key in positions:
                    errors.append(RowError(1, label, "表头中出现了两次"))
                positions[key] = i
    for key in REQUIRED_COLUMNS:
        if key not in positions:
            label, aliases = COLUMNS[key]
            errors.append(RowError(1, label, f"表头缺少此列（可用列名：{'、'.join(sorted(aliases))}）"))
    return positions, errors


def _parse(text: str) -> tuple[list[_Row], list[RowError]]:
    # newline="" lets the csv module see \r, \n and \r\n line ends itself, as the csv docs require.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:
        return [], [
            RowError(reader.line_num, "", f"不是有效的CSV格式（{exc}），请用Excel或WPS另存为CSV后重试。")
        ]
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    if not records:
        return [], [RowError(0, "", "文件是空的：需要一行表头（代码、名称、上级代码）和至少一行数据。")]
    positions, errors = _header_map(records[0])
    if errors:
        return [], errors
    if len(records) == 1:
        return [], [RowError(0, "", "文件中只有表头，没有区划数据。")]

    def cell(record, key):
        i = positions.get(key)
        return record[i].strip() if i is not None and i < len(record) else ""

    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue  # blank line
        row_errors = []
        code = level = None
        try:
            code = normalize_code(cell(record, "code"))
            level = code_level(code)
        except CodeError as exc:
            row_errors.append(RowError(number, "代码", str(exc)))
        name = cell(record, "name")
        if not name:
            row_errors.append(RowError(number, "名称", "不能为空"))
        elif len(name) > NAME_MAX_LENGTH:
            row_errors.append(RowError(number, "名称", f"不能超过{NAME_MAX_LENGTH}个字"))
        parent_text = cell(record, "parent_code")
        parent_code, given = None, bool(parent_text)
        if given:
            try:
                parent_code = normalize_code(parent_text)
            except CodeError as exc:
                row_errors.append(RowError(number, "上级代码", str(exc)))
        elif code:
            parent_code = structural_parent(code)
        errors.extend(row_errors)
        rows.append(
            _Row(
                row=number,
                code=code or "",
                name=name,
                parent_code=parent_code,
                parent_given=given,
                level=level or 0,
                valid=not row_errors,
            )
        )
    return rows, errors


# ---------------------------------------------------------------- validation


@dataclass
class _Existing:
    pk: int
    code: str  # as stored
    name: str
    level: int
    parent_id: int | None
    path: str


def _load_existing() -> tuple[dict[str, _Existing], list[RowError]]:
    by_code, errors = {}, []
    for pk, code, name, level, parent_id, path in Division.objects.values_list(
        "pk", "code", "name", "level", "parent_id", "path"
    ):
        try:
            key = normalize_code(code)
        except CodeError:
            continue  # a code this importer cannot address is left alone
        if key in by_code:
            errors.append(
                RowError(
                    0,
                    "",
                    f"系统中的区划代码「{by_code[key].code}」和「{code}」指向同一区划{key}，请先在管理页面合并。",
                )
            )
            continue
        by_code[key] = _Existing(pk, code, name, level, parent_id, path)
    return by_code, errors


def _validate(rows: list[_Row], existing: dict[str, _Existing]) -> list[RowError]:
    errors = []
    first_row = {}
    for r in rows:
        if not r.code:
            continue
        if r.code in first_row:
            errors.append(RowError(r.row, "代码", f"「{r.code}」与第{first_row[r.code].row}行的代码重复"))
            r.valid = False
        else:
            first_row[r.code] = r
    for r in rows:
        if not r.code or r.parent_code is None:
            continue  # a bad code is already reported; a province without a parent is a root
        if r.parent_code == r.code:
            errors.append(RowError(r.row, "上级代码", "上级区划不能是本区划"))
            r.valid = False
            continue
        in_file = first_row.get(r.parent_code)
        if in_file is not None:
            if not in_file.valid:
                continue  # the parent row's own error is reported; do not repeat it here
            parent_level = in_file.level
        elif r.parent_code in existing:
            parent_level = existing[r.parent_code].level
        else:
            how = "" if r.parent_given else "（未填写上级代码，按代码结构推定）"
            errors.append(
                RowError(
                    r.row,
                    "上级代码",
                    f"找不到上级区划「{r.parent_code}」{how}：文件和系统中都没有这个区划",
                )
            )
            r.valid = False
            continue
        if parent_level >= r.level:
            errors.append(
                RowError(
                    r.row,
                    "上级代码",
                    f"上级区划「{r.parent_code}」是{_level_label(parent_level)}，"
                    f"不能作为{_level_label(r.level)}区划「{r.code}」的上级",
                )
            )
            r.valid = False
    return errors


def _level_label(level: int) -> str:
    return dict(Division.LEVELS).get(level, f"第{level}级")


# ---------------------------------------------------------------- writing


def _write(rows: list[_Row], existing: dict[str, _Existing], result: ImportResult):
    pk_of = {code: e.pk for code, e in existing.items()}
    path_of = {code: e.path for code, e in existing.items()}
    moved = {}  # pk -> new path, for divisions whose path changed
    by_level = defaultdict(list)
    for r in rows:
        by_level[r.level].append(r)
    for level in sorted(by_level):
        to_create, to_update = [], []
        for r in by_level[level]:
            parent_pk = pk_of[r.parent_code] if r.parent_code else None
            path = (path_of[r.parent_code] if r.parent_code else "/") + r.code + "/"
            old = existing.get(r.code)
            if old is None:
                to_create.append(
                    Division(code=r.code, name=r.name, level=r.level, parent_id=parent_pk, path=path)
                )
            elif (old.code, old.name, old.level, old.parent_id, old.path) != (
                r.code,
                r.name,
                r.level,
                parent_pk,
                path,
            ):
                to_update.append(
                    Division(
                        pk=old.pk, code=r.code, name=r.name, level=r.level, parent_id=parent_pk, path=path
                    )
                )
                if old.path != path:
                    moved[old.pk] = path
            else:
                result.unchanged += 1
            path_of[r.code] = path
        if to_create:
            created = Division.objects.bulk_create(to_create, batch_size=500)
            missing = [d.code for d in created if d.pk is None]
            if missing:  # backends that do not return primary keys from bulk inserts
                found = dict(Division.objects.filter(code__in=missing).values_list("code", "pk"))
                for d in created:
                    d.pk = d.pk or found[d.code]
            for d in created:
                pk_of[d.code] = d.pk
            result.created += len(created)
        if to_update:
            Division.objects.bulk_update(
                to_update, ["code", "name", "level", "parent", "path"], batch_size=500
            )
            result.updated += len(to_update)
    if moved:
        result.moved_descendants = _repath_descendants(moved, {r.code for r in rows})


def _repath_descendants(moved: dict[int, str], imported_codes: set[str]) -> int:
    """Recompute the materialised path of every division below one whose path changed."""
    children = defaultdict(list)
    for pk, parent_id, code, path in Division.objects.exclude(parent=None).values_list(
        "pk", "parent_id", "code", "path"
    ):
        children[parent_id].append((pk, code, path))
    changed = []
    stack = list(moved.items())
    while stack:
        pk, path = stack.pop()
        for child_pk, code, old_path in children.get(pk, ()):
            new_path = path + code + "/"
            if new_path != old_path:
                changed.append(Division(pk=child_pk, path=new_path))
            stack.append((child_pk, new_path))
    if changed:
        Division.objects.bulk_update(changed, ["path"], batch_size=500)
    return sum(1 for d in changed if d.pk not in moved)


# ---------------------------------------------------------------- entry point


def import_divisions(data: bytes | str, *, dry_run: bool = False) -> ImportResult:
    """Validate the whole file, then write it in one transaction.

    `data` is the file's bytes (any accepted encoding) or already decoded text. Raises
    DivisionImportError listing every problem; in that case nothing is written. With `dry_run`
    the import runs and is rolled back, so the counts are exactly what a real import would do.
    """
    if isinstance(data, bytes):
        text, encoding = decode(data)
    else:
        text, encoding = data.lstrip("\ufeff"), "文本"
    rows, errors = _parse(text)
    if errors and not rows:
        raise DivisionImportError(errors, encoding)
    with transaction.atomic():
        existing, db_errors = _load_existing()
        errors = errors + db_errors + _validate(rows, existing)
        if errors:
            raise DivisionImportError(sorted(errors, key=lambda e: e.row), encoding)
        result = ImportResult(encoding=encoding, rows=len(rows), dry_run=dry_run)
        _write(rows, existing, result)
        if dry_run:
            transaction.set_rollback(True)
    return result
