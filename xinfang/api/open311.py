"""Open311 GeoReport v2 (/open311/v2/), in JSON and XML: discovery, services and their
definitions, filing a request, the request list and one request, and tokens — so that existing
civic apps (FixMyStreet and the like) can file and track.

- Services are the second-level content categories; a service's definition lists its
  `ServiceAttribute` questions, answered as ``attribute[code]`` when filing.
- Filing needs an ``api_key`` (an integration token with the ``intake`` scope, sent in the form).
  The place is found from ``lat``/``long`` (the division with the nearest centre), ``address_id``
  (a division code), ``address_string`` (the place index of the assist app) or ``jurisdiction_id``
  (a division code), in that order, within ``jurisdiction_id`` when it is given.
- Reads with an ``api_key`` (the ``read`` scope) see what its account sees (``visible_to``), in
  full. Reads without one see only what the petitioner's portal shows of a matter to anyone
  holding its number — status, service, agency, dates — by number only (the 查询码 is the number;
  a list of numbers nobody gave is never shown), and never a 检举控告.
- Every call is counted by the API's limiter (xinfang/api/auth.py): keyed calls per token, shared
  with /api/v1/; calls without a key per client address (``XINFANG_OPEN311_PUBLIC_RATE``).
- Errors are the specification's: ``[{"code": 400, "description": "…"}]`` or
  ``<errors><error><code>…</code><description>…</description></error></errors>``.
"""

import json
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import ValidationError as FormError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from xinfang.audit.api import client_ip
from xinfang.core import clock, ratelimit
from xinfang.org.models import Division
from xinfang.petitions.choices import TERMINAL_STATUSES, Channel, Nature, RequestType, Status
from xinfang.petitions.forms import clean_phone
from xinfang.petitions.models import Category, Matter, MatterEvent, normalize_tracking_code
from xinfang.petitions.promises import next_step
from xinfang.petitions.services import TransitionError, register_matter

from .api import find_division
from .auth import Throttled, check_token
from .models import ApiIntake, Scope, ServiceAttribute

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-07T00:00:00+08:00"  # the last change of this interface
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
CLOSED = TERMINAL_STATUSES | {Status.REPLIED}
DEFAULT_SPAN = timedelta(days=90)
MAX_LISTED = 1000
MAX_IDS = 100
TOKEN_PREFIX = "open311:"
DESCRIPTION_MAX = 10000

open311 = NinjaAPI(
    title="信访通 Open311 GeoReport v2",
    version="v2",
    description="Open311 GeoReport v2 兼容接口（JSON 与 XML）：发现、服务列表与服务定义、提交诉求、"
    "诉求列表与状态、令牌查询。",
    urls_namespace="open311",
)


# ---------------------------------------------------------------- answers in either format


def fail(status, description):
    raise HttpError(status, description)


def format_of(request) -> str:
    return "xml" if request.path.rstrip("/").endswith(".xml") else "json"


def reply(request, root: str, item: str | None, data, status=200) -> HttpResponse:
    """`data` (a list of dicts under `root`/`item`, or one dict as `root`) in the format the path asks."""
    fmt = format_of(request)
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, default=_json_value)
    else:
        top = ElementTree.Element(root)
        for row in data if item else [data]:
            _xml_fill(ElementTree.SubElement(top, item) if item else top, row)
        body = '<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(top, encoding="unicode")
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def _json_value(value):
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


XML_ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _xml_fill(element, row: dict):
    for key, value in row.items():
        child = ElementTree.SubElement(element, key)
        if isinstance(value, list):
            for entry in value:
                sub = ElementTree.SubElement(child, XML_ITEMS.get(key, "item"))
                if isinstance(entry, dict):
                    _xml_fill(sub, entry)
                else:
                    sub.text = _xml_text(entry)
        elif isinstance(value, dict):
            _xml_fill(child, value)
        else:
            child.text = _xml_text(value)


def _xml_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return str(value)


