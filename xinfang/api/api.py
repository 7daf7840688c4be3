"""The REST API (/api/v1/): reference data, matters (list, read, create, transitions).

Each call authenticates with an integration token (``Authorization: Bearer xft_…``) and then acts as
the token's service account: the same scoping (``Matter.objects.visible_to``), the same forms for
validation and the same write path (``register_matter`` / ``perform``) as the pages. Personal data
is masked unless the account's role may see it in full; full reads are audited.
"""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema
from ninja import Status as Reply
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import field_validator

from xinfang.audit import api as audit
from xinfang.core.params import MAX_ID
from xinfang.org.importers import CodeError, normalize_code
from xinfang.org.models import FULL_PERSONAL_DATA_ROLES, Division, Role, Unit
from xinfang.petitions.choices import Channel, Nature, RequestType, Status
from xinfang.petitions.forms import MatterForm, PetitionerForm, form_for
from xinfang.petitions.models import Category, Matter
from xinfang.petitions.scoping import can_see
from xinfang.petitions.services import StaleMatter, TransitionError, can_perform, perform, register_matter
from xinfang.petitions.workflow import TRANSITIONS

from .auth import Throttled, check_token
from .hotline import router as hotline_router
from .models import ApiIntake, Scope
from .reading import IsoDate, IsoDateTime, StorableJSON, UnstorableText


class TokenAuth(HttpBearer):
    """Bearer token → the token's service account (xinfang.api.auth: both rate limits)."""

    def __call__(self, request):
        # A request without a usable Authorization header counts as a failure too.
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        return self.authenticate(request, token if scheme.lower() == self.openapi_scheme else "")

    def authenticate(self, request, token):
        return check_token(request, token)


api = NinjaAPI(
    title="信访通接口",
    version="1",
    description="信访事项的登记、查询和办理，以及行政区划、单位、内容分类等基础数据。"
    "调用时在请求头携带接口令牌：Authorization: Bearer xft_…（由系统管理员用 `xinfang tokens create` 签发）。",
    auth=TokenAuth(),
    urls_namespace="api",
    parser=StorableJSON(),
)


@api.exception_handler(HttpError)
def http_error(request, exc):
    """Errors in Chinese, including a body that could not be read (ninja wraps the parser's error)."""
    detail = str(exc)
    if isinstance(exc.__cause__, UnstorableText):
        detail = str(exc.__cause__)
    elif isinstance(exc.__cause__, ValueError):  # JSONDecodeError and UnicodeDecodeError
        detail = "请求内容不是合法的 JSON（应为 UTF-8 编码）。"
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(Throttled)
def rate_limited(request, exc):
    response = api.create_response(request, {"detail": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "缺少接口令牌，或令牌无效、已过期、已吊销。"}, status=401)


def require(request, scope):
    if scope not in request.auth.scopes:
        raise HttpError(403, f"该令牌没有「{Scope(scope).label}」权限。")


def reject_unknown_parameters(request, allowed=()):
    """A misspelt filter must not silently return everything."""
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        raise ValidationError([{"loc": ("query", key[:40]), "type": "extra_forbidden"} for key in unknown])


def require_casework(request):
    if not request.user.does_casework:
        raise HttpError(403, "该令牌的服务账号不处理具体信访事项。")


# ---------------------------------------------------------------- schemas


class Error(Schema):
    detail: str


class FieldErrors(Schema):
    detail: str
    errors: dict[str, list[str]]


class DivisionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None


EARLIEST_RECEIVED = datetime(1990, 1, 1)  # older letters are not entered as new matters


class PetitionerIn(Schema):
    name: str = Field(min_length=1, max_length=40)
    id_number: str = Field("", max_length=18)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)


class PetitionerOut(Schema):
    name: str
    id_number: str
    phone: str
    address: str


