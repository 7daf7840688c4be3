"""Forms of the dispute pages: registration, one per transition, filters, campaigns."""

from django import forms

from xinfang.core import clock
from xinfang.core.params import DateField
from xinfang.org.models import Division, Role, Unit, User
from xinfang.petitions.forms import UploadField, clean_id_number, clean_phone

from . import services
from .choices import AttemptResult, Method, NextChannel, PartyKind, PartySide, Risk, RiskReason, Source
from .choices import Status as S
from .models import Campaign, DisputeType


class TypeField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def leaf_types():
    return DisputeType.objects.filter(active=True, parent__isnull=False).select_related("parent")


class DisputeForm(forms.Form):
    screened_on = DateField(label="排查日期")
    source = forms.ChoiceField(label="来源", choices=Source.choices)
    campaign = forms.ModelChoiceField(label="集中排查", queryset=Campaign.objects.none(), required=False)
    dispute_type = TypeField(label="纠纷类型", queryset=leaf_types())
    division = forms.ModelChoiceField(label="发生地（村、社区）", queryset=Division.objects.all())
    grid = forms.ModelChoiceField(label="网格", queryset=None, required=False)
    address = forms.CharField(label="具体地点", max_length=200, required=False)
    title = forms.CharField(label="纠纷概要", max_length=200)
    summary = forms.CharField(label="基本情况", widget=forms.Textarea(attrs={"rows": 4}))
    claims = forms.CharField(label="各方诉求", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    headcount = forms.IntegerField(label="涉及人数", min_value=1, initial=2)
    amount = forms.DecimalField(
        label="涉及金额（元）", min_value=0, max_digits=14, decimal_places=2, required=False
    )
    files = UploadField(label="附件（图片或PDF）")

    def __init__(self, *args, user, **kwargs):
        from xinfang.grid.models import Grid

        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = Grid.objects.filter(active=True)
        today = clock.today()
        self.fields["campaign"].queryset = Campaign.objects.filter(
            units=user.unit, first__lte=today, last__gte=today
        )
        self.initial.setdefault("screened_on", today)

    def fields_for_service(self):
        d = dict(self.cleaned_data)
        d.pop("files", None)
        if d.get("campaign") is not None:
            d["source"] = Source.CAMPAIGN
        return d


class PartyForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=PartyKind.choices)
    side = forms.ChoiceField(label="当事方", choices=PartySide.choices)
    name = forms.CharField(label="姓名或名称", max_length=100)
    id_number = forms.CharField(label="证件号码", max_length=18, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    address = forms.CharField(label="住址", max_length=200, required=False)

    def clean_id_number(self):
        return clean_id_number(self.cleaned_data["id_number"])

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])


PartyFormSet = forms.formset_factory(PartyForm, extra=2, min_num=1, validate_min=True, max_num=20)


def party_rows(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


class FilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=60)
    status = forms.ChoiceField(label="状态", choices=[("", "全部"), *S.choices], required=False)
    risk = forms.ChoiceField(label="风险等级", choices=[("", "全部"), *Risk.choices], required=False)
    source = forms.ChoiceField(label="来源", choices=[("", "全部"), *Source.choices], required=False)
    dispute_type = forms.ModelChoiceField(
        label="纠纷大类", queryset=DisputeType.objects.filter(parent=None), required=False
    )
    division = forms.ModelChoiceField(
        label="区划", queryset=Division.objects.filter(level__lte=4), required=False
    )
    screened_from = DateField(label="排查日期从", required=False)
    screened_to = DateField(label="至", required=False)


# ---------------------------------------------------------------- actions


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    files = UploadField(label="附件（图片或PDF）")

    def __init__(self, *args, dispute, user, **kwargs):
        self.dispute, self.user = dispute, user
        super().__init__(*args, **kwargs)

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"version", "note", "files"}}


class AssessForm(ActionForm):
    risk = forms.ChoiceField(label="风险等级", choices=Risk.choices)
    reasons = forms.MultipleChoiceField(
        label="风险因素", choices=RiskReason.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    unit = forms.ModelChoiceField(label="化解责任单位", queryset=Unit.objects.filter(active=True))
    leaders = forms.ModelMultipleChoiceField(label="包案领导", queryset=User.objects.none())
    resolver = forms.ModelChoiceField(label="化解责任人", queryset=User.objects.none(), required=False)
    method = forms.ChoiceField(label="化解方式", choices=[("", "待定"), *Method.choices], required=False)
    mediator = forms.CharField(label="调解员", max_length=60, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        gov = self.user.unit.government() or self.user.unit
        staff = User.objects.filter(is_active=True, unit__path__startswith=gov.path)
        self.fields["leaders"].queryset = staff.filter(role__in=[Role.LEADER, Role.UNIT_HEAD])
        self.fields["resolver"].queryset = staff.filter(
            role__in=[Role.HANDLER, Role.UNIT_HEAD, Role.DISPATCHER]
        )
        self.fields["unit"].queryset = Unit.objects.filter(active=True, path__startswith=gov.path)
        self.initial.setdefault("unit", self.dispute.holder_unit_id)
        suggested = services.suggested_reasons(self.dispute, clock.today())
        self.initial.setdefault("reasons", suggested)
        if suggested:
            self.fields["reasons"].help_text = "已按涉及人数和敏感时期预先勾选，请研判后确认或取消。"


class AttemptForm(ActionForm):
    on = DateField(label="调解日期")
    method = forms.ChoiceField(label="调解方式", choices=Method.choices)
    mediator = forms.CharField(label="调解员", max_length=60, required=False)
    participants = forms.CharField(label="参加人员", widget=forms.Textarea(attrs={"rows": 2}))
    result = forms.ChoiceField(label="结果", choices=AttemptResult.choices)


class ResolveForm(ActionForm):
    files = UploadField(label="调解协议（图片或PDF）", required=True)


class FailForm(ActionForm):
    next_channel = forms.ChoiceField(label="转入途径", choices=NextChannel.choices)
    next_reference = forms.CharField(label="转入后的案号或编号", max_length=100, required=False)
    note = forms.CharField(label="调解不成的原因", widget=forms.Textarea(attrs={"rows": 3}))


class FollowUpForm(ActionForm):
    on = DateField(label="回访日期")
    stable = forms.BooleanField(label="协议履行、纠纷未反复", required=False, initial=True)
    note = forms.CharField(label="回访情况", widget=forms.Textarea(attrs={"rows": 3}))


class EscalateForm(ActionForm):
    note = forms.CharField(label="上报理由", widget=forms.Textarea(attrs={"rows": 3}))


FORMS = {
    "assess": AssessForm,
    "attempt": AttemptForm,
    "resolve": ResolveForm,
    "fail": FailForm,
    "follow_up": FollowUpForm,
    "escalate": EscalateForm,
}


def form_for(action):
    return FORMS.get(action, ActionForm)


class CampaignForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    first = DateField(label="排查开始日期")
    last = DateField(label="报送截止日期")
    units = forms.ModelMultipleChoiceField(
        label="应报送单位", queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        gov = user.unit.government() or user.unit
        self.fields["units"].queryset = Unit.objects.filter(active=True, path__startswith=gov.path).exclude(
            pk=user.unit_id
        )

    def clean(self):
        d = super().clean()
        if d.get("first") and d.get("last") and d["last"] < d["first"]:
            raise forms.ValidationError("报送截止日期不能早于排查开始日期。")
        return d


class CampaignReportForm(forms.Form):
    zero = forms.BooleanField(label="零报告（本期未排查出矛盾纠纷）", required=False)
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)
