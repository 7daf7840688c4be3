from django import forms
from django.conf import settings

from xinfang.org.models import Division
from xinfang.petitions.choices import Nature, Rating, RequestType
from xinfang.petitions.forms import CategoryChoiceField, UploadField, clean_id_number, clean_phone
from xinfang.petitions.models import Category, normalize_tracking_code


class FilingForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=40)
    id_number = forms.CharField(label="身份证号", max_length=18)
    phone = forms.CharField(label="手机号码", max_length=20, help_text="用于接收告知短信和查询办理情况")
    address = forms.CharField(label="住址", max_length=200)
    division = forms.ModelChoiceField(
        label="问题发生地",
        queryset=Division.objects.order_by("path"),
        help_text="选择到乡镇（街道）或村（社区）",
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
    files = UploadField(label="材料（图片或PDF）")
    consent = forms.BooleanField(
        label="我已阅读并同意《个人信息保护告知》：所填信息仅用于办理本信访事项，依法保密。",
        error_messages={"required": "请阅读并同意个人信息保护告知后再提交。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].label_from_instance = lambda d: "　" * max(0, d.level - 2) + d.name
        self.fields["files"].widget.attrs["accept"] = "image/*,application/pdf"

    def clean_id_number(self):
        value = clean_id_number(self.cleaned_data.get("id_number"))
        if not value:
            raise forms.ValidationError("请填写身份证号。")
        return value

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone"))

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > settings.XINFANG_PORTAL_MAX_FILES:
            raise forms.ValidationError(f"最多上传{settings.XINFANG_PORTAL_MAX_FILES}个文件。")
        limit = settings.XINFANG_PORTAL_MAX_FILE_BYTES
        for f in files:
            if f.size > limit:
                raise forms.ValidationError(f"文件「{f.name}」超过{limit // (1024 * 1024)}MB。")
        return files  # UploadField has checked what each file is

    def clean(self):
        data = super().clean()
        if data.get("nature") == Nature.ACCUSATION and not data.get("complained"):
            self.add_error("complained", "检举控告请填写被反映的单位或人员。")
        return data


class TrackForm(forms.Form):
    code = forms.CharField(label="查询码", max_length=20)
    phone_tail = forms.RegexField(
        label="手机号码后4位",
        regex=r"^\d{4}$",
        error_messages={"invalid": "请填写登记时手机号码的后4位数字。"},
    )

    def clean_code(self):
        code = normalize_tracking_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError("查询码不正确，请检查是否输错（字母不区分大小写）。")
        return code


class RateForm(forms.Form):
    rating = forms.ChoiceField(label="您对处理意见的评价", choices=Rating.choices, widget=forms.RadioSelect)


class WithdrawForm(forms.Form):
    note = forms.CharField(label="撤回原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
