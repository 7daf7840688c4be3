from django import forms

from xinfang.core.params import DateField

from .models import AuditEntry


class AuditFilterForm(forms.Form):
    date_from = DateField(label="日期从", required=False)
    date_to = DateField(label="至", required=False)
    username = forms.CharField(label="用户名", required=False, max_length=150)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部")] + AuditEntry.Action.choices
    )
    target = forms.CharField(
        label="对象",
        required=False,
        max_length=200,
        help_text="如“信访事项 123”；只写类别（如“信访事项”）则查该类全部对象",
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
    date_from = DateField(label="日期从", required=False)
    date_to = DateField(label="至", required=False)
    username = forms.CharField(label="操作人账号", required=False, max_length=150)
    model = forms.ChoiceField(label="数据类型", required=False, choices=[("", "全部")] + CHANGE_MODELS)

    def clean(self):
        return _dates_in_order(super().clean())


def _dates_in_order(data):
    start, end = data.get("date_from"), data.get("date_to")
    if start and end and start > end:
        raise forms.ValidationError("起始日期不能晚于结束日期。")
    return data
