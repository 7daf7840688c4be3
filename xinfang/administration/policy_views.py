"""期限规则集: each set's periods, where it is used, and edits; a set in use cannot be deleted."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from xinfang.deadlines import service
from xinfang.deadlines.engine import Period
from xinfang.deadlines.models import PolicyRule, PolicySet
from xinfang.deadlines.policies import POLICY_SETS, STEPS
from xinfang.org.access import admin_required
from xinfang.org.models import Division

from . import changes
from .forms import PolicyRulesForm, PolicySetForm, posted


def users_of(policy_set: PolicySet) -> dict:
    """Where a set is used: the divisions that name it, and whether it is the system default."""
    return {
        "divisions": list(Division.objects.filter(policy_set=policy_set).order_by("code")),
        "default": policy_set.name == settings.XINFANG_POLICY_SET,
    }


def in_use(policy_set: PolicySet) -> bool:
    use = users_of(policy_set)
    return bool(use["divisions"] or use["default"])


@admin_required
def policy_list(request):
    sets = []
    for ps in PolicySet.objects.all():
        periods = service.policy(ps.name)
        sets.append(
            {
                "set": ps,
                "periods": [(STEPS[s][0], STEPS[s][1], periods[s]) for s in STEPS],
                "builtin": ps.name in POLICY_SETS,
                **users_of(ps),
            }
        )
    return render(request, "administration/policies.html", {"sets": sets})


def _label(days_working) -> str:
    days, working = days_working
    return Period(days, working).label()


@admin_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk=None):
    ps = get_object_or_404(PolicySet, pk=pk) if pk is not None else None
    periods = service.policy(ps.name if ps else "national")
    set_form = PolicySetForm(posted(request), instance=ps, prefix="set")
    if ps is not None:
        set_form.fields["name"].disabled = True
        set_form.fields["name"].help_text = "代码建立后不能修改（区划和系统设置用它指代本规则集）"
    rules_form = PolicyRulesForm(posted(request), periods=periods, prefix="rules")
    if request.method == "POST" and set_form.is_valid() and rules_form.is_valid():
        new = rules_form.periods()
        old = {s: (periods[s].days, periods[s].working) for s in STEPS}
        with transaction.atomic():
            saved = set_form.save()
            for step, (days, working) in new.items():
                PolicyRule.objects.update_or_create(
                    policy_set=saved, step=step, defaults={"days": days, "working": working}
                )
            if ps is None:
                message = "新建规则集：" + "；".join(f"{STEPS[s][0]}{_label(new[s])}" for s in STEPS)
                changes.record(request, changes.ADDED, saved, message)
            else:
                edits = [
                    f"{STEPS[s][0]}：{_label(old[s])} → {_label(new[s])}" for s in STEPS if old[s] != new[s]
                ]
                if "label" in set_form.changed_data:
                    edits.insert(0, f"名称：{ps.label} → {saved.label}")
                changes.record(request, changes.CHANGED, saved, "；".join(edits) or "未修改任何内容")
        messages.success(request, f"已保存期限规则集「{saved.label}」，此后计算的期限按新规则。")
        return redirect("administration:policies")
    return render(
        request,
        "administration/policy_form.html",
        {"ps": ps, "set_form": set_form, "rules_form": rules_form, **(users_of(ps) if ps else {})},
    )


@admin_required
@require_POST
def policy_delete(request, pk):
    ps = get_object_or_404(PolicySet, pk=pk)
    use = users_of(ps)
    if use["divisions"] or use["default"]:
        where = []
        if use["default"]:
            where.append("本系统的默认规则集（部署配置中指定）")
        if use["divisions"]:
            where.append("行政区划" + "、".join(d.name for d in use["divisions"][:10]))
        messages.error(request, f"期限规则集「{ps.label}」正在使用中，不能删除：{'；'.join(where)}。")
        return redirect("administration:policies")
    text = str(ps)
    with transaction.atomic():
        changes.record(request, changes.DELETED, ps, f"删除期限规则集「{text}」")
        ps.delete()
    messages.success(request, f"已删除期限规则集「{text}」。")
    return redirect("administration:policies")
