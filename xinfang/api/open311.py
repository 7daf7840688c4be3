"""Open311 GeoReport v2 (/open311/v2/): services, filing a request, and request status, so that
existing civic apps can file and track. Services are the second-level content categories; the
``api_key`` is an integration token with the ``intake`` scope (filing) or ``read`` (status), and the
same write path and scoping as the rest of the API apply. ``jurisdiction_id`` is the division code of
the place the request is about.
"""

from datetime import datetime

from django.core.exceptions import ValidationError as FormError
from django.db import transaction
from ninja import Form, NinjaAPI, Schema
from ninja import Status as Reply
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyQuery

from xinfang.core import clock
from xinfang.petitions.choices import TERMINAL_STATUSES, Channel, Nature, RequestType, Status
from xinfang.petitions.forms import clean_phone
from xinfang.petitions.models import Category, Matter
from xinfang.petitions.promises import next_step
from xinfang.petitions.services import TransitionError, register_matter

from .api import find_division
from .auth import Throttled, check_token
from .models import Scope


class ApiKey(APIKeyQuery):
    """The api_key is a token like the API's, checked and limited by the same xinfang.api.auth."""

    param_name = "api_key"

    def authenticate(self, request, key):
        return check_token(request, key)


class ApiKeyInForm(ApiKey):
    """Open311 sends the key of a POST in the form body."""

    def _get_key(self, request):
        return request.POST.get(self.param_name)


open311 = NinjaAPI(
    title="信访通 Open311 GeoReport v2",
    version="v2",
    description="Open311 GeoReport v2 兼容接口：服务列表、提交诉求、查询办理状态。",
    urls_namespace="open311",
)


class Open311Error(Schema):
    code: int
    description: str


class Service(Schema):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class RequestCreated(Schema):
    service_request_id: str
    service_notice: str
    account_id: str | None = None


class RequestStatus(Schema):
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    requested_datetime: datetime
    updated_datetime: datetime | None
    address: str


def fail(status, description):
    raise HttpError(status, description)


@open311.exception_handler(HttpError)
def open311_error(request, exc):
    return open311.create_response(
        request, [{"code": exc.status_code, "description": str(exc)}], status=exc.status_code
    )


@open311.exception_handler(AuthenticationError)
def open311_unauthenticated(request, exc):
    return open311.create_response(
        request, [{"code": 401, "description": "缺少 api_key，或 api_key 无效、已过期、已吊销。"}], status=401
    )


@open311.exception_handler(Throttled)
def open311_throttled(request, exc):
    response = open311.create_response(request, [{"code": 429, "description": exc.message}], status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@open311.exception_handler(ValidationError)
def open311_invalid(request, exc):
    fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors})
    return open311.create_response(
        request, [{"code": 400, "description": f"参数有误：{'、'.join(fields)}"}], status=400
    )


@open311.get("/services.json", response=list[Service], auth=None, summary="服务（二级内容分类）列表")
def services(request):
    rows = Category.objects.filter(active=True, parent__isnull=False).select_related("parent").order_by("pk")
    return [
        {
            "service_code": str(c.pk),
            "service_name": c.name,
            "description": f"{c.parent.name} / {c.name}",
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": c.parent.name,
        }
        for c in rows
    ]


@open311.post(
    "/requests.json",
    response={
        201: list[RequestCreated],
        400: list[Open311Error],
        401: list[Open311Error],
        403: list[Open311Error],
        429: list[Open311Error],
    },
    auth=ApiKeyInForm(),
    summary="提交诉求",
)
def create_request(
    request,
    jurisdiction_id: str = Form(..., pattern=r"^\d{2,12}$"),
    service_code: int = Form(..., ge=1),
    description: str = Form(..., min_length=1, max_length=10000),
    first_name: str = Form("", max_length=20),
    last_name: str = Form("", max_length=20),
    phone: str = Form("", max_length=20),
    address_string: str = Form("", max_length=200),
):
    if Scope.INTAKE not in request.auth.scopes:
        fail(403, "该 api_key 没有登记新事项的权限。")
    division = find_division(jurisdiction_id)
    category = Category.objects.filter(pk=service_code, parent__isnull=False, active=True).first()
    if division is None:
        fail(400, f"jurisdiction_id「{jurisdiction_id}」不是已知的行政区划代码。")
    if category is None:
        fail(400, f"service_code「{service_code}」不存在，请先查询 services.json。")
    try:
        phone = clean_phone(phone)
    except FormError as exc:
        fail(400, "；".join(exc.messages))
    name = f"{last_name}{first_name}".strip()
    people = [{"name": name, "id_number": "", "phone": phone, "address": address_string}] if name else []
    fields = {
        "channel": Channel.ONLINE,
        "received_at": clock.now(),
        "title": description.strip().splitlines()[0][:60],
        "content": description,
        # A report about officials (纪检监察) is a 检举控告 whatever the client calls it: it goes to
        # screening before anyone else sees it.
        "nature": Nature.ACCUSATION if category.top.name == "纪检监察" else Nature.APPEAL,
        "request_type": RequestType.REPORT if category.top.name == "纪检监察" else RequestType.HELP,
        "division": division,
        "category": category,
        "anonymous": not people,
    }
    try:
        with transaction.atomic():
            matter = register_matter(request.user, fields=fields, petitioners=people)
    except TransitionError as exc:
        fail(403, str(exc))
    notice = f"已登记，查询码 {matter.display_code}。{next_step(matter)}。"
    return Reply(201, [{"service_request_id": matter.code, "service_notice": notice, "account_id": None}])


@open311.get(
    "/requests/{service_request_id}.json",
    response={
        200: list[RequestStatus],
        401: list[Open311Error],
        403: list[Open311Error],
        404: list[Open311Error],
        429: list[Open311Error],
    },
    auth=ApiKey(),
    summary="查询诉求状态",
)
def request_status(request, service_request_id: str):
    if Scope.READ not in request.auth.scopes:
        fail(403, "该 api_key 没有读取权限。")
    matter = (
        Matter.objects.visible_to(request.user)
        .select_related("category", "holder_unit", "division")
        .filter(code=service_request_id.upper()[:12])
        .first()
    )
    if matter is None:
        fail(404, "没有找到该诉求，或不在该 api_key 的工作范围内。")
    last = matter.events.order_by("-at", "-pk").first()
    return [
        {
            "service_request_id": matter.code,
            "status": "closed"
            if matter.status in TERMINAL_STATUSES or matter.status == Status.REPLIED
            else "open",
            "status_notes": matter.get_status_display(),
            "service_name": matter.category.name,
            "service_code": str(matter.category_id),
            "description": matter.content,
            "agency_responsible": matter.holder_unit.name,
            "requested_datetime": matter.received_at,
            "updated_datetime": last.at if last else None,
            "address": matter.division.name,
        }
    ]
