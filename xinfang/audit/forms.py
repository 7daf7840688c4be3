from django import forms

from xinfang.core.params import DateField

from .models import AuditEntry


class AuditFilterForm(forms.Form):
    date_from = DateField(
        label="日期从", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = DateField(
        label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
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
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("起始日期不能晚于结束日期。")
        return data
