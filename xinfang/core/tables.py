"""Reading a table file (a 台账, a division list): what it is (by content, not by name), its
encoding, its header and rows.

Plain Python, no Django: the matter import, its CLI and the division import go through it.
`open_table` looks at a file (on disk, or its content in memory: a decrypted upload) cheaply,
whatever it holds — size, kind, encoding, for an .xlsx the zip's directory (xlsx.py), then only the
header and the first rows —, so a web request can do it; `Table.rows()` then reads every row as a
stream, up to the row limit, so memory does not grow with what the file unpacks to. .xlsx is parsed by xlsx.py; CSV may be UTF-8, UTF-8 with a BOM (as Excel saves it), UTF-16
with a BOM (Excel's 「Unicode 文本」) or GBK/GB18030, with comma, tab or semicolon separators.

.xls (Excel 97–2003), .et (WPS) and .ods cannot be read as a stream: sheets.py reads them in a
bounded child process. `kind_of` tells them apart cheaply (the web request calls it: such a file's
header is then read by the worker, `WORKER_KINDS`), and `open_table` reads them like the others.
"""

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from . import sheets, xlsx
from .xlsx import FileRefused

__all__ = ["WORKER_KINDS", "FileRefused", "Limits", "Table", "decode", "kind_of", "open_table", "text_of"]

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = sheets.OLE_MAGIC  # the compound file of .xls and .et (and of .doc: calamine tells)
WORKER_KINDS = {"xls", "ods"}  # read whole, in a bounded child: never in a web request
PREVIEW_ROWS = 3
HEAD_BUDGET = 16 * 1048576  # unpacked XML read, at most, to find the header and the first rows
MAX_LINE = 1048576  # characters in one line of a CSV file
CHUNK = 1 << 20
BOMS = [
    (b"\xef\xbb\xbf", "utf-8", "UTF-8（带BOM）"),
    (b"\xff\xfe", "utf-16-le", "UTF-16（Unicode 文本）"),
    (b"\xfe\xff", "utf-16-be", "UTF-16（Unicode 文本）"),
]


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # the file as uploaded
    max_unpacked: int  # an .xlsx once unzipped
    max_rows: int  # data rows, the header not counted


@dataclass
class Table:
    kind: str  # "xlsx", "xls" (also .et), "ods" or "csv"
    encoding: str  # label for the user: "Excel 工作簿", "UTF-8（带BOM）", "GBK/GB18030" …
    header: list[str]
    # the first data rows: (row number as the user sees it in Excel, cells); blank rows are left out
    preview: list[tuple[int, list]] = field(repr=False)
    source: Path | bytes = field(repr=False)  # the file's path, or its content
    limits: Limits = field(repr=False)
    codec: str = field(default="", repr=False)  # CSV: the codec, and the length of the BOM
    skip: int = field(default=0, repr=False)
    share_read: float = 0.0  # how much of the file the current rows() pass has read, 0 to 1

    def rows(self):
        """Every data row, (row number, cells), read from the file as it goes; FileRefused when the
        file has more than the row limit or turns out unreadable further on."""
        count = 0
        for number, cells in self._records(skip_header=True):
            count += 1
            if count > self.limits.max_rows:
                raise FileRefused(too_many_rows(self.limits.max_rows))
            yield number, cells

    def _records(self, skip_header=False):
        header_seen = not skip_header
        if self.kind in WORKER_KINDS:
            records = _sheet_records(self.source, self.limits)
            height = max(1, next(records))
            for number, cells in _non_blank(records):
                self.share_read = min(1.0, number / height)
                if header_seen:
                    yield number, cells
                header_seen = True
            return
        if self.kind == "xlsx":
            with xlsx.Reader(self.source, max_unpacked=self.limits.max_unpacked) as book:
                for number, cells in _non_blank(book.rows()):
                    self.share_read = book.share_read
                    if header_seen:
                        yield number, cells
                    header_seen = True
            return
        with _open(self.source) as raw:
            size = _size(self.source) or 1
            for number, cells in _non_blank(_csv_records(raw, self.codec, self.skip)):
                self.share_read = min(1.0, raw.tell() / size)
                if header_seen:
                    yield number, cells
                header_seen = True


