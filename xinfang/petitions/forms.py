"""Forms for registration and for every workflow action."""

import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import get_format

from xinfang.core import clock, uploads
from xinfang.core.params import DateField
from xinfang.core.widgets import DateInput, DateTimeInput, MultipleFileInput
from xinfang.org.models import Division, Unit

from .choices import (
    Channel,
    Nature,
    Rating,
    ReferralChannel,
    ReplyOutcome,
    RequestType,
    Resolution,
    ReviewDecision,
)
from .models import MAX_REPRESENTATIVES, Category, Matter, normalize_tracking_code

ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def id_number_is_valid(value: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number."""
    if not ID_NUMBER_RE.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17]


def clean_id_number(value: str) -> str:
    value = (value or "").strip().upper()
    if value and not id_number_is_valid(value):
        raise forms.ValidationError("身份证号码格式或校验位不正确，请核对。")
    return value


def clean_phone(value: str) -> str:
    value = re.sub(r"[\s()（）]", "", value or "")
    if value and not PHONE_RE.match(value):
        raise forms.ValidationError("电话号码格式不正确：手机号为11位，固定电话请带区号。")
    return value


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class MatterForm(forms.ModelForm):
    category = CategoryChoiceField(
        queryset=Category.objects.filter(active=True, parent__isnull=False).select_related("parent"),
        label="内容分类",
    )
    division = forms.ModelChoiceField(queryset=Division.objects.all(), label="问题属地")
    complained_unit = forms.ModelChoiceField(
        queryset=Unit.objects.filter(active=True), label="被反映单位", required=False
    )
    repeat_of_code = forms.CharField(label="重复信访：原事项查询码", required=False, max_length=20)

    class Meta:
        model = Matter
        fields = [
            "channel",
            "received_at",
            "title",
            "content",
            "request",
            "nature",
            "request_type",
            "division",
            "category",
            "complained_unit",
            "complained_person",
            "is_collective",
            "headcount",
            "anonymous",
            "leader_name",
            "upper_reference",
            "upper_due_date",
        ]
        widgets = {
            "received_at": DateTimeInput(),
            "content": forms.Textarea(attrs={"rows": 6}),
            "request": forms.Textarea(attrs={"rows": 2}),
            "upper_due_date": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = Channel.choices
        self.fields["nature"].choices = Nature.choices
        self.fields["request_type"].choices = RequestType.choices
        formats = get_format("DATETIME_INPUT_FORMATS") + get_format("DATE_INPUT_FORMATS")
        self.fields["received_at"].input_formats = formats  # a day alone is its midnight
        if not self.is_bound:
            self.initial.setdefault("received_at", clock.now().replace(second=0, microsecond=0))

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value > clock.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError("收到时间不能晚于现在。")
        return value

    def clean_repeat_of_code(self):
        text = self.cleaned_data.get("repeat_of_code", "").strip()
        if not text:
            return None
        code = normalize_tracking_code(text)
        if code is None:
            raise forms.ValidationError("查询码不正确（请检查是否输错）。")
        matter = Matter.objects.filter(code=code).first()
        if matter is None:
            raise forms.ValidationError("没有找到该查询码对应的事项。")
        return matter

    def clean(self):
        data = super().clean()
        if data.get("nature") == Nature.ACCUSATION and not (
            data.get("complained_unit") or data.get("complained_person")
        ):
            self.add_error("complained_unit", "检举控告类事项请填写被反映单位或被反映人。")
        channel = data.get("channel")
        if channel == Channel.LEADER_RECEPTION:
            if not data.get("leader_name"):
                self.add_error("leader_name", "领导接访请填写接访领导。")
        else:
            data["leader_name"] = ""
        if channel in {Channel.UPPER_FORWARDED, Channel.UPPER_ASSIGNED}:
            if not data.get("upper_reference"):
                self.add_error("upper_reference", "上级转送、交办的事项请填写上级编号。")
        else:
            data["upper_reference"], data["upper_due_date"] = "", None
        return data


class PetitionerForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=40)
    id_number = forms.CharField(label="身份证号", max_length=18, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    address = forms.CharField(label="住址", max_length=200, required=False)

    def clean_id_number(self):
        return clean_id_number(self.cleaned_data.get("id_number"))

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone"))


PETITIONER_ROWS = MAX_REPRESENTATIVES + 1  # one more than allowed, so the refusal can be shown
PetitionerFormSet = forms.formset_factory(
    PetitionerForm, extra=PETITIONER_ROWS, max_num=PETITIONER_ROWS, absolute_max=50
)


class UploadField(forms.FileField):
    """Several files at once, each within the configured size limit and an image or a PDF by its
    content (xinfang/core/uploads.py), whatever its name says."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "附件")
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        limit = settings.XINFANG_MAX_ATTACHMENT_BYTES
        for f in files:
            if f.size > limit:
                raise forms.ValidationError(f"附件「{f.name}」超过{limit // (1024 * 1024)}MB的大小限制。")
            f.content_type = uploads.sniff(f)
        return files


# ---------------------------------------------------------------- action forms


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    files = UploadField(label="相关文书材料")
    note_required = False
    note_label = "说明"

    def __init__(self, *args, matter=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.matter, self.user = matter, user
        self.fields["note"].required = self.note_required
        self.fields["note"].label = self.note_label

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"version", "note", "files"}}


