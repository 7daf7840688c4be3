"""Reading the first worksheet of an .xlsx file that nobody vouches for: one streaming pass, within bounds.

An .xlsx is a zip of XML parts, and a file of a few hundred KB can unpack to gigabytes. So before any
XML is read, the zip's central directory is checked: the number of parts, their total unpacked size
and each part's compression ratio. Parts are then read through Python's zipfile, which stops at the
size the directory declares (and fails when the data does not match it), and parsed with expat as a
stream: rows are handed out one by one as the XML arrives, no document tree is built, and a DTD (the
vehicle of entity expansion) is refused. Shared strings are kept as UTF-8 in one buffer.

Plain Python, no Django. Values: text, float, bool, date / datetime / time for cells with a date
format, "" for an empty cell between others (what the import read before, with calamine).
"""

import io
import posixpath
import re
import struct
import zipfile
import zlib
from array import array
from datetime import datetime, time
from pathlib import Path
from xml.parsers import expat

from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAX_PARTS = 1000  # a workbook has a dozen parts; many sheets and pictures make a few hundred
MAX_RATIO = 100  # unpacked / packed size of one part; ledgers are 10–20, zip bombs about 1000
RATIO_FLOOR = 1 << 20  # small parts may compress better than that: they cannot make a bomb
MAX_COLUMNS = 500
MAX_CELL_CHARS = 32767  # Excel's own limit
CHUNK = 1 << 16
# Built-in number formats that show a date or a time (ids 27–36 and 50–58 are the Chinese ones).
DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
BROKEN = "文件已损坏，不是完整的 Excel 工作簿（.xlsx）。请重新保存后再导入。"
OTHER_ZIP = "这是一个压缩文件，但不是 Excel 工作簿（.xlsx）。WPS 表格请「另存为」.xlsx 格式。"


class FileRefused(Exception):
    """The whole file cannot be read; the message says why in Chinese and what to do."""


