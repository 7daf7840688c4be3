"""Forms of grid events: the phone report, one per act."""

from django import forms
from django.conf import settings

from xinfang.core import uploads
from xinfang.core.params import DateField
from xinfang.core.widgets import MultipleFileInput
from xinfang.org.models import Unit

from .choices import Kind, RejectReason, Status
from .models import Grid


class PhotoInput(MultipleFileInput):
    def __init__(self, attrs=None):
        # A phone opens its camera: photos are taken on the spot; grid/photos.js shrinks large ones
        # before they are sent (data-shrink).
        super().__init__({"accept": "image/*", "capture": "environment", "data-shrink": "", **(attrs or {})})


class PhotoField(forms.FileField):
    """Several photos, each an image by its content and within the size limit."""

    widget = PhotoInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "现场照片")
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        limit = settings.XINFANG_MAX_ATTACHMENT_BYTES
        for f in files:
            if f.size > limit:
                raise forms.ValidationError(f"照片「{f.name}」超过{limit // (1024 * 1024)}MB的大小限制。")
            if not uploads.sniff(f).startswith("image/"):
                raise forms.ValidationError(f"「{f.name}」不是照片。")
        if self.required and not files:
            raise forms.ValidationError("请拍摄或选择现场照片。")
        return files


class FilterForm(forms.Form):
    """The filters of the list of all events (and of its export)."""

    status = forms.ChoiceField(label="状态", choices=[("", "全部"), *Status.choices], required=False)
    kind = forms.ChoiceField(label="事件类型", choices=[("", "全部"), *Kind.choices], required=False)
    reported_from = DateField(label="上报日期从", required=False)
    reported_to = DateField(label="至", required=False)


class ReportForm(forms.Form):
    grid = forms.ModelChoiceField(
        label="网格", queryset=Grid.objects.none(), required=False, empty_label="（不在我的网格，手填地点）"
    )
    place = forms.CharField(label="具体地点", max_length=200, required=False)
    kind = forms.ChoiceField(label="事件类型", choices=Kind.choices)
    title = forms.CharField(label="发生了什么（一句话）", max_length=100)
    description = forms.CharField(label="详细情况", widget=forms.Textarea(attrs={"rows": 4}))
    headcount = forms.IntegerField(label="涉及人数", min_value=1, initial=1)
    urgent = forms.BooleanField(label="紧急", required=False)
    photos = PhotoField()

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        first = grids.first()
        if first is not None:
            self.initial.setdefault("grid", first.pk)

    def clean(self):
        d = super().clean()
        if not d.get("grid") and not (d.get("place") or "").strip():
            raise forms.ValidationError("请选择网格，或填写事件地点。")
        return d


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, event, user, **kwargs):
        self.event, self.user = event, user
        super().__init__(*args, **kwargs)

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"version", "note", "photos"}}


class RejectForm(ActionForm):
    reason = forms.ChoiceField(label="不予受理原因", choices=RejectReason.choices)
    duplicate_code = forms.CharField(label="重复的事件编号", max_length=16, required=False)

    def params(self):
        from .models import GridEvent

        code = (self.cleaned_data.get("duplicate_code") or "").strip().upper()
        other = GridEvent.objects.filter(number=code).first() if code else None
        return {"reason": self.cleaned_data["reason"], "duplicate_of": other}


class DispatchForm(ActionForm):
    unit = forms.ModelChoiceField(label="处置单位", queryset=Unit.objects.none())
    urgent = forms.BooleanField(label="紧急（次日内处置）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        gov = self.user.unit.government() or self.user.unit
        self.fields["unit"].queryset = Unit.objects.filter(active=True, path__startswith=gov.path)
        self.initial.setdefault("urgent", self.event.urgent)


class HandleForm(ActionForm):
    note = forms.CharField(label="处置情况", widget=forms.Textarea(attrs={"rows": 4}))
    photos = PhotoField(label="处置后照片")


class VerifyForm(ActionForm):
    passed = forms.TypedChoiceField(
        label="核查结果", choices=[("1", "核查通过"), ("0", "未通过，退回处置单位")],
        coerce=lambda v: v == "1", widget=forms.RadioSelect,
    )  # fmt: skip
    photos = PhotoField(label="核查照片", required=True)


FORMS = {
    "reject": RejectForm,
    "dispatch": DispatchForm,
    "handle": HandleForm,
    "verify": VerifyForm,
    "confirm": VerifyForm,
}


def form_for(action):
    return FORMS.get(action, ActionForm)
