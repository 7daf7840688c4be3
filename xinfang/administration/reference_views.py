"""Units, users, content categories and divisions: lists and add/edit forms, every change audited.

Nothing here deletes: a unit, user or category that has matters behind it is retired (启用 / 账号可用
unticked), which keeps the history readable.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from xinfang.core.params import page_of, whole_number
from xinfang.org.access import admin_required
from xinfang.org.models import Division, Role, Unit, User
from xinfang.petitions.models import Category

from . import changes
from .forms import (
    CategoryForm,
    DivisionForm,
    PasswordResetForm,
    UnitForm,
    UserAddForm,
    UserEditForm,
    posted,
)


def _save(request, form, obj_before, initial=None, *, message_added=""):
    """Save a valid model form and record the change in the audit log, in one transaction."""
    with transaction.atomic():
        saved = form.save()
        if obj_before is None:
            changes.record(request, changes.ADDED, saved, message_added or f"新增{saved._meta.verbose_name}")
        else:
            changes.record(request, changes.CHANGED, saved, changes.describe_form_changes(form, initial))
    return saved


def _initial(obj, names) -> dict:
    return {n: getattr(obj, n) for n in names} if obj is not None else {}


# 单位


@admin_required
def unit_list(request):
    q = (request.GET.get("q") or "").strip()[:50]
    units = Unit.objects.select_related("parent").annotate(staff=Count("user")).order_by("path")
    if q:
        units = units.filter(Q(name__contains=q) | Q(short_name__contains=q))
    page = page_of(units, request, 100)
    rows = [(u, u.path.count("/") - 2) for u in page]
    return render(
        request,
        "administration/units.html",
        {"page": page, "rows": rows, "q": q, "querystring": urlencode({"q": q})},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def unit_edit(request, pk=None):
    unit = get_object_or_404(Unit, pk=pk) if pk is not None else None
    fields = ["name", "short_name", "kind", "parent", "phone", "active"]
    initial = _initial(unit, fields)
    form = UnitForm(posted(request), instance=unit)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, unit, initial)
        messages.success(request, f"已保存单位「{saved.name}」。")
        return redirect("administration:units")
    return render(request, "administration/form.html", _form_page(form, unit, "单位", "administration:units"))


# 工作人员


@admin_required
def user_list(request):
    q = (request.GET.get("q") or "").strip()[:50]
    role = request.GET.get("role") or ""
    users = User.objects.select_related("unit").order_by("unit__path", "username")
    if q:
        users = users.filter(Q(username__contains=q) | Q(full_name__contains=q) | Q(unit__name__contains=q))
    if role in Role.values:
        users = users.filter(role=role)
    page = page_of(users, request, 100)
    return render(
        request,
        "administration/users.html",
        {
            "page": page,
            "q": q,
            "role": role,
            "roles": Role.choices,
            "querystring": urlencode({"q": q, "role": role}),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk=None):
    account = get_object_or_404(User, pk=pk) if pk is not None else None
    if account is None:
        form = UserAddForm(posted(request))
    else:
        form = UserEditForm(posted(request), instance=account)
    initial = _initial(account, ["full_name", "unit", "role", "phone", "is_active"])
    if request.method == "POST" and form.is_valid():
        if account is not None and account == request.user and not form.cleaned_data["is_active"]:
            form.add_error("is_active", "不能停用自己的账号。")
        elif account is not None and account == request.user and form.cleaned_data["role"] != Role.ADMIN:
            form.add_error("role", "不能取消自己的系统管理员角色。")
        else:
            saved = _save(request, form, account, initial, message_added=f"新增工作人员，角色：{_role(form)}")
            messages.success(request, f"已保存工作人员「{saved.full_name or saved.username}」。")
            return redirect("administration:users")
    context = _form_page(form, account, "工作人员", "administration:users")
    if account is not None:
        context["password_form"] = PasswordResetForm(user=account)
    return render(request, "administration/form.html", context)


def _role(form) -> str:
    return dict(Role.choices).get(form.cleaned_data["role"], "")


@admin_required
@require_http_methods(["POST"])
def user_password(request, pk):
    account = get_object_or_404(User, pk=pk)
    form = PasswordResetForm(request.POST, user=account)
    if form.is_valid():
        with transaction.atomic():
            account.set_password(form.cleaned_data["password1"])
            account.save(update_fields=["password"])
            changes.record(request, changes.CHANGED, account, "重设密码")
        messages.success(
            request, f"已为「{account.full_name or account.username}」重设密码，请当面或电话告知本人。"
        )
        return redirect("administration:user_edit", pk=account.pk)
    context = _form_page(UserEditForm(instance=account), account, "工作人员", "administration:users")
    context["password_form"] = form
    return render(request, "administration/form.html", context)


# 内容分类


@admin_required
def category_list(request):
    firsts = Category.objects.filter(parent__isnull=True).prefetch_related("children")
    return render(request, "administration/categories.html", {"firsts": firsts})


@admin_required
@require_http_methods(["GET", "POST"])
def category_edit(request, pk=None):
    category = get_object_or_404(Category, pk=pk) if pk is not None else None
    initial = _initial(category, ["name", "parent", "order", "active"])
    form = CategoryForm(posted(request), instance=category, initial=_parent_initial(request, category))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, category, initial)
        messages.success(request, f"已保存内容分类「{saved}」。")
        return redirect("administration:categories")
    return render(
        request,
        "administration/form.html",
        _form_page(form, category, "内容分类", "administration:categories"),
    )


def _parent_initial(request, category):
    parent = whole_number(request.GET.get("parent"), minimum=1)
    return {"parent": parent} if category is None and parent else None


# 行政区划


@admin_required
def division_list(request):
    q = (request.GET.get("q") or "").strip()[:50]
    divisions = Division.objects.select_related("parent", "policy_set")
    if q:
        divisions = divisions.filter(Q(name__contains=q) | Q(code__startswith=q))
    page = page_of(divisions, request, 100)
    return render(
        request, "administration/divisions.html", {"page": page, "q": q, "querystring": urlencode({"q": q})}
    )


@admin_required
@require_http_methods(["GET", "POST"])
def division_edit(request, pk=None):
    division = get_object_or_404(Division, pk=pk) if pk is not None else None
    initial = _initial(division, ["name", "level", "policy_set"])
    form = DivisionForm(posted(request), instance=division)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, division, initial)
        messages.success(request, f"已保存行政区划「{saved.name}」（{saved.code}）。")
        return redirect("administration:divisions")
    return render(
        request,
        "administration/form.html",
        _form_page(form, division, "行政区划", "administration:divisions"),
    )


def _form_page(form, obj, noun, back) -> dict:
    title = f"修改{noun}：{obj}" if obj is not None else f"新增{noun}"
    return {"form": form, "obj": obj, "title": title, "noun": noun, "back": back}
