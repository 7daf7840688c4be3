from django import forms

from xinfang.core.params import DateField

from .models import AuditEntry


def _day(label):
    """A date typed as 2026-12-01 or 2026年12月1日 (a text box: the browser's own date control
    speaks the browser's language, which may not be Chinese)."""
    return DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d"],
        error_messages={"invalid": "请按 2026-12-01 或 2026年12月1日 的格式填写日期。"},
        widget=forms.TextInput(attrs={"placeholder": "如 2026-12-01", "size": 12, "inputmode": "numeric"}),
    )


class AuditFilterForm(forms.Form):
    date_from = _day("日期从")
    date_to = _day("至")
    username = forms.CharField(label="用户名", required=False, max_length=150)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部")] + AuditEntry.Action.choices
    )
    target = forms.CharField(
        label="对象",
        required=False,
        max_length=200,
        help_text="如 matter:123；以冒号结尾（如 matter:）则查该类全部对象",
    )

    def clean(self):
        return _dates_in_order(super().clean())


# What administrators change on their pages (the 配置变更记录 filter).
CHANGE_MODELS = [
    ("deadlines.calendarday", "工作日历调整"),
    ("deadlines.scheduleyear", "已录入节假日安排的年份"),
    ("deadlines.policyset", "期限规则集"),
    ("org.unit", "单位"),
    ("org.user", "工作人员"),
    ("petitions.category", "内容分类"),
    ("org.division", "行政区划"),
]


class ChangeFilterForm(forms.Form):
    date_from = _day("日期从")
    date_to = _day("至")
    username = forms.CharField(label="操作人账号", required=False, max_length=150)
    model = forms.ChoiceField(label="数据类型", required=False, choices=[("", "全部")] + CHANGE_MODELS)

    def clean(self):
        return _dates_in_order(super().clean())


def _dates_in_order(data):
    start, end = data.get("date_from"), data.get("date_to")
    if start and end and start > end:
        raise forms.ValidationError("起始日期不能晚于结束日期。")
    return data