class MatterIn(Schema):
    client_key: str = Field(
        min_length=1,
        max_length=64,
        description="调用方的唯一编号：同一令牌账号以同一编号重复提交时返回已登记的事项，不会重复登记。",
    )
    channel: Channel
    received_at: IsoDateTime
    title: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=20000)
    request: str = Field("", max_length=5000)
    nature: Nature
    request_type: RequestType
    division_code: str = Field(
        pattern=r"^\d{2,12}$", description="问题属地的行政区划代码（12位，或省略末尾的0）"
    )
    category_id: int = Field(ge=1, description="二级内容分类的编号（见 /reference/categories）")
    complained_unit_id: int | None = None
    complained_person: str = Field("", max_length=60)
    is_collective: bool = False
    headcount: int | None = Field(None, ge=1, le=100000)
    anonymous: bool = False
    leader_name: str = Field("", max_length=60, description="领导接访（channel=leader）时必填")
    upper_reference: str = Field("", max_length=40, description="上级转送、交办时必填：上级的交办单编号")
    upper_due_date: date | None = Field(None, description="上级要求的办结日期")
    petitioners: list[PetitionerIn] = Field(default_factory=list, max_length=50)

    @field_validator("received_at")
    @classmethod
    def _plausible_time(cls, value):
        if not EARLIEST_RECEIVED <= value.replace(tzinfo=None) <= datetime(9000, 1, 1):
            raise ValueError("收到时间不在合理范围内")
        return value


class MatterSummary(Schema):
    id: int
    code: str
    title: str
    status: str
    status_label: str
    nature: str
    channel: str
    received_at: datetime
    division_code: str
    holder_unit: str
    due_date: date | None
    due_step: str


class EventOut(Schema):
    action: str
    label: str
    at: datetime
    from_status: str
    to_status: str
    unit: str
    note: str


class MatterDetail(MatterSummary):
    content: str
    request: str
    request_type: str
    category_id: int
    version: int
    personal_data: str = Field(description="full：完整个人信息；masked：已脱敏")
    petitioners: list[PetitionerOut]
    events: list[EventOut]
    allowed_actions: list[str]


class MatterPage(Schema):
    items: list[MatterSummary]
    next_cursor: int | None


class TransitionIn(Schema):
    version: int = Field(description="读取事项时得到的 version；事项已被他人修改时返回409")
    note: str = Field("", max_length=5000)
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="该操作表单的其他字段，如交办的 unit（单位编号）、延期的 days、答复的 outcome/resolution/text/basis",
    )


class MatterFilters(Schema):
    status: Status | None = None
    nature: Nature | None = None
    channel: Channel | None = None
    received_from: IsoDate | None = None
    received_to: IsoDate | None = None
    cursor: int | None = Field(None, ge=1, le=MAX_ID, description="上一页返回的 next_cursor")
    limit: int = Field(50, ge=1, le=200)


def responses(**by_status):
    """What every call can answer besides its own results: no token, no permission, bad input, too
    many calls."""
    common = {400: Error, 401: Error, 403: Error, 422: FieldErrors, 429: Error}
    return {**common, **{int(k.removeprefix("s")): v for k, v in by_status.items()}}


PYDANTIC_MESSAGES = {
    "missing": "缺少该字段",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短或为空",
    "too_long": "条目过多",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601，如 2025-03-03T09:30:00+08:00",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601，如 2025-03-03T09:30:00+08:00",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "string_type": "应为文本",
    "dict_type": "应为对象",
    "list_type": "应为数组",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是合法的 JSON",
    "extra_forbidden": "不支持该参数",
}


@api.exception_handler(ValidationError)
def invalid_input(request, exc):
    """Ninja's input validation, in the same shape and language as the forms' errors."""
    errors = {}
    for error in exc.errors:
        where = ".".join(
            str(part) for part in error.get("loc", ()) if part not in {"body", "payload", "query"}
        )
        if error.get("type") == "value_error":  # our own validators' messages are Chinese already
            message = str(error.get("msg", "")).removeprefix("Value error, ")
        else:
            message = PYDANTIC_MESSAGES.get(error.get("type", ""), "格式不正确")
        errors.setdefault(where or "请求", []).append(message)
    return api.create_response(
        request, {"detail": "提交的内容有误，请按 errors 修改后重试。", "errors": errors}, status=422
    )


# ---------------------------------------------------------------- reference data


