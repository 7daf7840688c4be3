"""Reading the first worksheet of an .xls (Excel 97–2003), .et (WPS) or .ods (OpenDocument) file
that nobody vouches for, within bounds.

Unlike .xlsx (xlsx.py, a stream), these formats are read whole: calamine (python-calamine) builds
the sheet in memory, and a small file can describe a huge sheet (a cell far out, repeated rows of an
.ods). So they are read in a child process under limits — its address space (`MEMORY_MB`) and CPU
time (`CPU_SECONDS`) — that checks the sheet's height and width against the row and column caps
before it hands out any row, and then writes the rows one per line as JSON to its parent, which
reads them as a stream. A child that goes over a limit is stopped by the kernel and the file is
refused; so the worker that runs the import never holds more than the file itself and one row.
The zip inside an .ods is checked like an .xlsx's first (xlsx.py: parts, unpacked size, ratio).

Plain Python, no Django. Run as ``python -m xinfang.core.sheets ROWS COLUMNS MEMORY_MB CPU_SECONDS``
with the file on standard input (what `rows` does).
"""

import io
import json
import os
import resource
import subprocess
import sys
import threading
from datetime import date, datetime, time, timedelta

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of .xls and .et
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MEMORY_MB = 1024
CPU_SECONDS = 300
LABELS = {"xls": "Excel 97-2003 工作簿（.xls）或 WPS 表格（.et）", "ods": "OpenDocument 表格（.ods）"}


class Refused(Exception):
    """The sheet cannot be read; the message says why in Chinese."""


def is_ods(head: bytes) -> bool:
    """An OpenDocument spreadsheet: a zip whose first entry is the stored `mimetype`."""
    return head.startswith(b"PK\x03\x04") and head[30:38] == b"mimetype" and ODS_MIMETYPE in head[38:120]


def rows(content: bytes, *, max_rows: int, max_columns: int, memory_mb=MEMORY_MB, cpu_seconds=CPU_SECONDS):
    """(row number as the user sees it, cells) of every row of the first sheet, the header
    included, read by a bounded child process; a generator (closing it stops the child). The first
    item is the sheet's height, an int. Raises Refused."""
    args = [sys.executable, "-m", "xinfang.core.sheets", str(max_rows), str(max_columns)]
    args += [str(memory_mb), str(cpu_seconds)]
    child = subprocess.Popen(  # noqa: S603 — our own module, with numbers
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_env()
    )
    feeder = threading.Thread(target=_feed, args=(child.stdin, content), daemon=True)
    feeder.start()
    try:
        for line in child.stdout:
            item = json.loads(line)
            if "refused" in item:
                raise Refused(item["refused"])
            if "height" in item:
                yield item["height"]
            else:
                yield item["n"], [_decode(v) for v in item["c"]]
        child.wait()
        if child.returncode != 0:
            raise Refused(_failure(child))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
        feeder.join()


def _child_env():
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path), "LANG": "C.UTF-8"}


def _feed(stream, content):
    try:
        stream.write(content)
        stream.close()
    except BrokenPipeError:
        return  # the child stopped reading (refused, or closed by the parent): nothing more to say


def _failure(child) -> str:
    if child.returncode < 0 or b"MemoryError" in child.stderr.read()[-4000:]:
        return (
            "文件展开后超过了读取的内存或时间上限，不像正常的台账。"
            "请用 Excel 或 WPS 打开，删除多余的行列后另存为 .xlsx 再导入。"
        )
    return (
        "文件已损坏，或不是 Excel 97-2003、WPS 或 OpenDocument 表格，无法读取。请重新保存为 .xlsx 后再导入。"
    )


def _encode(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"t": value.isoformat()}
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def _decode(value):
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        return time.fromisoformat(value["t"])
    return value


# ---------------------------------------------------------------- the child


def _main(argv):
    max_rows, max_columns, memory_mb, cpu_seconds = (int(a) for a in argv)
    memory = memory_mb * 1048576
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    out = sys.stdout

    def say(item):
        out.write(json.dumps(item, ensure_ascii=False) + "\n")

    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))
        sheet = book.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError):  # told to the person as a refused file
        say({"refused": "无法读取该表格，文件可能已损坏。请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"})
        return 0
    first_row, first_column = sheet.start or (0, 0)
    if sheet.width + first_column > max_columns:
        say({"refused": f"表格在第{max_columns}列之后还有内容，超过了列数上限。请删除多余的列后再导入。"})
        return 0
    if sheet.height > max_rows + 1:  # the header and the data rows
        say({"refused": f"行数超过{max_rows}行的上限。请拆分成几个文件分别导入。"})
        return 0
    say({"height": sheet.height})
    for i, cells in enumerate(sheet.iter_rows()):
        say({"n": first_row + i + 1, "c": [""] * first_column + [_encode(v) for v in cells]})
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
