"""Forms of the hazard ledger: the enterprise register, a hazard's registration, one form per act."""

from django import forms

from xinfang.core import clock
from xinfang.core.params import DateField
from xinfang.core.widgets import DateInput
from xinfang.org.models import Division, Unit
from xinfang.petitions.forms import UploadField, clean_phone
from xinfang.petitions.models import Matter, normalize_tracking_code

from . import credit
from .choices import Industry, Level, Source, Status, Stoppage
from .models import Enterprise, Hazard, HazardType


class EnterpriseForm(forms.ModelForm):
    division = forms.ModelChoiceField(queryset=Division.objects.all(), label="所在区划")
    supervising_unit = forms.ModelChoiceField(queryset=Unit.objects.filter(active=True), label="行业监管部门")

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "credit_code",
            "industry",
            "division",
            "address",
            "supervising_unit",
            "contact_name",
            "contact_phone",
        ]
        widgets = {"contact_name": forms.TextInput(), "contact_phone": forms.TextInput()}

    def clean_credit_code(self):
        code = credit.normalize(self.cleaned_data.get("credit_code"))
        if code and (problem := credit.problem(code)):
            raise forms.ValidationError(problem + "。")
        if code and Enterprise.objects.filter(credit_code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("该统一社会信用代码已登记。")
        return code

    def clean_contact_phone(self):
        return clean_phone(self.cleaned_data.get("contact_phone"))


class HazardForm(forms.ModelForm):
    hazard_type = forms.ModelChoiceField(queryset=HazardType.objects.filter(active=True), label="隐患类型")
    petition_code = forms.CharField(
        label="信访事项查询码",
        required=False,
        max_length=20,
        help_text="群众信访反映的隐患，填写信访事项的查询码",
    )
    files = UploadField(label="现场照片")

    class Meta:
        model = Hazard
        fields = [
            "hazard_type",
            "level",
            "source",
            "found_on",
            "found_by",
            "location",
            "title",
            "description",
        ]
        widgets = {"found_on": DateInput(), "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["level"].choices = Level.choices
        self.fields["source"].choices = Source.choices
        self.fields["found_on"].input_formats = ["%Y-%m-%d"]
        if not self.is_bound:
            self.initial.setdefault("found_on", clock.today())

    def clean_found_on(self):
        day = self.cleaned_data["found_on"]
        if day > clock.today():
            raise forms.ValidationError("发现日期不能晚于今天。")
        return day

    def clean_petition_code(self):
        text = self.cleaned_data.get("petition_code", "").strip()
        if not text:
            return None
        code = normalize_tracking_code(text)
        if code is None:
            raise forms.ValidationError("查询码不正确（请检查是否输错）。")
        matter = Matter.objects.visible_to(self.user).filter(code=code).first()
        if matter is None:
            raise forms.ValidationError("没有找到该查询码对应的信访事项，或该事项不在您的工作范围内。")
        return matter


# ---------------------------------------------------------------- one form per act


class ActForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    note_required = False
    note_label = "说明"
    with_files = False
    files_label = "照片"

    def __init__(self, *args, hazard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.hazard = hazard
        self.fields["note"].required = self.note_required
        self.fields["note"].label = self.note_label
        if self.with_files:
            self.fields["files"] = UploadField(label=self.files_label)

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"version", "note", "files"}}


class NotifyForm(ActForm):
    requirements = forms.CharField(label="整改要求", widget=forms.Textarea(attrs={"rows": 4}))
    stoppage = forms.ChoiceField(label="停产停业", choices=Stoppage.choices, required=False)
    stoppage_scope = forms.CharField(label="停产停业范围", required=False, max_length=200)
    note_label = "说明（内部记录）"
    with_files = True
    files_label = "现场照片"


class ProgressForm(ActForm):
    note_required = True
    note_label = "整改进展"
    with_files = True
    files_label = "整改过程照片"


class PlanForm(ActForm):
    """登记 or 审定 a major hazard's governance plan: the 五落实."""

    plan_person = forms.CharField(label="责任：治理责任人（职务）", max_length=60, required=False)
    plan_unit = forms.CharField(label="责任：治理责任部门", max_length=100, required=False)
    plan_measures = forms.CharField(label="措施", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    plan_funds = forms.DecimalField(
        label="资金（元）", max_digits=14, decimal_places=2, min_value=0, required=False
    )
    plan_deadline = DateField(label="时限", required=False)
    plan_contingency = forms.CharField(
        label="预案（应急预案）", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    note_label = "审核意见"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        h = self.hazard
        if h is not None and not self.is_bound:
            self.initial.update({name: getattr(h, name) for name in self.fields if name.startswith("plan_")})


class StoppageForm(ActForm):
    stoppage = forms.ChoiceField(
        label="停产停业", choices=[c for c in Stoppage.choices if c[0]], widget=forms.RadioSelect
    )
    stoppage_scope = forms.CharField(label="停产停业范围", max_length=200)
    note_required = True
    note_label = "理由"


class RequestForm(ActForm):
    note_required = True
    note_label = "整改完成情况"
    with_files = True
    files_label = "整改后照片"


class AcceptForm(ActForm):
    note_required = True
    note_label = "验收意见"
    with_files = True
    files_label = "整改后现场照片"


class RejectForm(ActForm):
    note_required = True
    note_label = "不合格的理由和重新整改要求"
    with_files = True
    files_label = "复查照片"


class ReasonForm(ActForm):
    note_required = True
    note_label = "理由"


ACT_FORMS = {
    "notify": NotifyForm,
    "record_progress": ProgressForm,
    "record_plan": PlanForm,
    "approve_plan": PlanForm,
    "order_stoppage": StoppageForm,
    "request_acceptance": RequestForm,
    "accept": AcceptForm,
    "reject": RejectForm,
    "revoke": ReasonForm,
}


def form_for(action):
    return ACT_FORMS.get(action, ActForm)


class ListForm(forms.Form):
    requirement = forms.CharField(label="督办要求", widget=forms.Textarea(attrs={"rows": 3}))
    due_on = DateField(label="整改销号期限")


class EscalateForm(forms.Form):
    interviewed = forms.CharField(
        label="约谈对象", max_length=200, help_text="如：企业主要负责人、行业监管部门分管负责人"
    )
    held_on = DateField(label="约谈日期")
    summary = forms.CharField(label="约谈情况和要求", widget=forms.Textarea(attrs={"rows": 3}))


class LinkPetitionForm(forms.Form):
    petition_code = forms.CharField(label="信访事项查询码", max_length=20)


# ---------------------------------------------------------------- lists


class HazardFilterForm(forms.Form):
    q = forms.CharField(label="关键词/隐患编号", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")] + Status.choices)
    level = forms.ChoiceField(label="等级", required=False, choices=[("", "全部")] + Level.choices)
    hazard_type = forms.ModelChoiceField(
        label="类型", required=False, queryset=HazardType.objects.all(), empty_label="全部"
    )
    industry = forms.ChoiceField(label="行业", required=False, choices=[("", "全部")] + Industry.choices)
    source = forms.ChoiceField(label="发现方式", required=False, choices=[("", "全部")] + Source.choices)
    division = forms.ModelChoiceField(
        label="属地", required=False, queryset=Division.objects.all(), empty_label="全部"
    )
    unit = forms.ModelChoiceField(
        label="监管部门", required=False, queryset=Unit.objects.all(), empty_label="全部"
    )
    light = forms.ChoiceField(
        label="期限",
        required=False,
        choices=[("", "全部"), ("overdue", "超期"), ("overdue_rectify", "超期未整改"), ("warning", "临期")],
    )
    found_from = DateField(label="发现日期从", required=False)
    found_to = DateField(label="至", required=False)
    enterprise = forms.ModelChoiceField(
        label="生产经营单位", required=False, queryset=Enterprise.objects.all(), widget=forms.HiddenInput
    )
    open = forms.BooleanField(label="未整改", required=False, widget=forms.HiddenInput)
    listed = forms.BooleanField(label="挂牌督办", required=False, widget=forms.HiddenInput)
    rectified = forms.BooleanField(label="已整改", required=False, widget=forms.HiddenInput)


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label="名称/信用代码", required=False)
    industry = forms.ChoiceField(label="行业", required=False, choices=[("", "全部")] + Industry.choices)
    division = forms.ModelChoiceField(
        label="属地", required=False, queryset=Division.objects.all(), empty_label="全部"
    )
    unit = forms.ModelChoiceField(
        label="监管部门", required=False, queryset=Unit.objects.all(), empty_label="全部"
    )
