"""The product's own date control: a text box that shows and takes dates in 年月日.

A browser's own date input draws its placeholder and calendar in the browser's language
("mm/dd/yyyy" in an English one) and in its own order; this box shows 2026年12月7日 on every
browser, and takes the ways people type dates (xinfang/core/formats/zh_Hans/formats.py). File inputs
are drawn by the template django/forms/widgets/file.html (the product's file control: a button and
the chosen files' names in Chinese, xinfang/core/static/xinfang/pages.js).
"""

from datetime import date, datetime

from django import forms

from .dates import cn_date, cn_datetime, typed_date


class DateInput(forms.DateInput):
    def __init__(self, attrs=None):
        defaults = {
            "class": "date-input",
            "placeholder": "如：2026年1月5日",
            "autocomplete": "off",
            "size": 14,
        }
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, str):  # as typed, or from a link: shown in 年月日 when it is a date
            value = typed_date(value) or value
        if isinstance(value, date):
            return cn_date(value)
        return super().format_value(value)


class DateTimeInput(forms.DateTimeInput):
    """A date and time, shown as 2026年12月7日 14:05 in the product's time zone."""

    def __init__(self, attrs=None):
        defaults = {
            "class": "date-input",
            "placeholder": "如：2026年1月5日 09:30",
            "autocomplete": "off",
            "size": 20,
        }
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, datetime):
            return cn_datetime(value)
        return super().format_value(value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True
