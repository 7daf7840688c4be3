"""Template helpers for Chinese dates and tracking codes."""

from datetime import date

from django import template

from xinfang.core import dates
from xinfang.core.widgets import MultipleFileInput

register = template.Library()


@register.filter
def cn_date(value):
    """2025年10月9日"""
    return dates.cn_date(value) if isinstance(value, date) else (value or "")


@register.filter
def cn_datetime(value):
    """2025年10月9日 14:05"""
    return dates.cn_datetime(value)


@register.filter
def percent(value):
    """0.8567 → 85.67%"""
    if value is None or value == "":
        return ""
    return f"{value * 100:.2f}%"


@register.simple_tag
def file_input(name, *id_parts, accept="", multiple=False):
    """A file input written into a page by hand (its id: the parts joined), drawn as the product's
    file control like the forms' own (django/forms/widgets/file.html)."""
    attrs = {
        "id": "".join(str(part) for part in id_parts),
        **({"accept": accept} if accept else {}),
        **({"multiple": True} if multiple else {}),
    }
    return MultipleFileInput(attrs).render(name, None)
