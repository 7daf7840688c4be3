"""How the log's stored codes read in Chinese: the keys and values of a row's detail, and its target.

The log stores short codes ("matter:12", {"action": "register", "to": "registered"}), which are hashed
and never change; this module only names them for people. The layers above the audit log (the case
kernel, the case types, the feature apps) name their own codes here from their apps' ready(), with
``describe`` and ``describe_target``; the audit log imports none of them. A code nobody has named is
shown as it is stored.
"""

import json

from django.apps import apps

# Chinese names of the detail keys that the product writes, in the order a row shows them.
KEY_LABELS = {
    "action": "操作",
    "from": "原状态",
    "to": "新状态",
    "username": "尝试的用户名",
    "operation": "操作类型",
    "model": "数据类型",
    "object_id": "对象编号",
    "object": "对象",
    "message": "说明",
    "source": "来源",
    "tab": "列表",
    "list": "查看范围",
    "filters": "筛选条件",
    "page": "页码",
    "limit": "条数",
    "reason": "理由",
    "via": "途径",
    "document": "文书",
    "attachment": "附件编号",
    "personal_data": "个人信息",
    "rows": "行数",
    "error_rows": "错误行数",
    "download": "下载",
    "file": "文件",
    "matters": "事项",
    "name": "名称",
    "user": "账号",
    "scopes": "权限范围",
    "days": "有效天数",
    "date_from": "日期从",
    "date_to": "日期至",
    "target": "对象",
    "q": "搜索词",
    "status": "状态",
    "unit": "单位",
    "category": "内容分类",
    "light": "期限状态",
}

# (target kind, detail key) → {stored value: Chinese}; the kind "" applies to every target.
_VALUES: dict[tuple[str, str], dict] = {
    ("", "personal_data"): {"full": "完整", "masked": "已脱敏"},
    ("", "via"): {
        "api": "接口",
        "attachment": "下载附件",
        "document": "下载文书",
        "portal": "网上信访下载文书",
    },
    ("", "download"): {True: "是", False: "否"},
    ("", "tab"): {"todo": "我的待办", "all": "全部事项"},
}

# target kind ("matter" in "matter:12") → Chinese
_TARGETS = {
    "user": "用户",
    "matters": "信访事项列表",
    "export": "导出任务",
    "import": "台账导入任务",
}


def describe(key: str, labels: dict, kind: str = "") -> None:
    """Name the stored values of detail key `key` (for targets of `kind` only, if given)."""
    _VALUES.setdefault((kind, key), {}).update(labels)


def describe_keys(labels: dict) -> None:
    """Name detail keys (a list's filter fields, say) that are not named above."""
    for key, label in labels.items():
        KEY_LABELS.setdefault(key, label)


def describe_target(kind: str, label: str) -> None:
    _TARGETS[kind] = label


def target_kind(target: str) -> str:
    return target.partition(":")[0] if ":" in target else target


def target_text(target: str) -> str:
    """A target for people: matter:12 → 信访事项 12, org.unit:3 → 单位 3; unknown kinds as stored."""
    if not target:
        return ""
    kind, _, ident = target.partition(":")
    label = _TARGETS.get(kind) or _model_label(kind)
    if label is None:
        return target
    return f"{label} {ident}".strip()


def target_of(text: str) -> str:
    """What the filter's 对象 box means, written as the page shows targets: 信访事项 12 → matter:12,
    信访事项 → matter: (all of that kind); a stored form (matter:12) is taken as it is."""
    label, _, ident = text.strip().partition(" ")
    if ":" in label:
        return text.strip()
    kinds = {str(m._meta.verbose_name): m._meta.label_lower for m in apps.get_models()}
    kinds.update({name: kind for kind, name in _TARGETS.items()})  # as target_text names them
    kind = kinds.get(label)
    if kind is None:
        return text.strip()
    return f"{kind}:{ident.strip()}"


def kind_text(target: str) -> str:
    """What kind of thing a target is: org.unit:3 → 单位."""
    kind = target_kind(target)
    return _TARGETS.get(kind) or _model_label(kind) or kind


def value_text(key: str, value, kind: str = "") -> str:
    if key == "model" and isinstance(value, str):
        return _model_label(value) or value
    if value == {} or value == []:
        return "无"
    if isinstance(value, dict):
        return "，".join(f"{KEY_LABELS.get(k, k)}={value_text(k, v, kind)}" for k, v in _in_order(value))
    if isinstance(value, list):
        return "、".join(value_text(key, v, kind) for v in value)
    for where in ((kind, key), ("", key)):
        labels = _VALUES.get(where)
        if labels is not None and _hashable(value) and value in labels:
            return labels[value]
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def detail_text(detail, target: str = "") -> str:
    """A row's detail for people: "键：值" pairs in Chinese, joined by "；"."""
    if not detail:
        return ""
    kind = target_kind(target)
    if isinstance(detail, dict):
        return "；".join(f"{KEY_LABELS.get(k, k)}：{value_text(k, v, kind)}" for k, v in _in_order(detail))
    return value_text("", detail, kind)


def _in_order(detail: dict) -> list:
    """A detail's pairs in the order of KEY_LABELS, unnamed keys last by name.

    PostgreSQL's jsonb keeps keys in its own order, not as written, so the page orders them itself.
    """
    rank = {key: n for n, key in enumerate(KEY_LABELS)}
    return sorted(detail.items(), key=lambda pair: (rank.get(pair[0], len(rank)), pair[0]))


def _hashable(value) -> bool:
    return isinstance(value, (str, int, bool, type(None)))


def _model_label(name: str) -> str | None:
    """The Chinese name of a model named like org.unit."""
    if name.count(".") != 1:
        return None
    try:
        return str(apps.get_model(name)._meta.verbose_name)
    except (LookupError, ValueError):
        return None
