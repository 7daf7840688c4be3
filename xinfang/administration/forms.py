"""The administrators' forms. Dates are typed as 2027-01-01 or 2027年1月1日; every message is Chinese."""

from django import forms
from django.contrib.auth import password_validation

from xinfang.core import clock
from xinfang.core.params import DateField
from xinfang.deadlines.engine import BUILTIN_LAST_YEAR
from xinfang.deadlines.models import CalendarDay, PolicySet
from xinfang.deadlines.policies import STEPS
from xinfang.org.models import Division, Role, Unit, User
from xinfang.petitions.models import Category

MAX_CSV_BYTES = 64 * 1024


PASSWORD_HELP = "至少10位，含大写字母、小写字母、数字、符号中的至少3类，不能与账号或姓名相近。"


def schedule_years():
    """The years whose schedule may be entered: the ones after the built-in data, up to next year."""
    this_year = clock.today().year
    first = min(this_year, BUILTIN_LAST_YEAR + 1)
    return list(range(first, max(this_year + 1, BUILTIN_LAST_YEAR + 1) + 1))


class ScheduleImportForm(forms.Form):
    """The notice pasted, or a CSV of "日期,类别": read, previewed, then saved with the same text."""

    year = forms.TypedChoiceField(label="年份", coerce=int)
    text = forms.CharField(
        label="国务院办公厅通知全文",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="把通知从标题到落款整段粘贴进来；每个节日一行，如「一、元旦：1月1日（周五）至3日（周日）放假，共3天。」",
    )
    csv_file = forms.FileField(
        label="或上传 CSV 文件",
        required=False,
        help_text="每行一天：日期,类别[,说明]；类别为「休」或「班」。UTF-8 或 GBK 编码，不超过 64 KB。",
    )
    source = forms.CharField(
        label="依据",
        required=False,
        max_length=200,
        help_text="如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）；不填则取通知标题",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = schedule_years() + list(range(BUILTIN_LAST_YEAR - 1, BUILTIN_LAST_YEAR + 1))
        self.fields["year"].choices = [(y, f"{y}年") for y in sorted(set(years))]
        self.fields["year"].initial = clock.today().year + 1

    def clean_csv_file(self):
        upload = self.cleaned_data.get("csv_file")
        if not upload:
            return ""
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("CSV 文件不能超过 64 KB。")
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError("读不出这个文件：请保存为 UTF-8 或 GBK 编码的 CSV 文件。")

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("text") or "").strip() and not data.get("csv_file"):
            raise forms.ValidationError("请粘贴通知全文，或选择一个 CSV 文件。")
        return data


class CalendarDayForm(forms.ModelForm):
    date = DateField(label="日期")
    is_workday = forms.TypedChoiceField(
        label="这一天",
        coerce=lambda v: v == "True",
        choices=[("False", "放假"), ("True", "上班（调休）")],
        widget=forms.RadioSelect,
    )

    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "note"]
        help_texts = {"note": "如：春节、国庆节调休上班、本地节日"}
        error_messages = {"date": {"unique": "这一天已有调整，请在列表中修改它。"}}


class MarkCompleteForm(forms.Form):
    source = forms.CharField(label="依据", required=False, max_length=200)
    confirm = forms.BooleanField(
        label="我已核对：该年全部放假日和调休上班日都已录入",
        error_messages={"required": "请先勾选确认该年的安排已全部录入。"},
    )


class PolicySetForm(forms.ModelForm):
    class Meta:
        model = PolicySet
        fields = ["label", "name"]
        help_texts = {"name": "由小写拼音字母、数字或连字符组成，建立后不能修改；部署配置用它指代本规则集"}
        error_messages = {
            "name": {
                "unique": "已有这个代码的规则集。",
                "invalid": "代码只能由字母、数字、下划线或连字符组成。",
            }
        }


