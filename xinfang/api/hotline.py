"""The 12345 hotline, both ways (the contract: docs/hotline-12345.md).

In: the hotline sends a 工单 (``POST /api/v1/hotline/orders``, an integration token with the intake
scope). It becomes a matter of channel 12345热线 through `register_matter`, with the order's number
as the upper reference and its deadline as the date the level above requires (so the earlier of that
and this level's own period governs). The same number sent again returns the same matter.

Back: every public event of such a matter (its status changes, the reply, the callback result — the
petitioner's 评价) becomes one `HotlineMessage`, found by `collect` from the matter's history (the
history is the outbox: the bulk path and the ORM path write the same events). `deliver_due` posts
each to ``XINFANG_HOTLINE_WEBHOOK_URL`` signed with HMAC-SHA256 (``XINFANG_HOTLINE_SECRET``), in
order per 工单, retrying with exponential back-off; after ``XINFANG_HOTLINE_MAX_ATTEMPTS`` failures
a message is dead and waits, with the later messages of its 工单, until a person sends it again
(`replay`, from the staff page /integrations/12345/).
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as FormError
from django.db import transaction
from django.utils import timezone
from ninja import Router, Schema
from ninja import Status as Reply
from ninja.errors import HttpError
from pydantic import BaseModel, Field

from xinfang.core import clock
from xinfang.petitions.choices import Channel, Nature, Rating, ReplyOutcome, RequestType, Status
from xinfang.petitions.forms import clean_phone
from xinfang.petitions.models import Category, MatterEvent
from xinfang.petitions.services import TransitionError, register_matter
from xinfang.petitions.workflow import WORKFLOW

from .models import HotlineMessage, HotlineOrder, Scope
from .reading import IsoDateTime

log = logging.getLogger("xinfang.hotline")
router = Router(tags=["12345热线"])
SIGNATURE = "X-Xinfang-Signature"
TIMESTAMP = "X-Xinfang-Timestamp"
EVENT = "X-Xinfang-Event"
FIRST_DELAY = 60  # seconds before the first retry; doubled each time
LONGEST_DELAY = 6 * 3600
SEND_TIMEOUT = 10
REQUEST_TYPES = {label: value for value, label in RequestType.choices}


# ---------------------------------------------------------------- signing


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<body>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, given: str, *, tolerance=300, now=None) -> bool:
    """Whether a signature is right and its timestamp within `tolerance` seconds of now."""
    try:
        age = abs((now or time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= tolerance and hmac.compare_digest(signature(secret, timestamp, body), given or "")


# ---------------------------------------------------------------- in: a 工单


# Plain pydantic models, not the API schema base: that base would read a list or a number as an
# object with every field left out.
class Caller(BaseModel):
    name: str = Field("", max_length=20, description="来电人姓名")
    phone: str = Field("", max_length=20, description="来电号码")


class Place(BaseModel):
    address: str = Field("", max_length=200, description="事发地址")
    division_code: str = Field("", max_length=12, description="行政区划代码（可选）")


class OrderIn(Schema):
    number: str = Field(
        ..., min_length=1, max_length=40, pattern=r"^[0-9A-Za-z\-_]+$", description="工单编号"
    )
    received_at: IsoDateTime = Field(..., description="热线受理时间")
    caller: Caller = Caller()
    place: Place = Place()
    title: str = Field("", max_length=200)
    content: str = Field(..., min_length=1, max_length=10000, description="来电内容")
    category: str = Field("", max_length=100, description="热线的分类（原文）")
    request_type: str = Field("", max_length=10, description="咨询、求助、投诉、举报或建议")
    deadline: IsoDateTime | None = Field(None, description="热线要求的办理时限")


class OrderOut(Schema):
    number: str
    matter_code: str
    status: str
    duplicate: bool


def digest(payload: OrderIn) -> str:
    text = json.dumps(payload.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class Problem(Schema):
    detail: str


class Problems(Schema):
    detail: str
    errors: dict[str, list[str]]


INVALID = "提交的内容有误，请按 errors 修改后重试。"


@router.post(
    "/orders",
    response={
        200: OrderOut,
        201: OrderOut,
        400: Problem,
        401: Problem,
        403: Problem,
        409: Problem,
        422: Problems,
        429: Problem,
    },
    summary="接收12345工单（同一编号重复发送返回同一事项）",
)
def take_order(request, payload: OrderIn):
    if Scope.INTAKE not in request.auth.scopes:
        raise HttpError(403, f"该令牌没有「{Scope.INTAKE.label}」权限。")
    # Numbers are the hotline's own: unique for the unit that takes them (its service account's).
    known = (
        HotlineOrder.objects.select_related("matter")
        .filter(unit=request.user.unit, number=payload.number)
        .first()
    )
    if known is not None:
        if known.digest != digest(payload):
            raise HttpError(
                409, f"工单编号{payload.number}已经接收过，内容与这次不同；更正请使用新的工单编号。"
            )
        return Reply(200, answer(known, duplicate=True))
    try:
        with transaction.atomic():
            order = register_order(request.user, payload)
    except Unusable as exc:
        return Reply(422, {"detail": INVALID, "errors": exc.errors})
    except TransitionError as exc:
        raise HttpError(403, str(exc)) from exc
    return Reply(201, answer(order, duplicate=False))


class Unusable(Exception):
    """A 工单 whose fields are well formed but cannot be used: {field: [messages]}."""

    def __init__(self, field, message):
        self.errors = {field: [message]}


def answer(order, *, duplicate) -> dict:
    return {
        "number": order.number,
        "matter_code": order.matter.code,
        "status": order.matter.status,
        "duplicate": duplicate,
    }


def register_order(user, payload: OrderIn) -> HotlineOrder:
    category = hotline_category(payload.category)
    try:
        phone = clean_phone(payload.caller.phone)
    except FormError as exc:
        raise Unusable("caller.phone", "；".join(exc.messages)) from exc
    name = payload.caller.name.strip()
    people = [{"name": name, "id_number": "", "phone": phone, "address": ""}] if name else []
    accusation = category.top.name == "纪检监察"
    lines = [payload.content.strip()]
    if payload.place.address:
        lines.append(f"事发地址：{payload.place.address}")
    if payload.category:
        lines.append(f"热线分类：{payload.category}")
    fields = {
        "channel": Channel.HOTLINE_12345,
        "received_at": payload.received_at,
        "title": (payload.title or payload.content.strip().splitlines()[0])[:60],
        "content": "\n".join(lines),
        "nature": Nature.ACCUSATION if accusation else Nature.APPEAL,
        "request_type": REQUEST_TYPES.get(payload.request_type, RequestType.HELP),
        "division": place_of(user, payload.place),
        "category": category,
        "anonymous": not people,
        "upper_reference": payload.number,
        "upper_due_date": timezone.localdate(payload.deadline) if payload.deadline else None,
    }
    matter = register_matter(user, fields=fields, petitioners=people, data={"hotline": payload.number})
    return HotlineOrder.objects.create(
        number=payload.number,
        unit=user.unit,
        matter=matter,
        category=payload.category,
        deadline=payload.deadline,
        digest=digest(payload),
    )


def hotline_category(text: str) -> Category:
    """The second-level category named by a part of the hotline's category (the last part first),
    else 其他."""
    parts = [p.strip() for p in text.replace("＞", "/").replace(">", "/").replace("-", "/").split("/")]
    leaves = Category.objects.filter(active=True, parent__isnull=False).select_related("parent")
    by_name = {c.name: c for c in leaves}
    for part in reversed(parts):
        if part in by_name:
            return by_name[part]
    return leaves.filter(name="其他", parent__name="其他").first() or leaves.first()


def place_of(user, place: Place):
    from xinfang.api.api import find_division
    from xinfang.assist.places import locate

    if place.division_code:
        found = find_division(place.division_code)
        if found is None:
            raise Unusable("place.division_code", f"行政区划代码「{place.division_code}」不存在。")
        return found
    if place.address:
        match, divisions = locate("", place.address)
        if match.code in divisions:
            return divisions[match.code]
    found = user.unit.divisions.order_by("level").first()
    if found is None:
        raise Unusable("place", "无法确定事发地点：请提供 place.division_code 或可识别的 place.address。")
    return found


# ---------------------------------------------------------------- back: 办理结果


def kind_of(event) -> str:
    if event.action == "approve_reply":
        return HotlineMessage.Kind.REPLY
    if event.action == "rate":
        return HotlineMessage.Kind.CALLBACK
    return HotlineMessage.Kind.STATUS


def payload_of(order, event) -> dict:
    matter = order.matter
    data = event.data or {}
    body = {
        "number": order.number,
        "matter_code": matter.code,
        "kind": kind_of(event),
        "at": timezone.localtime(event.at).isoformat(timespec="seconds"),
        "action": event.action,
        "action_label": WORKFLOW.label_of(event.action),
        "status": event.to_status,
        "status_label": Status(event.to_status).label if event.to_status else "",
        "unit": str(event.actor_unit or matter.holder_unit),
        "note": event.note,
    }
    if event.action == "approve_reply":
        outcome = data.get("outcome") or matter.reply_outcome
        body["reply"] = {
            "outcome": outcome,
            "outcome_label": ReplyOutcome(outcome).label,
            "text": data.get("text") or matter.reply_text,
            "basis": data.get("basis") or matter.reply_basis,
            "delivered_on": data.get("delivered_on"),
        }
    if event.action == "rate":
        rating = data.get("rating") or matter.rating
        body["callback"] = {"rating": rating, "rating_label": Rating(rating).label if rating else ""}
    return body


def collect(now=None) -> int:
    """Messages for the public events of 12345 matters that have none yet; returns how many."""
    now = now or clock.now()
    events = (
        MatterEvent.objects.filter(
            matter__hotline_order__isnull=False, public=True, hotline_message__isnull=True
        )
        .select_related("matter__hotline_order", "matter__holder_unit", "actor_unit")
        .order_by("id")
    )
    made = 0
    for event in events:
        order = event.matter.hotline_order
        order.matter = event.matter
        HotlineMessage.objects.create(
            order=order,
            event=event,
            kind=kind_of(event),
            payload=payload_of(order, event),
            next_attempt_at=now,
        )
        made += 1
    return made


def deliver_due(now=None) -> dict:
    """Send every message that is due, oldest first and in order per 工单."""
    now = now or clock.now()
    url, secret = settings.XINFANG_HOTLINE_WEBHOOK_URL, settings.XINFANG_HOTLINE_SECRET
    counts = {"sent": 0, "failed": 0, "dead": 0, "waiting": 0}
    if not url:
        return counts
    blocked = set(
        HotlineMessage.objects.exclude(state=HotlineMessage.State.SENT)
        .filter(next_attempt_at__gt=now)
        .values_list("order_id", flat=True)
    ) | set(HotlineMessage.objects.filter(state=HotlineMessage.State.DEAD).values_list("order_id", flat=True))
    due = HotlineMessage.objects.filter(
        state=HotlineMessage.State.PENDING, next_attempt_at__lte=now
    ).order_by("id")
    for message in due:
        if message.order_id in blocked:
            counts["waiting"] += 1
            continue
        error = send(url, secret, message)
        message.attempts += 1
        if error is None:
            message.state, message.sent_at, message.last_error = HotlineMessage.State.SENT, now, ""
            counts["sent"] += 1
        else:
            message.last_error = error[:2000]
            blocked.add(message.order_id)  # the later messages of this 工单 wait for it
            if message.attempts >= settings.XINFANG_HOTLINE_MAX_ATTEMPTS:
                message.state = HotlineMessage.State.DEAD
                counts["dead"] += 1
                log.warning("12345回传消息 %s 多次发送失败，已转入待人工处理", message.pk)
            else:
                delay = min(FIRST_DELAY * 2 ** (message.attempts - 1), LONGEST_DELAY)
                message.next_attempt_at = now + timedelta(seconds=delay)
                counts["failed"] += 1
        message.save(update_fields=["state", "attempts", "sent_at", "last_error", "next_attempt_at"])
    return counts


def send(url: str, secret: str, message) -> str | None:
    """POST one message; None when the hotline took it (2xx), else what went wrong (in Chinese)."""
    body = json.dumps({"message_id": message.pk, **message.payload}, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        EVENT: str(message.pk),
        TIMESTAMP: stamp,
        SIGNATURE: signature(secret, stamp, body),
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:  # noqa: S310
            return None if 200 <= response.status < 300 else f"对方返回 HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"对方返回 HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"无法连接：{getattr(exc, 'reason', exc)}"


def replay(messages, user, now=None) -> int:
    """Send dead messages again from the start (a person decided to): returns how many."""
    now = now or clock.now()
    return HotlineMessage.objects.filter(
        pk__in=[m.pk for m in messages], state=HotlineMessage.State.DEAD
    ).update(
        state=HotlineMessage.State.PENDING,
        attempts=0,
        next_attempt_at=now,
        replayed_by=user,
        replayed_at=now,
    )