class Reader:
    """The first worksheet of a checked .xlsx. `with Reader(source, max_unpacked=…) as book:`, then
    `book.rows()` (a pass over the sheet; `book.share_read` says how far it got) or `book.head(n)`."""

    def __init__(self, source: Path | str | bytes, *, max_unpacked: int, budget: int | None = None):
        """`source`: the file's path or its content. `budget`: the most unpacked XML this reader
        may read, all parts together (FileRefused past it); for reading a header in a web request
        whatever the file holds."""
        self.file = io.BytesIO(source) if isinstance(source, bytes) else Path(source).open("rb")
        self.zip = _checked_archive(self.file, max_unpacked)
        self.budget, self.spent = budget, 0
        self.claimed_rows = None  # from the sheet's <dimension>, once a pass has read it
        self.share_read = 0.0  # how much of the sheet the current pass has read, 0 to 1
        try:
            self._locate_parts()
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.zip.close()
        self.file.close()  # zipfile leaves a file it was given open

    def rows(self):
        """(row number, cells) of every row with a value, in one streaming pass over the sheet."""
        strings = _SharedStrings()
        if self.strings_part:
            strings.load(self._stream(self.strings_part))
        yield from self._sheet_rows(strings.get, self._date_styles())

    def head(self, count: int):
        """The first `count` rows with a value. Shared strings are looked up afterwards, only those
        these rows use, reading the table no further than the last of them."""
        rows = []
        for number, cells in self._sheet_rows(_Shared.of, self._date_styles()):
            rows.append((number, cells))
            if len(rows) == count:
                break
        wanted = {c.index for _, cells in rows for c in cells if isinstance(c, _Shared)}
        found = {}
        if wanted and self.strings_part:
            found = _SharedStrings.pick(self._stream(self.strings_part), wanted)
        if wanted - found.keys():
            raise FileRefused(BAD_STRING)
        return [(n, [found[c.index] if isinstance(c, _Shared) else c for c in cells]) for n, cells in rows]

    # ------------------------------------------------------------ parts

    def _locate_parts(self):
        names = set(self.zip.namelist())
        if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
            raise FileRefused(OTHER_ZIP)
        links, sheets, settings = {}, [], {}

        def relation(name, attrs):
            if _local(name) == "Relationship":
                links[attrs.get("Id")] = (attrs.get("Type", "").rpartition("/")[2], attrs.get("Target", ""))

        def workbook(name, attrs):
            name = _local(name)
            if name == "sheet":
                sheets.append(next((v for k, v in attrs.items() if _local(k) == "id"), None))
            elif name == "workbookPr":
                settings["date1904"] = attrs.get("date1904", "") in {"1", "true"}

        _parse(self._stream("xl/_rels/workbook.xml.rels"), relation)
        _parse(self._stream("xl/workbook.xml"), workbook)
        by_type = {kind: _target(target) for kind, target in links.values()}
        first = links.get(sheets[0]) if sheets else None
        if first is None or first[0] != "worksheet" or _target(first[1]) not in names:
            raise FileRefused("Excel 工作簿中没有工作表，或第一个工作表不是普通表格。请检查后重新保存。")
        self.sheet_part = _target(first[1])
        self.strings_part = by_type.get("sharedStrings") if by_type.get("sharedStrings") in names else None
        self.styles_part = by_type.get("styles") if by_type.get("styles") in names else None
        self.epoch = CALENDAR_MAC_1904 if settings.get("date1904") else CALENDAR_WINDOWS_1900

    def _stream(self, name, *, track=False):
        """The unpacked bytes of a part, chunk by chunk; FileRefused for a damaged part or past the
        budget. `track`: keep `share_read` up to date."""
        try:
            with self.zip.open(name) as part:
                size = self.zip.getinfo(name).file_size or 1
                while chunk := part.read(CHUNK):
                    self.spent += len(chunk)
                    if self.budget is not None and self.spent > self.budget:
                        raise FileRefused(
                            f"读取了工作簿开头{self.budget // 1048576}MB的内容，仍未读到表头和前几行数据。"
                            "请用 Excel 打开，删除表头前的空行后另存为 .xlsx 再导入。"
                        )
                    if track:
                        self.share_read = min(1.0, part.tell() / size)
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, KeyError) as exc:
            raise FileRefused(BROKEN) from exc

    def _date_styles(self) -> set[str]:
        """Indexes (as written in the sheet's s="…") of the cell styles whose format is a date or time."""
        if not self.styles_part:
            return set()
        formats, styles, depth = {}, [], {"cellXfs": 0}

        def start(name, attrs):
            name = _local(name)
            if name == "numFmt":
                formats[attrs.get("numFmtId")] = attrs.get("formatCode", "")
            elif name == "cellXfs":
                depth["cellXfs"] += 1
            elif name == "xf" and depth["cellXfs"]:
                styles.append(attrs.get("numFmtId", "0"))

        def end(name):
            if _local(name) == "cellXfs":
                depth["cellXfs"] -= 1

        _parse(self._stream(self.styles_part), start, end)
        dated = set()
        for index, format_id in enumerate(styles):
            code = formats.get(format_id)
            if (code is not None and is_date_format(code)) or (
                code is None and format_id.isdigit() and int(format_id) in DATE_FORMAT_IDS
            ):
                dated.add(str(index))
        return dated

    def _sheet_rows(self, shared, dated):
        sheet = _Sheet(shared, dated, self.epoch)
        parser = _parser(sheet.start, sheet.end, sheet.data)
        for chunk in self._stream(self.sheet_part, track=True):
            _feed(parser, chunk)
            if sheet.claimed_rows is not None:
                self.claimed_rows = sheet.claimed_rows
            if sheet.done:
                done, sheet.done = sheet.done, []
                yield from done
        _feed(parser, b"", final=True)
        yield from sheet.done