class PolicyRulesForm(forms.Form):
    """One row per step: N days, calendar or working."""

    def __init__(self, *args, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = []
        for step, (label, article) in STEPS.items():
            period = periods[step]
            days = forms.IntegerField(
                label=f"{label}（{article}）",
                min_value=0,
                max_value=365,
                initial=period.days,
                error_messages={
                    "required": "请填写天数。",
                    "invalid": "天数应为整数。",
                    "min_value": "天数不能为负数。",
                    "max_value": "天数不能超过365。",
                },
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            working = forms.TypedChoiceField(
                label="计日方式",
                coerce=lambda v: v == "True",
                choices=[("False", "日"), ("True", "个工作日")],
                initial=str(period.working),
            )
            self.fields[f"{step}_days"] = days
            self.fields[f"{step}_working"] = working
            self.steps.append((step, label, article))

    def rows(self):
        for step, label, article in self.steps:
            yield step, label, article, self[f"{step}_days"], self[f"{step}_working"]

    def periods(self) -> dict[str, tuple[int, bool]]:
        return {
            s: (self.cleaned_data[f"{s}_days"], self.cleaned_data[f"{s}_working"]) for s, _, _ in self.steps
        }


class UnitChoiceField(forms.ModelChoiceField):
    """Units indented by their depth in the tree."""

    def label_from_instance(self, unit):
        depth = unit.path.count("/") - 2
        return "　" * depth + unit.name


def _codes(text: str) -> list[str]:
    return [c for c in text.replace("，", ",").replace("、", ",").replace(",", " ").split() if c]


class UnitForm(forms.ModelForm):
    parent = UnitChoiceField(label="上级单位", queryset=Unit.objects.all(), required=False)
    division_codes = forms.CharField(
        label="管辖区划代码",
        required=False,
        max_length=2000,
        help_text="属地单位填写：一个或多个区划代码，用空格或逗号分隔，如 990101",
    )

    class Meta:
        model = Unit
        fields = ["name", "short_name", "kind", "parent", "division_codes", "categories", "phone", "active"]
        help_texts = {"categories": "职能部门承办的内容分类，可多选"}
        error_messages = {"name": {"unique": "已有同名单位。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["parent"].queryset = Unit.objects.exclude(path__startswith=self.instance.path)
            self.initial["division_codes"] = " ".join(self.instance.divisions.values_list("code", flat=True))
        categories = self.fields["categories"]
        categories.queryset = Category.objects.filter(parent__isnull=False, active=True)
        categories.widget = forms.CheckboxSelectMultiple()
        groups = {}
        for c in categories.queryset.select_related("parent").order_by(
            "parent__order", "parent_id", "order", "id"
        ):
            groups.setdefault(c.parent.name, []).append((c.pk, c.name))
        categories.choices = list(groups.items())
        self.fields["parent"].empty_label = "（无：这是最上级单位）"

    def clean_division_codes(self):
        codes = _codes(self.cleaned_data["division_codes"])
        found = {d.code: d for d in Division.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(f"没有这些区划代码：{'、'.join(unknown)}")
        return [found[c] for c in codes]

    def save(self, commit=True):
        unit = super().save(commit=commit)
        unit.divisions.set(self.cleaned_data["division_codes"])
        return unit


class _UserFields(forms.ModelForm):
    unit = UnitChoiceField(label="所在单位", queryset=Unit.objects.filter(active=True))
    role = forms.ChoiceField(label="角色", choices=[("", "请选择")] + Role.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)


class UserAddForm(_UserFields):
    password1 = forms.CharField(
        label="初始密码", strip=False, widget=forms.PasswordInput, help_text=PASSWORD_HELP
    )
    password2 = forms.CharField(label="再次输入初始密码", strip=False, widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ["username", "full_name", "unit", "role", "phone"]
        help_texts = {"username": "登录用的账号：字母、数字和 @ . + - _"}
        error_messages = {"username": {"unique": "已有这个账号。"}}

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "两次输入的密码不一致。")
        elif p1:
            user = User(username=data.get("username", ""), full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        user.is_staff = user.role == Role.ADMIN
        if commit:
            user.save()
        return user


class UserEditForm(_UserFields):
    class Meta:
        model = User
        fields = ["full_name", "unit", "role", "phone", "is_active"]
        labels = {"is_active": "账号可用（取消勾选即停用，停用后不能登录）"}
        help_texts = {"is_active": "离职或调岗的人员请停用，不要删除：其办理记录仍显示其姓名。"}

    def save(self, commit=True):
        user = super().save(commit=False)
        if "role" in self.changed_data:
            user.is_staff = user.role == Role.ADMIN  # the Django admin follows the role, as for new users
        if commit:
            user.save()
        return user


class PasswordResetForm(forms.Form):
    password1 = forms.CharField(
        label="新密码", strip=False, widget=forms.PasswordInput, help_text=PASSWORD_HELP
    )
    password2 = forms.CharField(label="再次输入新密码", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "两次输入的密码不一致。")
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class CategoryForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        label="上级分类",
        queryset=Category.objects.filter(parent__isnull=True),
        required=False,
        empty_label="（无：这是一级分类）",
    )

    class Meta:
        model = Category
        fields = ["name", "parent", "order", "active"]
        error_messages = {"__all__": {"unique_together": "同一上级分类下已有同名分类。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["parent"].queryset = Category.objects.filter(parent__isnull=True).exclude(
                pk=self.instance.pk
            )
            if self.instance.children.exists():
                self.fields["parent"].disabled = True
                self.fields["parent"].help_text = "该分类下还有二级分类，不能再归到其他分类之下"


class DivisionForm(forms.ModelForm):
    parent_code = forms.CharField(
        label="上级区划代码", required=False, max_length=12, help_text="省级区划不填；如 990100"
    )

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent_code", "policy_set"]
        error_messages = {"code": {"unique": "已有这个区划代码。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The codes of a division and its place in the tree make the paths of everything below it.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "区划代码建立后不能修改"
            if self.instance.parent_id:
                self.initial["parent_code"] = self.instance.parent.code
            if self.instance.children.exists():
                self.fields["parent_code"].disabled = True
                self.fields["parent_code"].help_text = "该区划下还有下级区划，不能改变上级区划"
        self.fields["policy_set"].empty_label = "（沿用上级区划或系统默认）"

    def clean_parent_code(self):
        code = self.cleaned_data["parent_code"].strip()
        if not code:
            return None
        parent = Division.objects.filter(code=code).first()
        if parent is None:
            raise forms.ValidationError(f"没有区划代码为 {code} 的区划。")
        if self.instance.pk and parent.path.startswith(self.instance.path):
            raise forms.ValidationError("上级区划不能是本区划或其下级区划。")
        return parent

    def _post_clean(self):
        self.instance.parent = self.cleaned_data.get("parent_code")
        super()._post_clean()


def posted(request):
    """The submitted data of a POST (even an empty one, which must show the form's errors), else None."""
    return request.POST if request.method == "POST" else None
