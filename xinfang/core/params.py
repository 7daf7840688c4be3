"""Numbers and dates typed into query strings and forms, kept to what the product can compute with.

Anyone can put a page number past any list into a link, an id larger than the database's integers,
or a year 0 or 9999 that date arithmetic runs off (9999-12-31 has no next day). Pages, filters and
forms read numbers and dates from requests through this module, so such input ends as the first
page, a 404 or a form message in Chinese, never as a server error.
"""

from datetime import date

from django import forms
from django.core.paginator import Paginator
from django.http import Http404

from .dates import typed_date
from .widgets import DateInput

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
MAX_ID = 2**63 - 1  # the database's integers: SQLite INTEGER and PostgreSQL bigint are 64-bit
MAX_PAGE = 100_000  # five million rows at 50 a page
PAGE_SIZE = 50


def whole_number(value, *, minimum=0, maximum=MAX_ID) -> int | None:
    """`value` as an int in [minimum, maximum], or None when it is anything else.

    Only ASCII digits count: int() would also read "２", "٣", " 3 " or "1_000", and str.isdigit()
    says yes to "²", which int() refuses.
    """
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def id_list(values) -> list[int]:
    """The values that are database ids (1 … MAX_ID); the others are left out."""
    return [n for n in (whole_number(v, minimum=1) for v in values) if n is not None]


def page_number(value) -> int:
    """The page a list was asked for: 1 when none was; 404 for anything but 1 … MAX_PAGE."""
    if value is None or value == "":
        return 1
    number = whole_number(value, minimum=1, maximum=MAX_PAGE)
    if number is None:
        raise Http404("没有这一页。")
    return number


def page_of(items, request, size=PAGE_SIZE):
    """The page of `items` that `?page=` asks for; a number past the end gives the last page."""
    return Paginator(items, size).get_page(page_number(request.GET.get("page")))


class DateField(forms.DateField):
    """A date within FIRST_DAY … LAST_DAY, for every date the product's forms and filters read,
    typed as the pages show it (2026年12月7日) or the other ways xinfang/core/formats/ lists, in half- or
    full-width digits."""

    widget = DateInput
    default_error_messages = {"invalid": "请按“2026年12月7日”或“2026-12-07”的样式填写日期。"}

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            day = typed_date(value)
            if day is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        else:
            day = super().to_python(value)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                f"日期应在{FIRST_DAY.year}年至{LAST_DAY.year}年之间。", code="out_of_range"
            )
        return day


def read_date(value) -> date | None:
    """A date of a query string (a filter's 从/至), read like DateField; None when it is not one."""
    try:
        return DateField(required=False).clean(value or "")
    except forms.ValidationError:
        return None
