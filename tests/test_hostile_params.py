"""Hostile numbers and dates in requests: every list, filter, numbered page and form answers with a
page, a form message in Chinese or a 404 in Chinese, never a server error.

Each list route is called once per (parameter, hostile value), by a persona who may open it, on the
fixture of test_route_matrix; every route with a number in its path is called with hostile numbers
there; the forms that post numbers and dates get them in each such field. A crash is collected with
its exception (the client answers 500 instead of raising), so one run names every failing value.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from conftest import Driver, matter_fields, sign_in
from django import forms
from django.http import Http404
from django.test import RequestFactory
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from django.views.defaults import server_error
from test_route_matrix import ROUTES, objects  # noqa: F401 — the fixture is used by name

from xinfang.analytics import snapshot
from xinfang.analytics.views import DashboardForm
from xinfang.api.models import ApiToken, Scope
from xinfang.assessments.forms import FilterForm as AssessmentFilterForm
from xinfang.audit.forms import AuditFilterForm, ChangeFilterForm
from xinfang.core.params import MAX_ID, id_list, page_number, whole_number
from xinfang.disputes.forms import FilterForm as DisputeFilterForm
from xinfang.grid.forms import FilterForm as GridFilterForm
from xinfang.hazards.forms import EnterpriseFilterForm, HazardFilterForm
from xinfang.petitions.forms import QueueFilterForm
from xinfang.supervision.forms import PeriodForm

NUMBERS = [
    "9223372036854775807",  # the largest 64-bit integer
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "-1",
    "0",
    "1e9",
    "２",  # a full-width digit: int() reads it
    "²",  # a superscript: str.isdigit() says yes, int() says no
    "",
    "abc",
    "9" * 5000,  # more digits than int() reads
    "页" * 3000,
]
TEXT = ["", "abc", "9223372036854775807", "页" * 3000]
DATES = [
    "1900-01-01",  # the first and last days a form takes (xinfang.core.params)
    "2199-12-31",
    "9999-12-31",
    "0001-01-01",
    "0000-01-01",
    "2026-02-30",
    "２０２６-１１-２３",
    "20261123",
    *TEXT,
]
PERIODS = [
    "1900",
    "2199",
    "1900-01",
    "2199Q4",
    "0000",
    "0001",
    "9999",
    "0000-01",
    "2026-99",
    "0001Q1",
    "２０２６",
    "99999",
    *TEXT,
]


def fields(form, *skip):
    """(name, hostile values) for each field of a filter form, by the kind of field."""
    out = []
    for name, kind in form.base_fields.items():
        if name in skip:
            continue
        if isinstance(kind, forms.DateField):
            out.append((name, DATES))
        elif isinstance(kind, forms.IntegerField | forms.ModelChoiceField):
            out.append((name, NUMBERS))
        else:
            out.append((name, TEXT))
    return out


def date_pair(first, last):
    """Both ends of a period on the same extreme day: a valid period that reaches the calendar's end."""
    return [((first, last), DATES)]


PAGE = [("page", NUMBERS)]