def too_many_rows(limit: int) -> str:
    return f"行数超过{limit}行的上限。请拆分成几个文件分别导入。"


def kind_of(source: Path | str | bytes, limits: Limits) -> str:
    """What a file is, by its content — "xlsx", "xls" (.xls and .et), "ods" or "csv" — after the
    checks that need no parsing (size; for a zip, its directory); raises FileRefused."""
    source = source if isinstance(source, bytes) else Path(source)
    size = _size(source)
    if size == 0:
        raise FileRefused("文件是空的（0字节）。请选择填好的台账文件。")
    if size > limits.max_bytes:
        raise FileRefused(
            f"文件大小{size / 1048576:.1f}MB，超过了{limits.max_bytes / 1048576:.0f}MB的上限。请拆分成几个文件分别导入。"
        )
    with _open(source) as stream:
        head = stream.read(4096)
    if head.startswith(OLE_MAGIC):
        return "xls"
    if sheets.is_ods(head):
        with _open(source) as stream:
            xlsx._checked_archive(stream, limits.max_unpacked).close()  # the same zip checks as .xlsx
        return "ods"
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    return "csv"


def _sheet_records(source: Path | bytes, limits: Limits):
    content = source if isinstance(source, bytes) else source.read_bytes()
    try:
        yield from sheets.rows(content, max_rows=limits.max_rows, max_columns=xlsx.MAX_COLUMNS)
    except sheets.Refused as exc:
        raise FileRefused(str(exc)) from exc


def open_table(source: Path | str | bytes, limits: Limits) -> Table:
    """The kind, encoding, header and first rows of a file, given by its path or its content;
    raises FileRefused with the reason. Reads no more than the head of the file (and, for CSV,
    checks its encoding in one pass) — except a file of `WORKER_KINDS`, which only a worker may
    open (sheets.py)."""
    source = source if isinstance(source, bytes) else Path(source)
    kind = kind_of(source, limits)
    with _open(source) as stream:
        head = stream.read(4096)
    if kind in WORKER_KINDS:
        records = _sheet_records(source, limits)
        next(records)  # the height
        first = []
        for record in _non_blank(records):
            first.append(record)
            if len(first) > PREVIEW_ROWS:
                break
        records.close()
        return _table(kind, sheets.LABELS[kind], first, source, limits)
    if head.startswith(ZIP_MAGIC):
        with xlsx.Reader(source, max_unpacked=limits.max_unpacked, budget=HEAD_BUDGET) as book:
            first = list(_non_blank(book.head(1 + PREVIEW_ROWS)))
            claimed = book.claimed_rows
        if claimed is not None and claimed > limits.max_rows + 1:
            raise FileRefused(too_many_rows(limits.max_rows))
        return _table("xlsx", "Excel 工作簿", first, source, limits)
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "文件内容既不是 Excel 工作簿（.xlsx），也不是 CSV 文本，无法读取。"
            "如果是改了扩展名的文件，请用 Excel 打开后另存为 .xlsx 或 CSV。"
        )
    codec, label, skip = _encoding_of(source, head)
    with _open(source) as raw:
        first = []
        for record in _non_blank(_csv_records(raw, codec, skip)):
            first.append(record)
            if len(first) > PREVIEW_ROWS:
                break
    return _table("csv", label, first, source, limits, codec=codec, skip=skip)


def _open(source: Path | bytes):
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _size(source: Path | bytes) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size


def _table(kind, encoding, first, source, limits, **csv) -> Table:
    if not first:
        raise FileRefused("文件中没有内容：需要第一行为表头、下面每行一件事项。可以下载导入模板参照填写。")
    (_, header), preview = first[0], first[1:]
    if not preview:
        raise FileRefused("文件中只有表头，没有事项数据。")
    return Table(kind, encoding, [text_of(c) for c in header], preview, source, limits, **csv)


