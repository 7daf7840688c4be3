"""Template helpers for Chinese dates and tracking codes."""

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def cn_date(value):
    """2025年10月9日"""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return value


@register.filter
def cn_datetime(value):
    """2025年10月9日 14:05"""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@register.filter
def percent(value):
    """0.8567 → 85.67%"""
    if value is None or value == "":
        return ""
    return f"{value * 100:.2f}%"
