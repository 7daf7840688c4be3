"""How the API reads what callers send: JSON a database can store, dates only as ISO 8601 text.

Shared by every JSON call (the matters API, the 12345 intake), so that each string and each date is
checked once, in one place, before any schema or form sees it.
"""

import json
import re
from datetime import date, datetime, timedelta
from typing import Annotated

from ninja.parser import Parser
from pydantic import AfterValidator, BeforeValidator


class UnstorableText(ValueError):
    """JSON text that no database can keep: NUL, or half of a UTF-16 surrogate pair ("\\udb56")."""


class StorableJSON(Parser):
    """Reads a JSON body and refuses text the database cannot store, before any schema sees it.

    JSON may escape a NUL or a lone surrogate; SQLite keeps them, PostgreSQL fails on them, and no
    person wrote them. Refusing them here covers every string of every call at once.
    """

    def parse_body(self, request):
        data = json.loads(request.body)
        where = _unstorable(data, "")
        if where is not None:
            raise UnstorableText(
                f"「{where or '请求'}」含有无法保存的字符（空字符或残缺的编码），请删去后重试。"
            )
        return data


def _unstorable(value, where: str) -> str | None:
    """The path of the first string in `value` (keys too) that cannot be stored, or None."""
    if isinstance(value, str):
        return where if "\x00" in value or not _encodes(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            found = _unstorable(key, inner) if isinstance(key, str) else None
            found = found if found is not None else _unstorable(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            found = _unstorable(item, f"{where}.{n}" if where else str(n))
            if found is not None:
                return found
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _iso_date(value):
    """Only YYYY-MM-DD in query strings (pydantic would also read a number as a Unix time)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("日期格式应为 YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _iso_date_time(value):
    """A date and time only as ISO 8601 text (pydantic would also read a number as a Unix time)."""
    if not isinstance(value, str | datetime):
        raise ValueError("日期时间应为 ISO 8601 格式的文本，如 2026-12-07T09:30:00+08:00")
    return value


def _storable_date_time(value: datetime) -> datetime:
    """Within what a database keeps: PostgreSQL refuses a UTC offset beyond ±15:59 (it answered 500)."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > timedelta(hours=14):
        raise ValueError("时区偏移应在 ±14:00 以内，如 +08:00")
    if not datetime(1900, 1, 1) <= value.replace(tzinfo=None) <= datetime(9000, 1, 1):
        raise ValueError("日期时间不在合理范围内")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_date_time), AfterValidator(_storable_date_time)]