def _level_of(unit, governments):
    """The nearest government or township at or above `unit` (its level), from their paths."""
    return max(
        (g for g in governments if unit.path.startswith(g.path)), key=lambda g: len(g.path), default=None
    )


def units_by_level(units, user_unit):
    """Choices grouped for a picker: the units of the user's own level (its government or township
    and their departments) first, then those below it, then the others, each in tree order."""
    units = list(units)
    governments = [u for u in Unit.objects.filter(kind__in=[Unit.Kind.GOVERNMENT, Unit.Kind.TOWNSHIP])]
    own = _level_of(user_unit, governments) if user_unit is not None else None
    groups = {"own": [], "below": [], "other": []}
    for unit in units:
        level = _level_of(unit, governments)
        if own is not None and level == own:
            groups["own"].append(unit)
        elif own is not None and unit.path.startswith(own.path):
            groups["below"].append(unit)
        else:
            groups["other"].append(unit)
    labels = {
        "own": f"本级：{own}及其部门" if own else "",
        "below": f"下级：{own}所辖" if own else "",
        "other": "其他单位",
    }
    return [(labels[k], [(u.pk, str(u)) for u in groups[k]]) for k in ("own", "below", "other") if groups[k]]


class DispatchForm(ActionForm):
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(), label="承办单位", widget=forms.Select(attrs={"data-search": "1"})
    )
    co_units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(),
        label="协办单位（可选，可多选）",
        required=False,
        widget=forms.SelectMultiple(attrs={"data-search": "1", "size": 8}),
    )
    note_label = "交办意见"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(active=True).exclude(pk=self.matter.holder_unit_id)
        if self.matter.nature == Nature.ACCUSATION:
            # Never offer an accused unit (or one below it); nothing before the screening.
            if self.matter.screened_at is None:
                units = units.none()
            for party in self.matter.accused_parties.all():  # as scoping.party_covers decides
                if party.user_id:
                    units = units.exclude(pk=party.unit_id)
                else:
                    units = units.exclude(path__startswith=party.unit_path)
        units = units.order_by("path")
        grouped = units_by_level(units, self.user.unit if self.user else None)
        for name in ("unit", "co_units"):
            self.fields[name].queryset = units
        self.fields["unit"].choices = [("", "请选择承办单位"), *grouped]
        self.fields["co_units"].choices = grouped

    def clean(self):
        data = super().clean()
        if data.get("unit") and data.get("unit") in (data.get("co_units") or []):
            self.add_error("co_units", "承办单位不能同时作为协办单位。")
        return data