def w3c(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def error_reply(request, status, description, **headers):
    response = reply(request, "errors", "error", [{"code": status, "description": description}], status)
    for name, value in headers.items():
        response[name] = value
    return response


@open311.exception_handler(HttpError)
def open311_error(request, exc):
    return error_reply(request, exc.status_code, str(exc))


@open311.exception_handler(AuthenticationError)
def open311_unauthenticated(request, exc):
    return error_reply(request, 401, "缺少 api_key，或 api_key 无效、已过期、已吊销。")


@open311.exception_handler(Throttled)
def open311_throttled(request, exc):
    return error_reply(request, 429, exc.message, **{"Retry-After": str(exc.retry_after)})


@open311.exception_handler(ValidationError)
def open311_invalid(request, exc):
    fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors})
    return error_reply(request, 400, f"参数有误：{'、'.join(fields)}")


def check_format(fmt: str):
    if fmt not in FORMATS:
        fail(404, "只支持 .json 和 .xml 两种格式。")


# ---------------------------------------------------------------- who calls


def keyed(request, key: str | None):
    """The token of a call that sends an api_key (counted per token), 401 for a wrong one."""
    token = check_token(request, key)
    if token is None:
        raise AuthenticationError()
    return token


def caller(request, key: str | None):
    """The token when the call sends an api_key, else None for a public call (counted per
    address)."""
    if key:
        return keyed(request, key)
    address = ratelimit.address(client_ip(request))
    calls = ratelimit.hit(f"open311-public:{address}", settings.XINFANG_OPEN311_PUBLIC_RATE)
    if not calls.allowed:
        raise Throttled(calls.retry_after)
    return None


def require_scope(token, scope, refusal):
    if scope not in token.scopes:
        fail(403, refusal)


# ---------------------------------------------------------------- discovery and services