class _Shared:
    """A shared string not looked up yet (while reading the head of a sheet)."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    @classmethod
    def of(cls, raw: str):
        return cls(_string_index(raw))


class _SharedStrings:
    """The shared string table as UTF-8 in one buffer with the end of each string: a fraction of the
    memory of a list of str when a sheet has a million of them."""

    def __init__(self):
        self.data = bytearray()
        self.ends = array("Q")

    def load(self, chunks):
        def add(text):
            self.data += text.encode()
            self.ends.append(len(self.data))

        _strings(chunks, add)

    def get(self, raw: str) -> str:
        i = _string_index(raw)
        if i >= len(self.ends):
            raise FileRefused(BAD_STRING)
        return self.data[self.ends[i - 1] if i else 0 : self.ends[i]].decode()

    @staticmethod
    def pick(chunks, wanted: set[int]) -> dict[int, str]:
        """Only the strings asked for, reading the table no further than the last of them."""
        found, last = {}, max(wanted)

        class Enough(Exception):
            pass

        def add(text):
            index = add.count
            add.count += 1
            if index in wanted:
                found[index] = text
            if index >= last:
                raise Enough

        add.count = 0
        try:
            _strings(chunks, add)
        except Enough:
            pass  # every string asked for is found: the rest of the table is not read
        return found


BAD_STRING = "Excel 工作簿内容有误（引用了不存在的共享文本）。请用 Excel 打开检查后重新保存。"


def _string_index(raw: str) -> int:
    if not raw.strip().isdigit():
        raise FileRefused(BAD_STRING)
    return int(raw)


def _strings(chunks, add):
    """Call add(text) for each <si> of a shared string table (phonetic runs left out)."""
    state = {"text": None, "in_t": False, "phonetic": 0, "chars": 0}

    def start(name, attrs):
        name = _local(name)
        if name == "si":
            state["text"], state["chars"] = [], 0
        elif name == "t" and not state["phonetic"]:
            state["in_t"] = True
        elif name == "rPh":
            state["phonetic"] += 1

    def end(name):
        name = _local(name)
        if name == "t":
            state["in_t"] = False
        elif name == "rPh":
            state["phonetic"] -= 1
        elif name == "si":
            add("".join(state["text"]))
            state["text"] = None

    def data(text):
        if state["in_t"] and state["text"] is not None:
            state["text"].append(text)
            state["chars"] += len(text)
            if state["chars"] > MAX_CELL_CHARS:
                raise FileRefused(LONG_CELL)

    _parse(chunks, start, end, data)


LONG_CELL = f"有单元格的内容超过{MAX_CELL_CHARS}个字符（Excel 单元格的上限），文件不是正常的 Excel 工作簿。"


class _Sheet:
    """expat handlers for a worksheet: completed rows gather in `done` as the XML is fed."""

    def __init__(self, shared, dated, epoch):
        self.shared, self.dated, self.epoch = shared, dated, epoch
        self.done = []
        self.claimed_rows = None
        self.in_data = False
        self.number = 0
        self.cells = None
        self.text = None
        self.collect = False
        self.phonetic = 0
        self.column = -1
        self.chars = 0

    # The two handlers below run for every cell: kept short, the commonest names first.
    def start(self, name, attrs):
        if ":" in name:
            name = name.rpartition(":")[2]
        if not self.in_data:
            if name == "sheetData":
                self.in_data = True
            elif name == "dimension":
                self.claimed_rows = _dimension_rows(attrs.get("ref", ""))
        elif name == "c":
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            self.type = attrs.get("t", "n")
            self.style = attrs.get("s")
            self.text, self.chars = None, 0
        elif name == "v":
            self.text, self.collect = [], True
        elif name == "is":
            self.text = []
        elif name == "t":
            self.collect = self.text is not None and not self.phonetic
        elif name == "row":
            ref = attrs.get("r")
            self.number = int(ref) if ref and ref.isdigit() else self.number + 1
            self.cells, self.column = [], -1
        elif name == "rPh":
            self.phonetic += 1

    def end(self, name):
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            text, cells = self.text, self.cells
            if text and cells is not None:
                raw = text[0] if len(text) == 1 else "".join(text)
                value = raw if self.type == "inlineStr" else self._value(raw)
                if value != "":
                    column = self.column
                    if not 0 <= column < MAX_COLUMNS:
                        raise FileRefused(
                            f"第{self.number}行在第{MAX_COLUMNS}列之后还有内容，超过了列数上限。请删除多余的列后再导入。"
                        )
                    if column == len(cells):
                        cells.append(value)
                    else:
                        if column > len(cells):
                            cells += [""] * (column - len(cells) + 1)
                        cells[column] = value
            self.text = None
        elif name == "v" or name == "t":
            self.collect = False
        elif name == "row":
            if self.cells:
                self.done.append((self.number, self.cells))
            self.cells = None
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "sheetData":
            self.in_data = False

    def data(self, text):
        if self.collect:
            self.text.append(text)
            self.chars += len(text)
            if self.chars > MAX_CELL_CHARS:
                raise FileRefused(LONG_CELL)

    def _value(self, raw):
        kind = self.type
        if kind == "s":
            return self.shared(raw)
        if kind in {"inlineStr", "str", "e"}:
            return raw
        if kind == "b":
            return raw.strip() == "1"
        if kind == "d":
            try:
                return datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        try:
            number = float(raw)
        except ValueError:
            return raw
        if self.style in self.dated:
            try:
                return _date_value(from_excel(number, self.epoch))
            except (ValueError, OverflowError):
                return number
        return number


def _date_value(value):
    if isinstance(value, datetime) and value.time() == time():
        return value.date()
    return value


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _target(target: str) -> str:
    """A relationship target of the workbook as a part name."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