class ReferForm(ActionForm):
    referral_channel = forms.ChoiceField(label="其他法定途径", choices=ReferralChannel.choices)
    note_required = True
    note_label = "告知内容（途径、受理机关）"


class ReasonForm(ActionForm):
    note_required = True
    note_label = "理由"


class ExtendForm(ActionForm):
    days = forms.IntegerField(label="延长天数", min_value=1, max_value=90)
    note_required = True
    note_label = "延期理由（将告知信访人）"


class ReplyForm(ActionForm):
    outcome = forms.ChoiceField(label="处理意见", choices=ReplyOutcome.choices, widget=forms.RadioSelect)
    resolution = forms.ChoiceField(
        label="化解方式（四个到位）", choices=Resolution.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label="处理意见书正文（信访人诉求、查明事实、处理理由）", widget=forms.Textarea(attrs={"rows": 8})
    )
    basis = forms.CharField(label="法律法规政策依据", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        m = self.matter
        if m is not None and not self.is_bound and m.reply_text:
            self.initial.update(
                outcome=m.reply_outcome, resolution=m.resolution, text=m.reply_text, basis=m.reply_basis
            )


class ApproveReplyForm(ActionForm):
    delivered_on = DateField(label="送达日期")
    note_label = "审签意见"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("delivered_on", clock.today())


class RateForm(ActionForm):
    rating = forms.ChoiceField(label="信访人评价", choices=Rating.choices, widget=forms.RadioSelect)


class DecisionForm(ActionForm):
    decision = forms.ChoiceField(label="意见", choices=ReviewDecision.choices, widget=forms.RadioSelect)
    note_required = True
    note_label = "意见书正文（事实、理由和依据）"


ACTION_FORMS = {
    "forward": DispatchForm,
    "assign": DispatchForm,
    "refer": ReferForm,
    "not_accept": ReasonForm,
    "dispute": ReasonForm,
    "withdraw": ReasonForm,
    "return_reply": ReasonForm,
    "extend": ExtendForm,
    "submit_reply": ReplyForm,
    "approve_reply": ApproveReplyForm,
    "rate": RateForm,
    "decide_review": DecisionForm,
    "decide_rereview": DecisionForm,
}


def form_for(action):
    return ACTION_FORMS.get(action, ActionForm)


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="关键词/查询码", required=False)
    status = forms.ChoiceField(label="状态", required=False)
    channel = forms.ChoiceField(label="信访方式", required=False, choices=[("", "全部")] + Channel.choices)
    nature = forms.ChoiceField(label="性质", required=False, choices=[("", "全部")] + Nature.choices)
    category = forms.ModelChoiceField(
        label="分类", required=False, queryset=Category.objects.all(), empty_label="全部"
    )
    division = forms.ModelChoiceField(
        label="属地", required=False, queryset=Division.objects.all(), empty_label="全部"
    )
    unit = forms.ModelChoiceField(
        label="承办单位", required=False, queryset=Unit.objects.all(), empty_label="全部"
    )
    light = forms.ChoiceField(
        label="期限",
        required=False,
        choices=[("", "全部"), ("overdue", "超期"), ("warning", "临期"), ("normal", "正常")],
    )
    received_from = DateField(label="收到日期从", required=False)
    received_to = DateField(label="至", required=False)
    # Set by the dashboard's drill-down links and kept as the user refines the list.
    holder = forms.ModelChoiceField(
        label="当前责任单位", required=False, queryset=Unit.objects.all(), widget=forms.HiddenInput
    )
    repeat = forms.BooleanField(label="重复信访", required=False, widget=forms.HiddenInput)
    collective = forms.BooleanField(label="集体访", required=False, widget=forms.HiddenInput)
    open = forms.BooleanField(label="在办", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .choices import Status

        self.fields["status"].choices = [("", "全部")] + Status.choices