# (route, who calls it, fixed query, [(parameter, or a tuple of them given the same value; values)])
LISTS = [
    (
        "petitions:queue",
        "bob",
        {"tab": "todo"},
        [*PAGE, *fields(QueueFilterForm), *date_pair("received_from", "received_to")],
    ),
    ("petitions:queue", "bob", {"tab": "all"}, PAGE),
    ("petitions:export", "bob", {"tab": "all"}, date_pair("received_from", "received_to")),
    ("petitions:earlier", "bob", {}, [("phone", TEXT), ("id_number", TEXT)]),
    ("portal:public", "bob", {}, [("month", TEXT), ("month", DATES)]),
    ("petitions:register", "alice", {}, [("letter", NUMBERS)]),
    ("supervision:board", "sam", {}, [*PAGE, ("state", TEXT), ("kind", TEXT)]),
    ("supervision:issue", "sam", {}, [("matter", NUMBERS)]),
    ("supervision:cases", "leo", {}, [("all", TEXT)]),
    ("supervision:campaign", "sam", {}, [*PAGE, ("open", TEXT)]),
    ("supervision:ranking", "sam", {}, [*fields(PeriodForm), *date_pair("start", "end")]),
    ("supervision:unit_score", "sam", {}, [*fields(PeriodForm), *date_pair("start", "end")]),
    ("supervision:drill", "sam", {}, [*PAGE, *fields(PeriodForm), *date_pair("start", "end")]),
    ("audit:list", "audrey", {}, [*PAGE, *fields(AuditFilterForm), *date_pair("date_from", "date_to")]),
    ("audit:changes", "root", {}, [*PAGE, *fields(ChangeFilterForm), *date_pair("date_from", "date_to")]),
    ("administration:calendar", "root", {}, [("year", NUMBERS)]),
    ("administration:day_add", "root", {}, [("date", DATES)]),
    ("administration:category_add", "root", {}, [("parent", NUMBERS)]),
    ("administration:units", "root", {}, [*PAGE, ("q", TEXT)]),
    ("administration:users", "root", {}, [*PAGE, ("q", TEXT), ("role", TEXT)]),
    ("administration:divisions", "root", {}, [*PAGE, ("q", TEXT)]),
    (
        "analytics:dashboard",
        "sam",
        {},
        [*fields(DashboardForm), ("export", TEXT), *date_pair("first", "last")],
    ),
    (
        "analytics:cockpit",
        "sam",
        {},
        [*fields(DashboardForm, "channel", "nature"), *date_pair("first", "last")],
    ),
    (
        "analytics:rates",
        "sam",
        {"rate": "reply"},
        [*fields(DashboardForm), ("rate", TEXT), *date_pair("first", "last")],
    ),
    ("analytics:warnings", "sam", {}, [*PAGE, ("state", TEXT), ("kind", TEXT)]),
    ("analytics:report", "sam", {"kind": "annual", "format": "xlsx"}, [("period", PERIODS)]),
    ("analytics:report", "sam", {"kind": "monthly", "format": "xlsx"}, [("period", PERIODS)]),
    ("analytics:report", "sam", {"kind": "quarterly", "format": "xlsx"}, [("period", PERIODS)]),
    (
        "api:list_matters",
        "bob",
        {},
        [
            ("cursor", NUMBERS),
            ("limit", NUMBERS),
            ("received_from", DATES),
            ("received_to", DATES),
            ("status", TEXT),
        ],
    ),
    ("api:divisions", "bob", {}, [("parent", NUMBERS)]),
    (
        "disputes:list",
        "tina",
        {"tab": "all"},
        [*PAGE, *fields(DisputeFilterForm), *date_pair("screened_from", "screened_to")],
    ),
    ("disputes:export", "tina", {"tab": "all"}, date_pair("screened_from", "screened_to")),
    ("disputes:stats", "dina", {}, date_pair("from", "to")),
    ("disputes:monthly_xlsx", "dina", {}, [("month", PERIODS)]),
    ("disputes:monthly_docx", "dina", {}, [("month", PERIODS)]),
    (
        "grid:queue",
        "tina",
        {"tab": "all"},
        [*PAGE, *fields(GridFilterForm), *date_pair("reported_from", "reported_to")],
    ),
    (
        "grid:export",
        "tina",
        {"tab": "all"},
        [*fields(GridFilterForm), *date_pair("reported_from", "reported_to")],
    ),
    ("grid:mine", "gwen", {}, PAGE),
    ("hazards:queue", "tina", {"tab": "all"}, [*PAGE, *fields(HazardFilterForm)]),
    ("hazards:export", "tina", {"tab": "all"}, fields(HazardFilterForm)),
    ("hazards:register", "tom", {}, [("enterprise", NUMBERS), ("q", TEXT)]),
    ("hazards:enterprises", "tina", {}, [*PAGE, *fields(EnterpriseFilterForm)]),
    ("hazards:enterprises_export", "tina", {}, fields(EnterpriseFilterForm)),
    ("hazards:statistics", "dina", {}, date_pair("first", "last")),
    (
        "hazards:summary",
        "dina",
        {"kind": "quarterly", "period": "2026Q4"},
        [("period", PERIODS), ("format", TEXT), ("kind", TEXT)],
    ),
    ("assessments:list", "tina", {"tab": "all"}, [*PAGE, *fields(AssessmentFilterForm)]),
    ("assessments:export", "tina", {"tab": "all"}, fields(AssessmentFilterForm)),
    ("grid:stats", "dina", {}, date_pair("from", "to")),
    ("integrations:hotline", "bob", {}, [("state", TEXT)]),
    (
        "open311:list_requests",
        "bob",
        {},
        [
            ("start_date", DATES),
            ("end_date", DATES),
            ("status", TEXT),
            ("service_code", TEXT),
            ("service_request_id", TEXT),
        ],
    ),
]