COLUMN_CACHE = {}


def _column(ref: str) -> int:
    """0 for A1, 27 for AB3; -1 when the reference is not a cell's."""
    letters = ref.rstrip("0123456789")
    index = COLUMN_CACHE.get(letters)
    if index is None:
        index = 0
        for ch in letters.upper():
            if not "A" <= ch <= "Z":
                return -1
            index = index * 26 + ord(ch) - 64
        index -= 1
        if len(COLUMN_CACHE) < 20000:
            COLUMN_CACHE[letters] = index
    return index


DIMENSION_RE = re.compile(r"\$?[A-Za-z]{1,3}\$?(\d+)(?::\$?[A-Za-z]{1,3}\$?(\d+))?")


def _dimension_rows(ref: str) -> int | None:
    """How many rows <dimension ref="A1:N100001"/> claims, or None."""
    match = DIMENSION_RE.fullmatch(ref.strip())
    if not match:
        return None
    first, last = int(match[1]), int(match[2] or match[1])
    return last - first + 1


def _refuse_dtd(*args):
    raise FileRefused("Excel 工作簿中含有不允许的 XML 声明（DTD），不是正常的 Excel 文件。")


def _parser(start, end=None, data=None):
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if data:
        parser.CharacterDataHandler = data
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    return parser


def _feed(parser, chunk, final=False):
    try:
        parser.Parse(chunk, final)
    except expat.ExpatError as exc:
        raise FileRefused(
            f"Excel 工作簿无法读取（XML 格式错误：{exc}）。请用 Excel 打开检查后重新保存。"
        ) from exc


def _parse(chunks, start, end=None, data=None):
    parser = _parser(start, end, data)
    for chunk in chunks:
        _feed(parser, chunk)
    _feed(parser, b"", final=True)


def _checked_archive(f, max_unpacked: int) -> zipfile.ZipFile:
    """The zip in the open file `f` (closed with it), once its central directory says it is a
    reasonable workbook; nothing is unpacked."""
    try:
        return _check_directory(f, max_unpacked)
    except BaseException:
        f.close()
        raise


def _check_directory(f, max_unpacked: int) -> zipfile.ZipFile:
    size = f.seek(0, 2)
    f.seek(max(0, size - 22 - 65535))
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")  # end of central directory: where zipfile looks too
    if at < 0 or len(tail) - at < 22:
        raise FileRefused(BROKEN)
    parts, directory_size = struct.unpack_from("<HI", tail, at + 10)
    if parts > MAX_PARTS or directory_size > MAX_PARTS * 1024:
        raise FileRefused(
            f"压缩包内的文件数超过了{MAX_PARTS}个的上限，不是正常的 Excel 工作簿。请用 Excel 打开后另存为 .xlsx 再导入。"
        )
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRefused(BROKEN) from exc
    try:
        infos = archive.infolist()
        unpacked = sum(i.file_size for i in infos)
        if len(infos) > MAX_PARTS:
            raise FileRefused(f"压缩包内的文件数超过了{MAX_PARTS}个的上限，不是正常的 Excel 工作簿。")
        if unpacked > max_unpacked:
            raise FileRefused(
                f"文件解压后超过{max_unpacked / 1048576:.0f}MB的上限（解压后{unpacked / 1048576:.0f}MB）。"
                "请删除多余的内容或拆分成几个文件分别导入。"
            )
        for info in infos:
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise FileRefused(
                    f"文件解压后是原来的{info.file_size // max(info.compress_size, 1)}倍，超过{MAX_RATIO}倍的上限，"
                    "不是正常的 Excel 工作簿（疑似“压缩炸弹”）。请用 Excel 打开后另存为 .xlsx 再导入。"
                )
    except BaseException:
        archive.close()
        raise
    return archive