@api.get(
    "/reference/divisions", response=responses(s200=list[DivisionOut]), tags=["基础数据"], summary="行政区划"
)
def divisions(
    request,
    parent: str | None = Query(None, pattern=r"^\d{2,12}$", description="上级区划代码；不填为最高一级"),
):
    require(request, Scope.READ)
    reject_unknown_parameters(request, ("parent",))
    qs = Division.objects.select_related("parent").order_by("code")
    qs = qs.filter(parent__code=parent) if parent else qs.filter(parent__isnull=True)
    return [
        {"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent.code if d.parent else None}
        for d in qs[:5000]
    ]


@api.get("/reference/units", response=responses(s200=list[UnitOut]), tags=["基础数据"], summary="单位")
def units(request):
    require(request, Scope.READ)
    reject_unknown_parameters(request, ())
    return list(Unit.objects.filter(active=True).order_by("path").values("id", "name", "kind", "parent_id"))


@api.get(
    "/reference/categories", response=responses(s200=list[CategoryOut]), tags=["基础数据"], summary="内容分类"
)
def categories(request):
    require(request, Scope.READ)
    reject_unknown_parameters(request, ())
    return list(Category.objects.filter(active=True).order_by("pk").values("id", "name", "parent_id"))


# ---------------------------------------------------------------- matters


def summary(m: Matter) -> dict:
    return {
        "id": m.pk,
        "code": m.display_code,
        "title": m.title,
        "status": m.status,
        "status_label": m.get_status_display(),
        "nature": m.nature,
        "channel": m.channel,
        "received_at": m.received_at,
        "division_code": m.division.code,
        "holder_unit": m.holder_unit.name,
        "due_date": m.due_date,
        "due_step": m.due_step,
    }


def detail(request, m: Matter, *, in_scope=True) -> dict:
    full = request.user.role in FULL_PERSONAL_DATA_ROLES
    people = m.petitioner_rows(full=full)
    if full and people:
        audit.record("read_personal", request=request, target=f"matter:{m.pk}", detail={"via": "api"})
    labels = {name: t.label for name, t in TRANSITIONS.items()}
    events = [
        {
            "action": e.action,
            "label": labels.get(e.action, "登记"),
            "at": e.at,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "unit": e.actor_unit.name if e.actor_unit else "",
            "note": e.note,
        }
        for e in m.events.select_related("actor_unit").order_by("at", "pk")
    ]
    allowed = [name for name, t in TRANSITIONS.items() if can_perform(request.user, m, t, visible=in_scope)]
    return {
        **summary(m),
        "content": m.content,
        "request": m.request,
        "request_type": m.request_type,
        "category_id": m.category_id,
        "version": m.version,
        "personal_data": "full" if full else "masked",
        "petitioners": people,
        "events": events,
        "allowed_actions": allowed,
    }


def visible(request):
    return Matter.objects.visible_to(request.user).select_related("division", "holder_unit")


@api.get("/matters", response=responses(s200=MatterPage), tags=["信访事项"], summary="事项列表")
def list_matters(request, filters: Query[MatterFilters]):
    """Newest first; pass ``next_cursor`` back as ``cursor`` for the next page."""
    require(request, Scope.READ)
    reject_unknown_parameters(request, MatterFilters.model_fields)
    require_casework(request)
    qs = visible(request).order_by("-pk")
    for name in ("status", "nature", "channel"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.received_from:
        qs = qs.filter(received_at__date__gte=filters.received_from)
    if filters.received_to:
        qs = qs.filter(received_at__date__lte=filters.received_to)
    if filters.cursor:
        qs = qs.filter(pk__lt=filters.cursor)
    rows = list(qs[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {"items": [summary(m) for m in rows], "next_cursor": rows[-1].pk if more else None}


def get_visible(request, matter_id) -> Matter:
    try:
        return visible(request).get(pk=matter_id)
    except Matter.DoesNotExist:
        raise HttpError(404, "没有找到该事项，或该事项不在令牌账号的工作范围内。") from None


@api.get(
    "/matters/{matter_id}",
    response=responses(s200=MatterDetail, s404=Error),
    tags=["信访事项"],
    summary="事项详情",
)
def read_matter(request, matter_id: int):
    require(request, Scope.READ)
    reject_unknown_parameters(request, ())
    require_casework(request)
    return detail(request, get_visible(request, matter_id))


def find_division(code: str):
    """By its 12-digit code; the short forms people type (990101, 990101001) are accepted too."""
    try:
        normal = normalize_code(code.strip())
    except CodeError:
        normal = None
    return Division.objects.filter(code__in={code.strip(), normal} - {None}).first()


def form_errors(*forms_) -> dict[str, list[str]]:
    errors = {}
    for prefix, form in forms_:
        for field, messages in form.errors.items():
            errors[f"{prefix}{field}"] = [str(m) for m in messages]
    return errors


@api.post(
    "/matters",
    response=responses(s200=MatterDetail, s201=MatterDetail),
    tags=["信访事项"],
    summary="登记事项（按 client_key 幂等）",
)
def create_matter(request, payload: MatterIn):
    require(request, Scope.INTAKE)
    user = request.user
    if not (user.does_casework and user.role in {Role.REGISTRAR, Role.DISPATCHER}):
        raise HttpError(403, "该令牌的服务账号不是登记员或交办员，不能登记信访事项。")
    existing = ApiIntake.objects.filter(user=user, client_key=payload.client_key).first()
    if existing is not None:
        return Reply(200, submitted(request, existing.matter_id))

    division = find_division(payload.division_code)
    data = payload.dict(
        exclude={"client_key", "petitioners", "division_code", "category_id", "complained_unit_id"}
    )
    data.update(
        received_at=timezone.localtime(payload.received_at).strftime("%Y-%m-%d %H:%M")
        if timezone.is_aware(payload.received_at)
        else payload.received_at.strftime("%Y-%m-%d %H:%M"),
        division=division.pk if division else "",
        category=payload.category_id,
        complained_unit=payload.complained_unit_id or "",
        headcount=payload.headcount or max(1, len(payload.petitioners)),
        upper_due_date=payload.upper_due_date.isoformat() if payload.upper_due_date else "",
    )
    form = MatterForm(data)
    people = [PetitionerForm(p.dict()) for p in payload.petitioners]
    checks = [("", form)] + [(f"petitioners[{i}].", p) for i, p in enumerate(people)]
    if not all([f.is_valid() for _, f in checks]):
        errors = form_errors(*checks)
        if division is None:
            errors["division_code"] = [f"行政区划代码「{payload.division_code}」不存在。"]
        return Reply(422, {"detail": "提交的内容有误，请按 errors 修改后重试。", "errors": errors})
    fields = {k: v for k, v in form.cleaned_data.items() if k != "repeat_of_code"}
    try:
        with transaction.atomic():
            matter = register_matter(user, fields=fields, petitioners=[p.cleaned_data for p in people])
            ApiIntake.objects.create(user=user, client_key=payload.client_key, matter=matter)
    except TransitionError as exc:
        return Reply(422, {"detail": str(exc), "errors": {}})
    except IntegrityError:
        # The same client_key sent twice at once: the other request registered it.
        existing = get_object_or_404(ApiIntake, user=user, client_key=payload.client_key)
        return Reply(200, submitted(request, existing.matter_id))
    return Reply(201, submitted(request, matter.pk))


def submitted(request, matter_id) -> dict:
    """The matter an intake account registered, given back to it as it was submitted. Not through
    the account's scope: a 检举控告 is hidden from the account until it has been screened (and
    later reads of it go through the scope)."""
    m = Matter.objects.select_related("division", "category", "holder_unit").get(pk=matter_id)
    return detail(request, m, in_scope=can_see(request.user, m))


@api.post(
    "/matters/{matter_id}/transitions/{action}",
    response=responses(s200=MatterDetail, s404=Error, s409=Error),
    tags=["信访事项"],
    summary="办理流转",
)
def transition(request, matter_id: int, action: str, payload: TransitionIn):
    require(request, Scope.TRANSITION)
    require_casework(request)
    matter = get_visible(request, matter_id)
    t = TRANSITIONS.get(action)
    if t is None:
        raise HttpError(404, f"未知的操作「{action[:40]}」。")
    if not can_perform(request.user, matter, t, visible=True):
        raise HttpError(403, f"令牌账号不能对该事项进行「{t.label}」。")
    form = form_for(action)(
        {**payload.fields, "version": payload.version, "note": payload.note}, matter=matter, user=request.user
    )
    if not form.is_valid():
        return Reply(
            422, {"detail": "提交的内容有误，请按 errors 修改后重试。", "errors": form_errors(("", form))}
        )
    try:
        perform(
            matter.pk,
            request.user,
            action,
            expected_version=form.cleaned_data["version"],
            note=form.cleaned_data.get("note", ""),
            **form.params(),
        )
    except StaleMatter:
        return Reply(409, {"detail": "事项已被他人修改，请重新读取后再提交。"})
    except TransitionError as exc:
        return Reply(409, {"detail": str(exc)})
    return Reply(200, detail(request, get_visible(request, matter.pk)))


api.add_router("/hotline", hotline_router)