@pytest.fixture
def hostile_world(world, objects, settings):  # noqa: F811 — the fixture imported above
    settings.XINFANG_API_RATE = "1000000/m"
    settings.XINFANG_API_FAILURE_RATE = "1000000/m"
    snapshot.refresh()  # the dashboard reads its numbers from the snapshot
    return objects


def token_for(user):
    expires = timezone.now() + timedelta(days=1)
    return ApiToken.issue(name="恶意参数", user=user, scopes=Scope.values, expires_at=expires)[1]


class Caller:
    def __init__(self, client, world, objs):
        self.client, self.world, self.objs, self.tokens, self.signed_in = client, world, objs, {}, None
        client.raise_request_exception = False  # a crash is a 500 answer, collected with the others

    def get(self, name, username, query, kwargs=None):
        """The route called as its ROUTES entry says (GET, or POST with its data), with `query`."""
        route = ROUTES[name]
        url = reverse(name, kwargs=route.kwargs(self.objs) if kwargs is None else kwargs)
        if query:
            url += "?" + urlencode(query)
        data = route.data(self.objs) if callable(route.data) else dict(route.data or {})
        kw = {}
        if route.token:
            if username not in self.tokens:
                self.tokens[username] = token_for(self.world.users[username])
            if route.api_key:
                data["api_key"] = self.tokens[username]
            else:
                kw["headers"] = {"Authorization": f"Bearer {self.tokens[username]}"}
                if route.method == "post":
                    kw["content_type"] = "application/json"
        elif username != self.signed_in:
            self.client.logout()
            sign_in(self.client, username)
            self.signed_in = username
        if route.method == "get":
            return self.client.get(url, data, **kw)  # an Open311 api_key is a query parameter
        return self.client.post(url, data, **kw)


