"""Forms of the supervision pages: they check types and choices; the rules are in the service modules
(supervisions.py, ownership.py, campaigns.py …)."""

from django import forms

from xinfang.core.params import DateField
from xinfang.org.models import Role, Unit, User
from xinfang.petitions.choices import Resolution
from xinfang.petitions.forms import UploadField, units_by_level

from .models import Level, Measure, Reason, Supervision


def leaders():
    return User.objects.filter(role=Role.LEADER, is_active=True).select_related("unit").order_by("unit__path")


class IssueForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=Supervision.Kind.choices, widget=forms.RadioSelect)
    level = forms.ChoiceField(
        label="督办等级", choices=[("", "—")] + Level.choices, required=False, widget=forms.RadioSelect
    )
    reasons = forms.MultipleChoiceField(
        label="督办事由", choices=Reason.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    text = forms.CharField(label="督办要求／批示内容", widget=forms.Textarea(attrs={"rows": 4}))
    report_required = forms.CharField(
        label="反馈要求",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="书面反馈办理进展、化解措施和结果，附相关材料。",
    )
    due_on = DateField(label="反馈期限")
    units = forms.ModelMultipleChoiceField(
        label="批示送达单位（可多选，输入名称筛选）",
        queryset=Unit.objects.filter(active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10, "data-search": "1"}),
    )

    def __init__(self, *args, user=None, kind=None, **kwargs):
        """A leader writes a 批示 (no 督办 level or reasons; the units it goes to) or issues a 督办;
        everyone else issues a 督办 only (no units: the responsible unit answers)."""
        super().__init__(*args, **kwargs)
        if user is None or user.role != Role.LEADER:
            kind = Supervision.Kind.SUPERVISE
        self.issue_kind = kind if kind in Supervision.Kind.values else Supervision.Kind.INSTRUCT
        self.fields["kind"].choices = [(self.issue_kind, Supervision.Kind(self.issue_kind).label)]
        self.fields["kind"].initial = self.issue_kind
        self.fields["kind"].widget = forms.HiddenInput()
        if self.issue_kind == Supervision.Kind.INSTRUCT:
            del self.fields["level"], self.fields["reasons"]
            self.fields["text"].label = "批示内容"
            self.fields["report_required"].initial = "书面报告办理情况和结果。"
            units = self.fields["units"].queryset.order_by("path")
            self.fields["units"].queryset = units
            self.fields["units"].choices = units_by_level(units, user.unit)
        else:
            del self.fields["units"]
            self.fields["text"].label = "督办要求"

    def clean(self):
        data = super().clean()
        data.setdefault("level", "")
        data.setdefault("reasons", [])
        return data


class AnswerForm(forms.Form):
    report = forms.CharField(label="反馈内容", widget=forms.Textarea(attrs={"rows": 5}))


class EscalateForm(forms.Form):
    level = forms.ChoiceField(label="升级为", choices=Level.choices)
    due_on = DateField(label="新的反馈期限")
    note = forms.CharField(label="升级理由和要求", widget=forms.Textarea(attrs={"rows": 3}))


class OwnershipForm(forms.Form):
    leader = forms.ModelChoiceField(label="包案领导", queryset=User.objects.none())
    unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.filter(active=True))
    plan = forms.CharField(label="化解方案", widget=forms.Textarea(attrs={"rows": 4}))
    target_date = DateField(label="目标化解日期")
    milestones = forms.CharField(
        label="节点（每行一个：日期 节点，如 2026-12-01 召开集体会商）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders()

    def clean_milestones(self):
        rows = []
        for n, line in enumerate(self.cleaned_data["milestones"].splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            day, _, title = line.partition(" ")
            try:
                due = DateField().clean(day)
            except forms.ValidationError:
                raise forms.ValidationError(
                    f"第{n}行的日期「{day}」不正确，应写成 2026-12-01 这样的格式。"
                ) from None
            if not title.strip():
                raise forms.ValidationError(f"第{n}行缺少节点名称。")
            rows.append((title.strip(), due))
        return rows


class MilestoneForm(forms.Form):
    title = forms.CharField(label="节点", max_length=200)
    due_on = DateField(label="计划完成日期")


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        label="化解方式（四个到位）", choices=Resolution.choices, widget=forms.RadioSelect
    )
    result = forms.CharField(label="化解情况", widget=forms.Textarea(attrs={"rows": 3}))


class ReceptionForm(forms.Form):
    leader = forms.ModelChoiceField(label="接访领导", queryset=User.objects.none())
    date = DateField(label="接访日期")
    place = forms.CharField(label="接访地点", max_length=100)
    topic = forms.CharField(label="接访主题", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders()


class CampaignForm(forms.Form):
    name = forms.CharField(label="专项名称", max_length=100, initial="信访积案化解专项行动")
    target_date = DateField(label="目标清仓日期")
    open_days = forms.IntegerField(
        label="登记超过多少日仍未办结", min_value=1, max_value=366 * 50, required=False
    )
    after_rereview = forms.BooleanField(label="复核后仍重复信访", required=False)
    repeat_times = forms.IntegerField(
        label="重复信访超过多少次", min_value=1, max_value=10_000, required=False
    )
    codes = forms.CharField(
        label="逐件指定（查询码，每行一个）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_codes(self):
        from xinfang.petitions.models import normalize_tracking_code

        codes, bad = [], []
        for line in self.cleaned_data["codes"].split():
            code = normalize_tracking_code(line)
            (codes if code else bad).append(code or line)
        if bad:
            raise forms.ValidationError(f"这些查询码不正确：{'、'.join(bad[:5])}")
        return codes

    def rules(self):
        d = self.cleaned_data
        rules = {k: d[k] for k in ("open_days", "after_rereview", "repeat_times", "codes") if d.get(k)}
        if not rules:
            raise forms.ValidationError("请至少设置一条筛选规则。")
        return rules


class CaseForm(forms.Form):
    leader = forms.ModelChoiceField(label="包案领导", queryset=User.objects.none(), required=False)
    unit = forms.ModelChoiceField(label="责任单位", queryset=Unit.objects.filter(active=True), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders()


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label="化解结果", choices=Resolution.choices, widget=forms.RadioSelect)
    resolved_on = DateField(label="化解日期")
    evidence = forms.CharField(label="化解依据", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    files = UploadField(label="证明材料")


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label="措施", choices=Measure.Kind.choices)
    held_on = DateField(label="日期")
    participants = forms.CharField(label="参加人员／单位", max_length=300, required=False)
    # The column's precision (Measure.amount): a larger number is a form message, not a database error.
    amount = forms.DecimalField(
        label="救助金额（元）", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    note = forms.CharField(label="情况", widget=forms.Textarea(attrs={"rows": 3}))
    files = UploadField(label="材料（会商纪要、调解协议、听证笔录、救助审批表等）")


class PeriodForm(forms.Form):
    start = DateField(label="起")
    end = DateField(label="止")

    def clean(self):
        d = super().clean()
        if d.get("start") and d.get("end") and d["start"] > d["end"]:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        if d.get("start") and d.get("end") and (d["end"] - d["start"]).days > 366 * 3:
            raise forms.ValidationError("考核期间最长三年。")
        return d
