"""The portal's forms. Each is described for screen readers (help and error texts tied to their
field with aria-describedby, aria-invalid on a field in error) and leaves checking to the server:
the pages post with novalidate, so that no browser message in another language appears."""

from django import forms
from django.conf import settings

from xinfang.org.models import Division
from xinfang.petitions.choices import Nature, Rating, RequestType
from xinfang.petitions.forms import CategoryChoiceField, UploadField, clean_id_number, clean_phone
from xinfang.petitions.models import Category, normalize_tracking_code


class PortalForm(forms.Form):
    use_required_attribute = False  # aria-required instead: no browser bubble
    short_labels = {}  # a field's name in the error summary, when its label is a sentence

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # "请填写姓名。" rather than the general "这个字段是必填项。"
            if field.error_messages["required"] == forms.Field.default_error_messages["required"]:
                verb = "请选择" if isinstance(field, forms.ChoiceField) else "请填写"
                field.error_messages["required"] = f"{verb}{field.label}。"
        self.describe()

    def full_clean(self):
        super().full_clean()
        self.describe()

    def describe(self):
        errors = self._errors or {}
        for name, field in self.fields.items():
            auto_id = self.auto_id % self.add_prefix(name)  # not self[name]: that would fix the help
            attrs = field.widget.attrs
            ids = [f"{auto_id}_help"] if field.help_text else []
            if name in errors:
                ids.append(f"{auto_id}_error")
                attrs["aria-invalid"] = "true"
            else:
                attrs.pop("aria-invalid", None)
            if ids:
                attrs["aria-describedby"] = " ".join(ids)
            if field.required:
                attrs["aria-required"] = "true"

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(anchor, label, message) of every error, in the order of the form, for the summary at
        the top of the page that links to each field."""
        rows = [("", "", e) for e in self.non_field_errors()]
        for name in self.fields:
            label = self.short_labels.get(name, self.fields[name].label)
            for e in self.errors.get(name, []):
                rows.append((self[name].auto_id, label, e))
        return rows


def upload_limits() -> str:
    mb = settings.XINFANG_PORTAL_MAX_FILE_BYTES // (1024 * 1024)
    return f"可上传照片、图片或PDF文件，最多{settings.XINFANG_PORTAL_MAX_FILES}个，每个不超过{mb}MB。"


def check_uploads(files):
    if len(files) > settings.XINFANG_PORTAL_MAX_FILES:
        raise forms.ValidationError(f"最多上传{settings.XINFANG_PORTAL_MAX_FILES}个文件。")
    limit = settings.XINFANG_PORTAL_MAX_FILE_BYTES
    for f in files:
        if f.size > limit:
            raise forms.ValidationError(f"文件「{f.name}」超过{limit // (1024 * 1024)}MB。")
    return files  # UploadField has checked what each file is


def grouped_categories() -> list:
    """Second-level categories under their first level (an optgroup each)."""
    groups = {}
    for c in (
        Category.objects.filter(active=True, parent__isnull=False)
        .select_related("parent")
        .order_by("parent__order", "parent__pk", "order", "pk")
    ):
        groups.setdefault(c.parent.name, []).append((c.pk, c.name))
    return [("", "请选择问题类别"), *groups.items()]


def grouped_places() -> list:
    """Towns and villages under their county-level division, the higher levels first."""
    divisions = list(Division.objects.order_by("path"))
    by_pk = {d.pk: d for d in divisions}
    upper, groups = [], {}
    for d in divisions:
        if d.level <= 3:
            upper.append((d.pk, d.name))
            continue
        county = d
        while county.level > 3 and county.parent_id in by_pk:
            county = by_pk[county.parent_id]
        parent = by_pk.get(d.parent_id)
        label = d.name if d.level == 4 or parent is None else f"{parent.name} · {d.name}"
        groups.setdefault(county.name, []).append((d.pk, label))
    return [("", "请选择问题发生地"), *([("市、区（县）", upper)] if upper else []), *groups.items()]


class FilingForm(PortalForm):
    short_labels = {"consent": "个人信息保护告知"}
    name = forms.CharField(label="姓名", max_length=40)
    id_number = forms.CharField(label="身份证号", max_length=18)
    phone = forms.CharField(
        label="手机号码",
        max_length=20,
        help_text="用于接收告知短信和查询办理情况",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(label="住址", max_length=200)
    division = forms.ModelChoiceField(
        label="问题发生地",
        queryset=Division.objects.order_by("path"),
        help_text="选择到乡镇（街道）或村（社区）；可先在上面的框里输入地名查找",
    )
    nature = forms.ChoiceField(label="信访事项性质", choices=Nature.choices)
    request_type = forms.ChoiceField(label="诉求类型", choices=RequestType.choices)
    category = CategoryChoiceField(
        queryset=Category.objects.filter(active=True, parent__isnull=False).select_related("parent"),
        label="问题类别",
    )
    title = forms.CharField(label="标题", max_length=100)
    content = forms.CharField(label="反映的问题", widget=forms.Textarea(attrs={"rows": 8}), max_length=10000)
    request = forms.CharField(label="诉求", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    complained = forms.CharField(
        label="被反映单位或人员", max_length=60, required=False, help_text="检举控告类必填"
    )
    files = UploadField(label="材料")
    consent = forms.BooleanField(
        label="我已阅读并同意《个人信息保护告知》：所填信息仅用于办理本信访事项，依法保密。",
        error_messages={"required": "请阅读并同意个人信息保护告知后再提交。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].widget.choices = grouped_places()
        self.fields["category"].widget.choices = grouped_categories()
        self.fields["files"].help_text = upload_limits()
        self.fields["files"].widget.attrs["accept"] = "image/*,application/pdf"
        self.describe()

    def clean_id_number(self):
        value = clean_id_number(self.cleaned_data.get("id_number"))
        if not value:
            raise forms.ValidationError("请填写身份证号。")
        return value

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone"))

    def clean_files(self):
        return check_uploads(self.cleaned_data.get("files") or [])

    def clean(self):
        data = super().clean()
        if data.get("nature") == Nature.ACCUSATION and not data.get("complained"):
            self.add_error("complained", "检举控告请填写被反映的单位或人员。")
        return data


class TrackForm(PortalForm):
    code = forms.CharField(
        label="查询码",
        max_length=20,
        help_text="提交成功时显示的12位查询码，字母不区分大小写",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    phone_tail = forms.RegexField(
        label="手机号码后4位",
        regex=r"^\d{4}$",
        max_length=4,
        error_messages={"invalid": "请填写登记时手机号码的后4位数字。"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_code(self):
        code = normalize_tracking_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError("查询码不正确，请检查是否输错（字母不区分大小写）。")
        return code


class RateForm(PortalForm):
    rating = forms.ChoiceField(label="您对处理意见的评价", choices=Rating.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="不满意的原因",
        required=False,
        max_length=1000,
        help_text="选择“不满意”时请填写，有关机关将据此回访您",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("rating") == Rating.UNSATISFIED and not (data.get("reason") or "").strip():
            self.add_error("reason", "请说明不满意的原因，以便有关机关回访。")
        return data


class ReviewRequestForm(PortalForm):
    """A request for 复查 or 复核: the reasons, the materials, and an explicit confirmation."""

    short_labels = {"confirm": "确认"}

    reasons = forms.CharField(
        label="申请理由",
        max_length=5000,
        help_text="请写明对哪些处理意见不服、事实和理由",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "请填写申请理由。"},
    )
    files = UploadField(label="补充材料")
    confirm = forms.BooleanField(
        label="我已核对以上内容，确认提交申请。",
        error_messages={"required": "请勾选确认后再提交。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = upload_limits()
        self.fields["files"].widget.attrs["accept"] = "image/*,application/pdf"
        self.describe()

    def clean_files(self):
        return check_uploads(self.cleaned_data.get("files") or [])


class WithdrawForm(PortalForm):
    note = forms.CharField(label="撤回原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