# Routes that read no number or date from their query string: pages of one object, forms that
# post, files, the portal's pages (they take the code from a form), the API's own documents.
NO_QUERY = {
    "hazards:act",
    "hazards:detail",
    "hazards:enterprise",
    "hazards:enterprise_new",
    "hazards:link_petition",
    "hazards:listing",
    "hazards:matter_panel",
    "hazards:notice",
    "hazards:oversee",
    "hazards:photo",
    *(
        f"hazards:{kind}_import_{page}"
        for kind in ("enterprise", "hazard")
        for page in ("upload", "template", "job", "mapping", "cancel", "errors")
    ),
    "assessments:act",
    "assessments:detail",
    "assessments:link",
    "assessments:record",
    "assessments:register",
    "assessments:report",
    "assessments:statistics",
    "disputes:register",
    "disputes:detail",
    "disputes:act",
    "disputes:link_matter",
    "disputes:to_matter",
    "disputes:file",
    "disputes:matter_panel",
    "disputes:from_event",
    "disputes:campaigns",
    "disputes:campaign",
    "disputes:campaign_report",
    "disputes:campaign_remind",
    "disputes:import",
    "disputes:import_template",
    "grid:report",
    "grid:detail",
    "grid:act",
    "grid:to_matter",
    "grid:photo",
    "home",
    "healthz",
    "readyz",
    "metrics",
    "login",
    "logout",
    "password_change",
    "otp_verify",
    "otp_setup",
    "petitions:detail",
    "petitions:receipt",
    "petitions:screen",
    "petitions:act",
    "petitions:reveal",
    "petitions:attachment",
    "petitions:export_job",
    "petitions:export_download",
    "ledger:upload",
    "ledger:template",
    "ledger:job",
    "ledger:mapping",
    "ledger:cancel",
    "ledger:errors",
    "assist:intake",
    "assist:similar",
    "assist:link_repeat",
    "assist:collective",
    "assist:letter_new",
    "assist:letter",
    "assist:letter_file",
    "assist:models",
    "assist:model_train",
    "assist:model_activate",
    "analytics:warning",
    "documents:matter",
    "documents:completion",
    "documents:supervision",
    "supervision:detail",
    "supervision:print",
    "supervision:answer_file",
    "supervision:close",
    "supervision:escalate",
    "supervision:answer",
    "supervision:return",
    "supervision:matter_panel",
    "supervision:case_panel",
    "supervision:remind",
    "supervision:measure",
    "supervision:own",
    "supervision:case",
    "supervision:receptions",
    "supervision:reception",
    "supervision:campaigns",
    "supervision:campaign_case",
    "portal:index",
    "portal:file",
    "portal:filed",
    "portal:track",
    "portal:matter",
    "portal:document",
    "portal:act",
    "portal:request",
    "portal:display",
    "open311:api-root",
    "open311:openapi-json",
    "open311:openapi-view",
    "api:take_order",
    "integrations:hotline_replay",
    "integrations:hotline_replay_all",
    "open311:discovery",
    "open311:services",
    "open311:service_definition",
    "open311:create_request",
    "open311:request_status",
    "open311:token",
    "api:api-root",
    "api:openapi-json",
    "api:openapi-view",
    "api:units",
    "api:categories",
    "api:create_matter",
    "api:read_matter",
    "api:transition",
    "administration:index",
    "administration:schedule_import",
    "administration:mark_complete",
    "administration:day_edit",
    "administration:day_delete",
    "administration:policies",
    "administration:policy_add",
    "administration:policy_edit",
    "administration:policy_delete",
    "administration:unit_add",
    "administration:unit_edit",
    "administration:user_add",
    "administration:user_edit",
    "administration:user_password",
    "administration:categories",
    "administration:category_edit",
    "administration:division_add",
    "administration:division_edit",
}


def problem(response):
    """What is wrong with an answer to hostile input, or None: a server error (with the exception
    behind it), or an error page or message that is not in Chinese."""
    exc = getattr(response, "exc_info", None)
    if response.status_code >= 500:
        return (
            f"{response.status_code} {exc[0].__name__}: {str(exc[1])[:120]}" if exc else response.status_code
        )
    if response.status_code >= 400:
        if response["Content-Type"].startswith("application/json"):
            text = " ".join(strings(response.json()))  # the messages, not the field names
        else:
            body = response.content.decode()
            main = re.split(r"<main[^>]*>", body, maxsplit=1)[-1].split("</main>", 1)[0]
            text = re.sub(r"<[^>]+>", " ", main)
        if not CHINESE.search(text) or ENGLISH.search(text):
            return f"{response.status_code} {' '.join(text.split())[:120]}"
    return None


