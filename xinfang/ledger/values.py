"""Cell values as people type them in a 台账: dates, phone numbers, lists of names. Plain Python.

Every parser returns the value or raises ValueError with the reason in Chinese, which the import
reports next to the row number and column.
"""

import re
from datetime import date, datetime, time, timedelta

EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)
SERIAL_RANGE = (20000, 80000)  # 1954 … 2119: a bare number in this range is an Excel date serial
DATE_RE = re.compile(
    r"^(\d{4})\s*(?:[-/.年]\s*)(\d{1,2})\s*(?:[-/.月]\s*)(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})\s*秒?)?\s*分?)?$"
)
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
LIST_SEPARATORS = re.compile(r"[、，,；;／/\n]+")


def parse_datetime(value) -> datetime:
    """2025-3-1, 2025/03/01, 2025.3.1, 2025年3月1日, 20250301, with an optional time (14:30, 14时30分),
    an Excel serial number, or a date cell."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    text = str(value or "").strip()
    if not text:
        raise ValueError("不能为空")
    text = text.removesuffix("前").removesuffix("之").strip()
    if re.fullmatch(r"\d+(\.\d+)?", text) and not COMPACT_DATE_RE.match(text):
        return _serial(float(text))
    match = DATE_RE.match(text) or COMPACT_DATE_RE.match(text)
    if not match:
        raise ValueError(f"「{text}」不是可识别的日期，请写成2025-03-01或2025年3月1日")
    parts = [int(p) if p else 0 for p in match.groups()]
    parts += [0] * (6 - len(parts))
    try:
        return datetime(*parts)
    except ValueError:
        raise ValueError(f"「{text}」不是有效的日期或时间") from None


def parse_date(value) -> date:
    return parse_datetime(value).date()


def _serial(number: float) -> datetime:
    if not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        raise ValueError(f"「{number:g}」不是日期：数字只有作为 Excel 日期序号（如45717）时才能识别")
    return EXCEL_EPOCH + timedelta(days=number)


def split_list(text: str) -> list[str]:
    """张三、李四 / 张三,李四 / 张三；李四 → ["张三", "李四"]."""
    return [part.strip() for part in LIST_SEPARATORS.split(text or "") if part.strip()]


def phone_digits(text: str) -> str:
    """A phone as typed (138 0013 8000, 010-12345678, +86 13800138000) in the stored form."""
    value = re.sub(r"[\s()（）]", "", str(text or ""))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    return value
