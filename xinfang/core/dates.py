"""Dates as the product writes them to people: 2026年12月7日, without leading zeros (公文 style);
and as people type them (`typed_date`)."""

import unicodedata
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import get_format


def cn_date(value) -> str:
    """2025年10月9日 (a date-time: its day in the product's time zone); "" for nothing."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime) -> str:
    """2025年10月9日 14:05 in the product's time zone."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def typed_date(text: str) -> date | None:
    """A date as people type it: 2026年12月7日 or the other ways xinfang/core/formats/ lists, in
    half- or full-width digits; None when the text is not one."""
    text = unicodedata.normalize("NFKC", text).strip()
    for pattern in get_format("DATE_INPUT_FORMATS"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