def strings(value):
    """The strings among the values of a JSON document (its keys are field names)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from strings(item)


CHINESE = re.compile(r"[\u4e00-\u9fff]")
# English words, but for names people are shown on purpose: the API's "errors" field, the date
# pattern YYYY-MM-DD, file formats.
ENGLISH = re.compile(r"\b(?!(?:errors|YYYY|PDF|Excel|Word)\b)[A-Za-z]{4,}\b")


def test_every_route_is_walked_or_reads_no_query():
    """A new route must say whether it reads numbers or dates from its query string."""
    walked = {name for name, *_ in LISTS}
    assert walked & NO_QUERY == set()
    assert set(ROUTES) - walked - NO_QUERY == set(), "新路由：请加入 LISTS 或 NO_QUERY"
    assert walked | NO_QUERY <= set(ROUTES)


@pytest.mark.parametrize("case", range(len(LISTS)), ids=[f"{c[0]}-{c[2]}" for c in LISTS])
def test_hostile_query_values_never_crash_a_list(client, world, hostile_world, case):
    name, username, fixed, params = LISTS[case]
    caller = Caller(client, world, hostile_world)
    assert caller.get(name, username, fixed).status_code < 400, "the persona may open the list"
    failures = {}
    for param, values in params:
        for value in values:
            query = dict(fixed) | dict.fromkeys(param if isinstance(param, tuple) else (param,), value)
            found = problem(caller.get(name, username, query))
            if found:
                failures[f"{param}={value[:30]}"] = found
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def int_routes():
    """Routes with a number in their path, and the names of those numbers."""
    found = []

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLPattern):
                ints = [
                    k for k, c in pattern.pattern.converters.items() if type(c).__name__ == "IntConverter"
                ]
                if ints and pattern.name:
                    found.append((namespace + pattern.name, ints))
            elif pattern.namespace != "admin":
                walk(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)

    walk(get_resolver())
    return sorted(found)


PATH_NUMBERS = ["9223372036854775807", "9223372036854775808", "99999999999999999999999999999999", "0"]


def test_hostile_numbers_in_paths_are_not_found(client, world, hostile_world):
    """Ids in paths, as large as they come: 404 (Chinese), whatever the route does with them."""
    caller = Caller(client, world, hostile_world)
    failures = {}
    routes = int_routes()
    assert len(routes) > 20
    for name, ints in routes:
        route = ROUTES[name]
        # Someone the route lets in (or who reaches its own 404, as for a notice not yet issued).
        username = min(
            world.users,
            key=lambda u: (route.expect(world.users[u]) >= 400, route.expect(world.users[u]) == 403, u),
        )
        for key in ints:
            for value in PATH_NUMBERS:
                kwargs = route.kwargs(hostile_world) | {key: value}
                response = caller.get(name, username, {}, kwargs)
                if response.status_code != 404 or problem(response):
                    failures[f"{name} {key}={value[:30]}"] = problem(response) or response.status_code
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_error_pages_are_in_chinese(client, world):
    """No route, no such object, a request the server refuses, a crash: each page is in Chinese."""
    sign_in(client, "sam")
    client.raise_request_exception = False
    no_route = client.get("/no-such-page/")
    no_object = client.get(reverse("supervision:detail", kwargs={"pk": 987654}))
    bad_host = client.get("/", headers={"Host": "evil.example"})
    assert [no_route.status_code, no_object.status_code, bad_host.status_code] == [404, 404, 400]
    for response in (no_route, no_object, bad_host):
        assert problem(response) is None, response.content.decode()
    assert "没有找到您要访问的页面" in no_object.content.decode()
    crashed = server_error(RequestFactory().get("/"))
    assert crashed.status_code == 500 and "系统出错" in crashed.content.decode()
    assert not ENGLISH.search(re.sub(r"<[^>]+>", " ", crashed.content.decode()))


NOT_FINITE = ["nan", "inf", "-inf", "1e999", "1" * 40, "abc"]


@dataclass
class Posted:
    """A form that reads numbers or dates from what is posted: `data` is valid and answered with
    `ok`; then each of `hostile`'s fields takes each of its values in turn."""

    route: str
    user: str
    data: dict
    hostile: dict
    ok: int = 302
    kwargs: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)


