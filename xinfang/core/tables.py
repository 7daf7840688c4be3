"""Reading a table file (a 台账, a division list): what it is (by content, not by name), its
encoding, its header and rows.

Plain Python, no Django: the matter import, its CLI and the division import go through it.
.xlsx is read with calamine (a streaming reader in Rust, about ten times faster than openpyxl on a
100,000-row sheet); CSV may be UTF-8, UTF-8 with a BOM (as Excel saves it), UTF-16 with a BOM
(Excel's 「Unicode 文本」) or GBK/GB18030, with comma, tab or semicolon separators.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls / .doc container


class FileRefused(Exception):
    """The whole file cannot be read; the message says why in Chinese and what to do."""


@dataclass
class Table:
    kind: str  # "xlsx" or "csv"
    encoding: str  # label for the user: "Excel 工作簿", "UTF-8（带BOM）", "GBK/GB18030" …
    header: list[str]
    # (row number as the user sees it in Excel, cells); blank rows are left out
    rows: list[tuple[int, list]] = field(repr=False)

    def __len__(self):
        return len(self.rows)


def open_table(source: Path | str | bytes, *, max_bytes: int) -> Table:
    """The table in a file, given by its path or its content."""
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if size == 0:
        raise FileRefused("文件是空的（0字节）。请选择填好的台账文件。")
    if size > max_bytes:
        raise FileRefused(
            f"文件大小{size / 1048576:.1f}MB，超过了{max_bytes / 1048576:.0f}MB的上限。请拆分成几个文件分别导入。"
        )
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    head = data[:8]
    if head.startswith(OLE_MAGIC):
        raise FileRefused(
            "这是旧版 Excel 97-2003（.xls）格式，请在 Excel 或 WPS 中「另存为」.xlsx 后再导入。"
        )
    if head.startswith(ZIP_MAGIC):
        return _read_xlsx(data)
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "文件内容既不是 Excel 工作簿（.xlsx），也不是 CSV 文本，无法读取。"
            "如果是改了扩展名的文件，请用 Excel 打开后另存为 .xlsx 或 CSV。"
        )
    text, encoding = decode(data)
    return _read_csv(text, encoding)


def decode(data: bytes) -> tuple[str, str]:
    """File bytes as text, and a label of the encoding found. Raises FileRefused."""
    boms = [
        (b"\xef\xbb\xbf", "utf-8", "UTF-8（带BOM）"),
        (b"\xff\xfe", "utf-16-le", "UTF-16（Unicode 文本）"),
        (b"\xfe\xff", "utf-16-be", "UTF-16（Unicode 文本）"),
    ]
    for bom, codec, label in boms:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), label
            except UnicodeDecodeError as exc:
                raise FileRefused(
                    f"文件开头标明是{label}编码，但第{exc.start}字节起的内容不是有效的{label}。"
                ) from exc
    # Chinese text in GBK is practically never valid UTF-8, so UTF-8 is tried first.
    for codec, label in (("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030")):
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue  # not this encoding; the next is tried and none left is reported below
    raise FileRefused(
        "无法识别文件编码（既不是UTF-8也不是GBK/GB18030）。请用 Excel 另存为「CSV UTF-8」或 .xlsx 后重试。"
    )


def _read_csv(text: str, encoding: str) -> Table:
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    # newline="" lets the csv module handle \r\n and line breaks inside quoted cells itself.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for record in reader:
            records.append((reader.line_num, record))
    except csv.Error as exc:
        raise FileRefused(
            f"第{reader.line_num}行不是有效的CSV格式（{exc}）。请用 Excel 或 WPS 另存为CSV后重试。"
        ) from exc
    return _table("csv", encoding, records)


def _read_xlsx(data: bytes) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise FileRefused("文件已损坏，不是完整的 Excel 工作簿（.xlsx）。请重新保存后再导入。") from exc
    if "xl/workbook.xml" not in names:
        raise FileRefused("这是一个压缩文件，但不是 Excel 工作簿（.xlsx）。WPS 表格请「另存为」.xlsx 格式。")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        records = [(number, list(values)) for number, values in enumerate(sheet.iter_rows(), start=1)]
    except (CalamineError, ValueError) as exc:
        raise FileRefused(f"Excel 工作簿无法读取（{exc}）。请用 Excel 打开检查后重新保存。") from exc
    return _table("xlsx", "Excel 工作簿", records)


def _table(kind, encoding, records) -> Table:
    records = [(n, cells) for n, cells in records if any(text_of(c) for c in cells)]
    if not records:
        raise FileRefused("文件中没有内容：需要第一行为表头、下面每行一件事项。可以下载导入模板参照填写。")
    (_, header), rows = records[0], records[1:]
    if not rows:
        raise FileRefused("文件中只有表头，没有事项数据。")
    return Table(kind=kind, encoding=encoding, header=[text_of(c) for c in header], rows=rows)


def text_of(value) -> str:
    """A cell as the text the user sees: numbers without a spurious '.0', dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
