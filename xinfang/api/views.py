"""Staff pages of the integrations: the 12345 hotline's messages, and sending the failed ones again."""

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from xinfang.audit import api as audit
from xinfang.org.models import Role
from xinfang.petitions.models import Matter
from xinfang.petitions.views import casework_required

from . import hotline
from .models import HotlineMessage

# Who looks after the hotline's messages: those who dispatch and answer the matters.
HOTLINE_ROLES = {Role.REGISTRAR, Role.DISPATCHER, Role.UNIT_HEAD}
SHOWN = 200


def _messages(user):
    if user.role not in HOTLINE_ROLES:
        raise PermissionDenied("只有登记员、交办员和单位负责人可以处理12345热线回传消息。")
    visible = Matter.objects.visible_to(user).values("pk")
    return HotlineMessage.objects.filter(order__matter__in=visible).select_related("order", "order__matter")


@casework_required
def hotline_messages(request):
    state = request.GET.get("state", HotlineMessage.State.DEAD)
    if state not in HotlineMessage.State.values:
        state = HotlineMessage.State.DEAD
    rows = _messages(request.user)
    states = [
        (value, label, rows.filter(state=value).count()) for value, label in HotlineMessage.State.choices
    ]
    listed = rows.filter(state=state).order_by("-id")[:SHOWN]
    context = {"rows": listed, "state": state, "states": states}
    return render(request, "api/hotline.html", context)


@casework_required
@require_POST
def replay_message(request, pk):
    message = get_object_or_404(_messages(request.user), pk=pk)
    done = hotline.replay([message], request.user)
    audit.record("change", request=request, target=f"hotline:{message.pk}", detail={"replay": done})
    if done:
        flash.success(
            request, f"已重新排队发送工单{message.order.number}的「{message.get_kind_display()}」消息。"
        )
    else:
        flash.info(request, "该消息不在「发送失败」状态，无需重新发送。")
    return redirect("integrations:hotline")


@casework_required
@require_POST
def replay_all(request):
    dead = list(_messages(request.user).filter(state=HotlineMessage.State.DEAD))
    done = hotline.replay(dead, request.user)
    audit.record("change", request=request, target="hotline:all", detail={"replay": done})
    flash.success(request, f"已重新排队发送{done}条消息。")
    return redirect("integrations:hotline")