def _non_blank(records):
    return ((n, cells) for n, cells in records if any(text_of(c) for c in cells))


# ---------------------------------------------------------------- CSV


def _encoding_of(source: Path | bytes, head: bytes) -> tuple[str, str, int]:
    """(codec, label, BOM length): the BOM if there is one, else the first of UTF-8 and GB18030 that
    decodes the whole file, which is read once in chunks (nothing is kept)."""
    for bom, codec, label in BOMS:
        if head.startswith(bom):
            at = _decodes(source, codec, len(bom))
            if at is not None:
                raise FileRefused(f"文件开头标明是{label}编码，但第{at}字节起的内容不是有效的{label}。")
            return codec, label, len(bom)
    # Chinese text in GBK is practically never valid UTF-8, so UTF-8 is tried first.
    for codec, label in (("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030")):
        if _decodes(source, codec, 0) is None:
            return codec, label, 0
    raise FileRefused(
        "无法识别文件编码（既不是UTF-8也不是GBK/GB18030）。请用 Excel 另存为「CSV UTF-8」或 .xlsx 后重试。"
    )


def _decodes(source: Path | bytes, codec: str, skip: int) -> int | None:
    """None when the file (after `skip` bytes) is valid in `codec`, else the offset of the first
    byte that is not (counted from the end of the BOM)."""
    decoder = codecs.getincrementaldecoder(codec)()
    done = 0
    with _open(source) as stream:
        stream.seek(skip)
        while True:
            chunk = stream.read(CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return done + exc.start
            if not chunk:
                return None
            done += len(chunk)


def _csv_records(raw, codec: str, skip: int):
    """(line number, cells) of a CSV stream, decoded as it is read."""
    raw.seek(skip)
    text = io.TextIOWrapper(raw, encoding=codec, newline="")
    try:
        first_line = text.readline(MAX_LINE)
        delimiter = max(",\t;", key=first_line.count) if first_line else ","

        def lines():
            line, number = first_line, 1
            while line:
                if len(line) >= MAX_LINE and not line.endswith(("\n", "\r")):
                    raise FileRefused(f"第{number}行超过{MAX_LINE}个字符，不像台账的一行。请检查文件后重试。")
                yield line
                line, number = text.readline(MAX_LINE), number + 1

        # newline="" lets the csv module handle \r\n and line breaks inside quoted cells itself.
        reader = csv.reader(lines(), delimiter=delimiter)
        try:
            for record in reader:
                yield reader.line_num, record
        except csv.Error as exc:
            raise FileRefused(
                f"第{reader.line_num}行不是有效的CSV格式（{exc}）。请用 Excel 或 WPS 另存为CSV后重试。"
            ) from exc
        except UnicodeDecodeError as exc:
            raise FileRefused(f"第{reader.line_num + 1}行附近的内容不是有效的文本编码。") from exc
    finally:
        text.detach()  # the caller closes the file


def decode(data: bytes) -> tuple[str, str]:
    """File bytes (a small file held in memory) as text, and a label of the encoding found; by the
    rules above. Raises FileRefused."""
    for bom, codec, label in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), label
            except UnicodeDecodeError as exc:
                raise FileRefused(
                    f"文件开头标明是{label}编码，但第{exc.start}字节起的内容不是有效的{label}。"
                ) from exc
    for codec, label in (("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030")):
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue  # not this encoding; the next is tried and none left is reported below
    raise FileRefused(
        "无法识别文件编码（既不是UTF-8也不是GBK/GB18030）。请用 Excel 另存为「CSV UTF-8」或 .xlsx 后重试。"
    )


def text_of(value) -> str:
    """A cell as the text the user sees: numbers without a spurious '.0', dates in ISO form, no NUL
    characters (invisible, and refused by PostgreSQL in any text)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\x00", "").strip()