def posted_forms(world, objs):
    m1, leo = objs.m1, world.users["leo"]
    registration = {
        **{k: v for k, v in matter_fields(world).items() if k not in {"division", "category"}},
        "received_at": "2026-11-20T10:00",
        "headcount": "1",
        "division": world.divisions.village.pk,
        "category": world.category.pk,
        "assist_category": str(world.category.pk),
        "assist_category_confidence": "0.8",
        "p-TOTAL_FORMS": "1",
        "p-INITIAL_FORMS": "0",
        "p-0-name": "李明",
    }
    supervise = {"kind": "supervise", "level": "yellow", "reasons": "overdue", "text": "请加快办理"}
    return [
        Posted(
            "assist:intake",
            "bob",
            {"title": "路灯不亮", "content": "路灯坏了", "division": world.divisions.d1.pk},
            {"division": NUMBERS, "complained_unit": NUMBERS},
            ok=200,
        ),
        Posted(
            "petitions:register",
            "alice",
            registration,
            {"assist_category_version": NUMBERS, "assist_category_confidence": NOT_FINITE},
        ),
        Posted(
            "supervision:campaigns",
            "sam",
            {"name": "积案化解", "target_date": "2026-12-31", "open_days": "30", "repeat_times": "2"},
            {"open_days": NUMBERS, "repeat_times": NUMBERS},
            ok=200,  # the preview of the list the rules pick
        ),
        Posted(
            "supervision:campaigns",
            "sam",
            {"name": "积案化解", "codes": m1.code, "freeze": "1", "target_date": "2026-12-31"},
            {"target_date": DATES},
        ),
        Posted(
            "supervision:issue",
            "sam",
            supervise | {"due_on": "2026-12-01"},
            {"due_on": DATES, "units": NUMBERS},
            query={"matter": m1.pk},
        ),
        Posted(
            "supervision:escalate",
            "sam",
            {"level": "red", "note": "仍未办结", "due_on": "2026-12-01"},
            {"due_on": DATES},
            kwargs={"pk": objs.supervision.pk},
        ),
        Posted(
            "supervision:receptions",
            "sam",
            {"leader": leo.pk, "place": "市信访接待中心", "date": "2026-12-01"},
            {"date": DATES},
        ),
        Posted(
            "supervision:measure",
            "hope",
            {"kind": "assistance", "held_on": "2026-11-20", "note": "困难救助", "amount": "5000"},
            {"held_on": DATES, "amount": NUMBERS + NOT_FINITE},
            kwargs={"pk": m1.pk},
        ),
        Posted(
            "supervision:own",
            "leo",
            {
                "leader": leo.pk,
                "unit": world.units.d1_dept.pk,
                "plan": "约谈物业",
                "target_date": "2026-12-31",
            },
            {"target_date": DATES, "milestones": [f"{day} 召开会商" for day in DATES]},
            kwargs={"pk": Driver(world).register().pk},  # M1 has its leader already
        ),
        Posted(
            "supervision:campaign_case",
            "sam",
            {"what": "outcome", "outcome": "solved", "evidence": "已解决", "resolved_on": "2026-11-23"},
            {"resolved_on": DATES},
            kwargs={"pk": objs.campaign_case.pk},
        ),
    ]


def test_hostile_numbers_in_posted_forms(client, world, hostile_world):
    """Forms that post numbers and dates: a page or a Chinese message, never a server error."""
    client.raise_request_exception = False
    failures = {}
    for form in posted_forms(world, hostile_world):
        client.logout()
        sign_in(client, form.user)
        url = reverse(form.route, kwargs=form.kwargs) + ("?" + urlencode(form.query) if form.query else "")
        valid = client.post(url, form.data)
        errors = re.findall(
            r'<ul class="errorlist[^>]*>(.*?)</ul>|<li class="error">(.*?)</li>', valid.content.decode()
        )
        assert valid.status_code == form.ok, (form.route, valid.status_code, errors)
        for name, values in form.hostile.items():
            for value in values:
                found = problem(client.post(url, form.data | {name: value}))
                if found:
                    failures[f"{form.route} {name}={value[:30]}"] = found
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_hostile_version_posted_on_the_portal(client, world):
    matter = Driver(world).register()
    client.raise_request_exception = False
    client.post("/portal/track/", {"code": matter.display_code.lower(), "phone_tail": "8000"})
    failures = {}
    for value in NUMBERS:
        found = problem(
            client.post(f"/portal/m/{matter.code}/withdraw/", {"note": "已协商解决", "version": value})
        )
        if found:
            failures[value[:30]] = found
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_numbers_read_from_requests():
    """ASCII digits within 64 bits are numbers; what int() alone would also read, or refuse, is not."""
    numbers = ["0", "42", str(MAX_ID)]
    not_numbers = [str(MAX_ID + 1), "²", "２", " 3", "-1", "1e3", "1_000", "9" * 5000]
    assert [whole_number(v) for v in numbers] == [0, 42, MAX_ID]
    assert [whole_number(v) for v in not_numbers] == [None] * len(not_numbers)
    assert id_list(["3", "0", "x", "9" * 30, "7"]) == [3, 7]
    assert [page_number(v) for v in [None, "", "1", "100000"]] == [1, 1, 1, 100000]
    for bad in ["0", "100001", "abc", "-2", "9" * 5000]:
        with pytest.raises(Http404):
            page_number(bad)
