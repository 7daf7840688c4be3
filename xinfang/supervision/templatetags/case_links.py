"""Template filters for cases of any registered type on the supervision pages: `{{ case|case_url }}`
(its staff page), `{{ case|case_key }}` (its type's registry key), `{{ case|case_label }}` (its
type's name)."""

from django import template

from .. import case_refs

register = template.Library()


@register.filter
def case_url(case) -> str:
    return case_refs.detail_url(case)


@register.filter
def case_key(case) -> str:
    return case_refs.key_of(case)


@register.filter
def case_label(case) -> str:
    return case_refs.label_of(case)
