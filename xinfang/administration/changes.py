"""Every change made on the administrators' pages goes into the audit log, in the shape the Django
admin's changes are recorded in (xinfang/audit/hooks.py), so that both read alike."""

from xinfang.audit import api as audit

ADDED, CHANGED, DELETED = "新增", "修改", "删除"


def record(request, operation: str, obj, message: str = "") -> None:
    opts = obj._meta
    model = f"{opts.app_label}.{opts.model_name}"
    audit.record(
        "admin_change",
        request=request,
        target=f"{model}:{obj.pk}",
        detail={
            "operation": operation,
            "model": model,
            "object_id": str(obj.pk),
            "object": str(obj)[:200],
            "message": message,
        },
    )


def describe_form_changes(form, initial: dict | None = None) -> str:
    """The fields the form changed, as 修改了：单位名称（原「甲」，现「乙」）、启用."""
    parts = []
    for name in form.changed_data:
        field = form.fields[name]
        if name.startswith("password"):
            continue
        label = str(field.label or name)
        before = (initial or {}).get(name)
        after = form.cleaned_data.get(name)
        if before is not None and _simple(before) and _simple(after):
            parts.append(f"{label}（原「{_shown(field, before)}」，现「{_shown(field, after)}」）")
        else:
            parts.append(label)
    return "修改了：" + "、".join(parts) if parts else "未修改任何内容"


def _simple(value) -> bool:
    return isinstance(value, (str, int, bool)) or hasattr(value, "pk")


def _shown(field, value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    choices = dict(getattr(field, "choices", ()) or ())
    if not hasattr(value, "pk") and value in choices:
        return str(choices[value])
    return str(value)