@open311.get("/discovery.{fmt}", url_name="discovery", summary="发现：接口地址、版本和格式")
def discovery(request, fmt: str):
    check_format(fmt)
    caller(request, None)
    root = request.build_absolute_uri("/open311/v2/")
    return reply(
        request,
        "discovery",
        None,
        {
            "changeset": CHANGESET,
            "contact": settings.XINFANG_OPEN311_CONTACT,
            "key_service": "api_key 是信访通的接口令牌：请向本地信访部门申请，由系统管理员用 xinfang tokens 创建。",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": root,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


def _services():
    return Category.objects.filter(active=True, parent__isnull=False).select_related("parent")


@open311.get("/services.{fmt}", url_name="services", summary="服务（二级内容分类）列表")
def services(request, fmt: str, jurisdiction_id: str = ""):
    check_format(fmt)
    caller(request, request.GET.get("api_key"))
    with_questions = set(ServiceAttribute.objects.values_list("category_id", flat=True))
    rows = [
        {
            "service_code": str(c.pk),
            "service_name": c.name,
            "description": f"{c.parent.name} / {c.name}",
            "metadata": c.pk in with_questions,
            "type": "realtime",
            "keywords": "",
            "group": c.parent.name,
        }
        for c in _services().order_by("pk")
    ]
    return reply(request, "services", "service", rows)


def _category(code: str, status: int) -> Category:
    """The service of a code, or `status` (404 for a path, 400 for a form)."""
    text = (code or "").strip()
    found = _services().filter(pk=int(text)).first() if text.isdigit() and len(text) < 10 else None
    if found is None:
        fail(status, f"service_code「{text[:20]}」不存在，请先查询 services.json。")
    return found


@open311.get("/services/{service_code}.{fmt}", url_name="service_definition", summary="服务定义（属性）")
def service_definition(request, service_code: str, fmt: str):
    check_format(fmt)
    caller(request, request.GET.get("api_key"))
    category = _category(service_code, 404)
    attributes = [
        {
            "variable": True,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description,
            "order": a.order,
            "description": a.description,
            "values": [{"key": str(v["key"]), "name": str(v["name"])} for v in a.values],
        }
        for a in category.open311_attributes.all()
    ]
    return reply(
        request, "service_definition", None, {"service_code": str(category.pk), "attributes": attributes}
    )


# ---------------------------------------------------------------- filing


@open311.post(
    "/requests.{fmt}", url_name="create_request", summary="提交诉求（表单：api_key、service_code、位置…）"
)
def create_request(request, fmt: str):
    check_format(fmt)
    data = request.POST
    token = keyed(request, data.get("api_key"))
    require_scope(token, Scope.INTAKE, "该 api_key 没有登记新事项的权限。")
    category = _category(data.get("service_code", ""), 400)
    answers, answer_lines = _answers(category, data)
    division = locate(data)
    description = (data.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        fail(400, f"description 不能超过{DESCRIPTION_MAX}字。")
    try:
        phone = clean_phone((data.get("phone") or "")[:30])
    except FormError as exc:
        fail(400, "；".join(exc.messages))
    name = f"{(data.get('last_name') or '')[:20]}{(data.get('first_name') or '')[:20]}".strip()
    people = [{"name": name, "id_number": "", "phone": phone, "address": ""}] if name else []
    accusation = category.top.name == "纪检监察"
    content = "\n\n".join(
        part
        for part in [
            description or f"（未填写描述，服务：{category}）",
            f"地点：{data['address_string'][:200]}" if data.get("address_string") else "",
            "\n".join(answer_lines),
            f"图片：{data['media_url'][:500]}" if data.get("media_url") else "",
        ]
        if part
    )
    fields = {
        "channel": Channel.ONLINE,
        "received_at": clock.now(),
        "title": (description.splitlines()[0] if description else category.name)[:60],
        "content": content,
        # A report about officials (纪检监察) is a 检举控告 whatever the client calls it: it goes to
        # screening before anyone else sees it.
        "nature": Nature.ACCUSATION if accusation else Nature.APPEAL,
        "request_type": RequestType.REPORT if accusation else RequestType.HELP,
        "division": division,
        "category": category,
        "anonymous": not people,
    }
    where = {k: data[k][:40] for k in ("lat", "long", "address_id") if data.get(k)}
    number = secrets.token_urlsafe(18)
    try:
        with transaction.atomic():
            matter = register_matter(
                request.user,
                fields=fields,
                petitioners=people,
                data={"open311": {"attributes": answers, **where}},
            )
            ApiIntake.objects.create(user=request.user, client_key=TOKEN_PREFIX + number, matter=matter)
    except TransitionError as exc:
        fail(403, str(exc))
    notice = f"已登记，查询码 {matter.display_code}。{next_step(matter)}。"
    created = {
        "service_request_id": matter.code,
        "service_notice": notice,
        "account_id": None,
        "token": number,
    }
    return reply(request, "service_requests", "request", [created], status=201)


def _answers(category, data) -> tuple[dict, list[str]]:
    """The answers to the service's questions (``attribute[code]``, ``attribute[code][]`` for a
    multiple choice): {code: value(s)} to keep, and lines for the matter's content. 400 for a
    missing required answer, an unknown question or a value of the wrong kind."""
    questions = {a.code: a for a in category.open311_attributes.all()}
    given = {}
    for key in data:
        if key.startswith("attribute[") and key.endswith("]"):
            code = key[len("attribute[") :].removesuffix("[]").rstrip("]")
            values = [v.strip() for v in data.getlist(key) if v.strip()]
            if code not in questions:
                fail(
                    400,
                    f"服务「{category.name}」没有属性「{code[:40]}」，请查询 services/{category.pk}.json。",
                )
            if values:
                given.setdefault(code, []).extend(values)
    kept, lines = {}, []
    for code, question in questions.items():
        values = given.get(code, [])
        if not values:
            if question.required:
                fail(400, f"请填写属性 attribute[{code}]（{question.description}）。")
            continue
        kept[code], shown = _checked(question, values)
        lines.append(f"{question.description}：{shown}")
    return kept, lines


def _checked(question, values):
    T = ServiceAttribute.DataType
    label = f"attribute[{question.code}]"
    if question.datatype != T.MULTI and len(values) > 1:
        fail(400, f"{label}只能填写一个值。")
    value = values[0][:2000]
    if question.datatype in {T.SINGLE, T.MULTI}:
        names = {str(v["key"]): str(v["name"]) for v in question.values}
        unknown = [v for v in values if v not in names]
        if unknown:
            fail(400, f"{label}的取值「{unknown[0][:40]}」不在选项中（{'、'.join(names)}）。")
        if question.datatype == T.MULTI:
            return values, "、".join(names[v] for v in values)
        return value, names[value]
    if question.datatype == T.NUMBER:
        try:
            Decimal(value)
        except InvalidOperation:
            fail(400, f"{label}应为数字。")
    if question.datatype == T.DATETIME:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            fail(400, f"{label}应为日期时间，如 2026-12-01T08:30:00+08:00。")
    return value, value


def locate(data) -> Division:
    """The division a request is about (see the module's note), or 400."""
    jurisdiction = None
    if data.get("jurisdiction_id"):
        jurisdiction = find_division(data["jurisdiction_id"][:20])
        if jurisdiction is None:
            fail(400, f"jurisdiction_id「{data['jurisdiction_id'][:20]}」不是已知的行政区划代码。")

    def inside(division):
        return division is not None and (jurisdiction is None or division.path.startswith(jurisdiction.path))

    if data.get("lat") or data.get("long"):
        try:
            lat, lng = float(data.get("lat", "")), float(data.get("long", ""))
        except ValueError:
            fail(400, "lat、long 应为 WGS 84 坐标（十进制度数），两者都要填写。")
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            fail(400, "lat、long 超出坐标范围。")
        nearest = Division.nearest(lat, lng, within=jurisdiction)
        if nearest is not None:
            return nearest
    if data.get("address_id"):
        found = find_division(data["address_id"][:20])
        if not inside(found):
            fail(400, f"address_id「{data['address_id'][:20]}」不是本辖区已知的行政区划代码。")
        return found
    if data.get("address_string"):
        from xinfang.assist.places import locate as locate_place

        match, divisions = locate_place("", data["address_string"][:200])
        found = divisions.get(match.code) if match.code else None
        if inside(found):
            return found
    if jurisdiction is not None:
        return jurisdiction
    fail(
        400,
        "无法确定诉求发生的地点：请提供 lat 和 long（需管理员为行政区划设置中心点）、address_id、"
        "address_string 或 jurisdiction_id 中的一项。",
    )


# ---------------------------------------------------------------- reading


def status_of(matter) -> str:
    return "closed" if matter.status in CLOSED else "open"


def expected(matter):
    if not matter.due_date or matter.status in CLOSED:
        return None
    return clock.local_datetime(matter.due_date, time(23, 59, 59))


def full_view(m) -> dict:
    """What an api_key with the read scope sees of a matter in its scope."""
    division = m.division
    return {
        "service_request_id": m.code,
        "status": status_of(m),
        "status_notes": m.get_status_display(),
        "service_name": m.category.name,
        "service_code": str(m.category_id),
        "description": m.content,
        "agency_responsible": (m.handling_unit or m.holder_unit).name,
        "service_notice": "",
        "requested_datetime": m.received_at,
        "updated_datetime": m.last_event_at,
        "expected_datetime": expected(m),
        "address": division.full_name(),
        "address_id": division.code,
        "zipcode": "",
        "lat": division.latitude,
        "long": division.longitude,
        "media_url": "",
    }


def public_view(m) -> dict:
    """What anyone holding the number sees: no description, place or person."""
    return {
        "service_request_id": m.code,
        "status": status_of(m),
        "status_notes": m.get_status_display(),
        "service_name": m.category.name,
        "service_code": str(m.category_id),
        "agency_responsible": (m.handling_unit or m.holder_unit).name,
        "requested_datetime": m.received_at,
        "updated_datetime": m.last_event_at,
        "expected_datetime": expected(m),
    }


def _matters(token):
    """The matters a call may read, with the time of the last event it may see (`last_event_at`)."""
    events = MatterEvent.objects.filter(matter=OuterRef("pk")).order_by("-at").values("at")
    if token is not None:
        require_scope(token, Scope.READ, "该 api_key 没有读取权限。")
        rows = Matter.objects.visible_to(token.user)
    else:  # what the portal shows: never an accusation, and only public events
        rows, events = Matter.objects.exclude(nature=Nature.ACCUSATION), events.filter(public=True)
    rows = rows.annotate(last_event_at=Subquery(events[:1]))
    return rows.select_related("category", "holder_unit", "handling_unit", "division", "division__parent")


def _codes(text: str) -> list[str]:
    codes = [c.strip() for c in (text or "").split(",") if c.strip()]
    if len(codes) > MAX_IDS:
        fail(400, f"service_request_id 一次最多{MAX_IDS}个。")
    return [normalize_tracking_code(c) or c.upper()[:14] for c in codes]


@open311.get("/requests/{service_request_id}.{fmt}", url_name="request_status", summary="查询一件诉求")
def request_status(request, service_request_id: str, fmt: str):
    check_format(fmt)
    token = caller(request, request.GET.get("api_key"))
    code = normalize_tracking_code(service_request_id)
    matter = _matters(token).filter(code=code).first() if code else None
    if matter is None:
        fail(404, "没有找到该诉求" + ("，或不在该 api_key 的工作范围内。" if token else "。"))
    view = full_view if token else public_view
    return reply(request, "service_requests", "request", [view(matter)])


@open311.get("/requests.{fmt}", url_name="list_requests", summary="诉求列表（按编号、服务、日期、状态筛选）")
def list_requests(request, fmt: str):
    check_format(fmt)
    params = request.GET
    token = caller(request, params.get("api_key"))
    rows = _matters(token)
    if params.get("service_request_id"):
        rows = rows.filter(code__in=_codes(params["service_request_id"]))
    elif token is None:
        fail(400, "不带 api_key 时只能按编号查询：请用 service_request_id 指定诉求编号（多个用逗号分隔）。")
    else:
        rows = _filtered(rows, params)
    view = full_view if token else public_view
    found = [view(m) for m in rows.order_by("-received_at", "-id")[:MAX_LISTED]]
    return reply(request, "service_requests", "request", found)


def _filtered(rows, params):
    if params.get("service_code"):
        codes = [c.strip() for c in params["service_code"].split(",") if c.strip()]
        if not all(c.isdigit() and len(c) < 10 for c in codes):
            fail(400, "service_code 应为服务代码，多个用逗号分隔。")
        rows = rows.filter(category_id__in=[int(c) for c in codes])
    if params.get("status"):
        wanted = {s.strip().lower() for s in params["status"].split(",") if s.strip()}
        if not wanted <= {"open", "closed"}:
            fail(400, "status 只能是 open 或 closed（多个用逗号分隔）。")
        if wanted == {"open"}:
            rows = rows.exclude(status__in=CLOSED)
        elif wanted == {"closed"}:
            rows = rows.filter(status__in=CLOSED)
    start, end = _period(params.get("start_date"), params.get("end_date"))
    return rows.filter(received_at__gte=start, received_at__lte=end)


def _period(start_text, end_text) -> tuple[datetime, datetime]:
    """start_date and end_date (W3C date-times), by default the last 90 days; at most 90 days."""
    start, end = _moment(start_text, "start_date"), _moment(end_text, "end_date")
    if end is None:
        end = start + DEFAULT_SPAN if start else clock.now()
    if start is None:
        start = end - DEFAULT_SPAN
    if end < start:
        fail(400, "end_date 不能早于 start_date。")
    if end - start > DEFAULT_SPAN:
        fail(400, "start_date 到 end_date 不能超过90天。")
    return start, end


def _moment(text, name):
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip()[:40])
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(text.strip()[:10]), time())
        except ValueError:
            fail(400, f"{name} 应为 W3C 日期时间，如 2026-12-01T00:00:00+08:00。")
    return value if value.tzinfo else clock.local_datetime(value.date(), value.time())


@open311.get("/tokens/{token}.{fmt}", url_name="token", summary="按令牌查询诉求编号")
def token_status(request, token: str, fmt: str):
    check_format(fmt)
    caller(request, request.GET.get("api_key"))
    intake = ApiIntake.objects.filter(client_key=TOKEN_PREFIX + token[:40]).select_related("matter").first()
    if intake is None:
        fail(404, "没有找到该令牌。")
    return reply(
        request,
        "service_requests",
        "request",
        [{"service_request_id": intake.matter.code, "token": token}],
    )
