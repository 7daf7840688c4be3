"""Forms of the stability risk assessment: the decision registered, one form per step."""

from django import forms

from xinfang.core import clock, uploads
from xinfang.core.params import DateField
from xinfang.org.models import Division, Unit

from .choices import DecisionType, Degree, HearingMethod, Recommendation, RiskLevel, Status
from .models import Assessment


class AssessmentForm(forms.ModelForm):
    division = forms.ModelChoiceField(queryset=Division.objects.all(), label="涉及区域")
    deciding_organ = forms.ModelChoiceField(queryset=Unit.objects.filter(active=True), label="决策机关")
    assessing_unit = forms.ModelChoiceField(queryset=Unit.objects.filter(active=True), label="评估主体")
    planned_decision_on = DateField(label="拟决策日期")

    class Meta:
        model = Assessment
        fields = [
            "title",
            "summary",
            "decision_type",
            "division",
            "deciding_organ",
            "assessing_unit",
            "affected",
            "affected_count",
            "planned_decision_on",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "affected": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision_type"].choices = DecisionType.choices
        if user is not None and not self.is_bound:
            self.initial.setdefault("assessing_unit", user.unit_id)


class StepForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    note_required = False
    note_label = "说明"

    def __init__(self, *args, assessment=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.assessment = assessment
        self.fields["note"].required = self.note_required
        self.fields["note"].label = self.note_label

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"version", "note"}}


class PlanForm(StepForm):
    plan_text = forms.CharField(
        label="评估方案（评估范围、方法、步骤和时间安排）", widget=forms.Textarea(attrs={"rows": 6})
    )


class HearingForm(StepForm):
    method = forms.ChoiceField(label="听取意见方式", choices=HearingMethod.choices)
    held_on = DateField(label="日期")
    reached = forms.IntegerField(label="覆盖人数", min_value=0)
    views = forms.IntegerField(label="收集意见（条）", min_value=0)
    supported = forms.IntegerField(label="表示支持（人）", min_value=0)
    objected = forms.IntegerField(label="表示反对（人）", min_value=0)
    summary = forms.CharField(label="主要意见", widget=forms.Textarea(attrs={"rows": 4}))
    record = forms.FileField(label="记录材料（公示照片、问卷汇总、座谈或听证笔录，图片或PDF）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_on", clock.today())

    def clean_record(self):
        upload = self.cleaned_data["record"]
        upload.content_type = uploads.sniff(upload)
        return upload


class RiskForm(StepForm):
    description = forms.CharField(label="风险点", widget=forms.Textarea(attrs={"rows": 3}))
    likelihood = forms.ChoiceField(label="发生可能性", choices=Degree.choices, widget=forms.RadioSelect)
    impact = forms.ChoiceField(label="影响程度", choices=Degree.choices, widget=forms.RadioSelect)
    mitigation = forms.CharField(label="防范化解措施", widget=forms.Textarea(attrs={"rows": 3}))


class AnalysisForm(StepForm):
    legality = forms.CharField(label="合法性", widget=forms.Textarea(attrs={"rows": 3}))
    rationality = forms.CharField(label="合理性", widget=forms.Textarea(attrs={"rows": 3}))
    feasibility = forms.CharField(label="可行性", widget=forms.Textarea(attrs={"rows": 3}))
    controllability = forms.CharField(label="可控性", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        a = self.assessment
        if a is not None and not self.is_bound:
            self.initial.update(
                {
                    name: getattr(a, name)
                    for name in ("legality", "rationality", "feasibility", "controllability")
                }
            )


class GradeForm(StepForm):
    risk_level = forms.ChoiceField(label="风险等级", choices=RiskLevel.choices, widget=forms.RadioSelect)
    level_basis = forms.CharField(label="确定等级的依据", widget=forms.Textarea(attrs={"rows": 3}))


class ReportForm(StepForm):
    recommendation = forms.ChoiceField(
        label="评估建议", choices=Recommendation.choices, widget=forms.RadioSelect
    )
    go_ahead_reason = forms.CharField(
        label="高风险仍建议实施（或调整后实施）的理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="风险等级为高风险而建议实施的，必须写明理由",
    )
    mitigation = forms.CharField(label="风险防范化解措施", widget=forms.Textarea(attrs={"rows": 4}))
    emergency_plan = forms.CharField(label="应急处置预案", widget=forms.Textarea(attrs={"rows": 4}))


class DecideForm(StepForm):
    decision = forms.ChoiceField(label="决策结果", choices=Recommendation.choices, widget=forms.RadioSelect)
    decided_on = DateField(label="决策日期")
    note_required = True
    note_label = "决策情况（决策文件、会议纪要）"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("decided_on", clock.today())


class FollowUpForm(StepForm):
    checked_on = DateField(label="跟踪日期")
    findings = forms.CharField(
        label="跟踪情况（实施情况、群众反映、矛盾纠纷和信访情况）", widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("checked_on", clock.today())


STEP_FORMS = {
    "set_plan": PlanForm,
    "record_hearing": HearingForm,
    "record_risk": RiskForm,
    "finish_analysis": AnalysisForm,
    "grade": GradeForm,
    "issue_report": ReportForm,
    "decide": DecideForm,
    "record_followup": FollowUpForm,
}


def form_for(action):
    return STEP_FORMS.get(action, StepForm)


class FilterForm(forms.Form):
    q = forms.CharField(label="关键词/编号", required=False)
    status = forms.ChoiceField(label="环节", required=False, choices=[("", "全部")] + Status.choices)
    decision_type = forms.ChoiceField(
        label="决策类型", required=False, choices=[("", "全部")] + DecisionType.choices
    )
    risk_level = forms.ChoiceField(
        label="风险等级", required=False, choices=[("", "全部")] + RiskLevel.choices
    )
    against = forms.BooleanField(label="未采纳评估建议", required=False, widget=forms.HiddenInput)
