"""Every route × every persona (and anonymous), generated from the URL registry.

``ROUTES`` says, for each named route, how to call it and what each user must get. The first test
walks Django's URL resolver: a route that is added without an entry here fails CI, and so does an
entry for a route that no longer exists. Which matters a user may see is the business of
test_scoping.py; here matter routes are called on one matter (M1 of that file) whose visibility
comes from its EXPECTED table. A route that hands out a file must also be in the download matrix
(test_download_scoping.py), which opens every file and checks what it names.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from conftest import PETITIONER, Driver, matter_fields, sign_in
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from prevention import ledger_objects
from test_download_scoping import DOWNLOAD_ROUTES
from test_prevention_downloads import DOWNLOAD_ROUTES as LEDGER_DOWNLOAD_ROUTES
from test_scoping import EXPECTED

from xinfang.analytics.models import Warning
from xinfang.api.models import ApiToken, Scope
from xinfang.assist.models import LetterScan, ModelVersion
from xinfang.core import clock, uploads
from xinfang.deadlines.models import CalendarDay, PolicySet
from xinfang.ledger.models import ImportJob
from xinfang.org.models import Division, Role, User
from xinfang.petitions.models import ExportJob
from xinfang.petitions.services import register_matter
from xinfang.supervision import backlog, ownership, reception_days, supervisions
from xinfang.supervision.models import SupervisionFile

SIGNED_IN = sorted(EXPECTED)
# 矛盾纠纷 D1 of 东湖街道 (registered by tom of 东湖街道办) and 网格事件 E1 of 湖滨社区 (reported by gwen):
# seen by the territorial units above them and their own units (tests/test_disputes.py, test_grid.py).
D1_VISIBLE = {"alice", "bob", "carol", "sam", "leo", "dan", "dave", "dina", "qian", "tom", "tina"}
E1_VISIBLE = D1_VISIBLE
# The 集中排查 of 东城区信访局 (dave): the units of the governments at or above it, and the units that
# must report (东湖街道办).
CAMPAIGN_VISIBLE = D1_VISIBLE | {"hugo", "dora", "hank", "hope"}
M1_VISIBLE = {name for name, keys in EXPECTED.items() if "M1" in keys}


def casework(user):
    return user.does_casework


def on_d1(user, ok=200):
    if not casework(user):
        return 403
    return ok if user.username in D1_VISIBLE else 404


def on_e1(user, ok=200):
    """An event: casework users by its scope, its reporter (gwen) by having reported it."""
    if user.username == "gwen":
        return ok
    if user.role in {Role.GRID_WORKER, Role.INFORMANT}:
        return 404
    return on_d1(user, ok)


def dispute_registrar(user):
    return (
        200
        if casework(user) and user.role in {Role.REGISTRAR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD}
        else 403
    )


def figures(user):
    return 200 if casework(user) or user.role == Role.ANALYST else 403


def reporter(user):
    return 200 if user.role in {Role.GRID_WORKER, Role.INFORMANT} else 403


def viewer(user):
    """统计分析 and 预警: analysts, supervisors and leaders (all three of the city here)."""
    return 200 if user.role in {Role.ANALYST, Role.SUPERVISOR, Role.LEADER} else 403


def on_m1(user, ok=200):
    """Matter pages: roles without casework are refused outright, others by the matter's scope."""
    if not casework(user):
        return 403
    return ok if user.username in M1_VISIBLE else 404


@dataclass(frozen=True)
class Route:
    expect: Callable  # user -> status code
    kwargs: Callable = lambda objs: {}  # objects of the fixture -> URL kwargs
    method: str = "get"
    data: dict | Callable | None = None
    anonymous: int | str = "login"  # status, or "login": redirected to the sign-in page
    query: str = ""
    token: bool = False  # an API route: each persona calls with its own token (all scopes)
    api_key: bool = False  # Open311: the token goes in the api_key parameter, not a header


def api_route(expect, **kw):
    return Route(expect, token=True, anonymous=401, **kw)


def registrar(user):
    return user.does_casework and user.role in {Role.REGISTRAR, Role.DISPATCHER}


OVERSIGHT = {Role.SUPERVISOR, Role.LEADER}
RANKING = {Role.SUPERVISOR, Role.LEADER, Role.ANALYST}
# The issuing side (city bureau, and supervisors and leaders of 青溪市人民政府) and the answering unit.
SUPERVISION_VISIBLE = {"alice", "bob", "carol", "sam", "leo", "hank", "hope"}
# Units under 青溪市人民政府 itself (not under a district government).
CITY_GOV_UNITS = {"alice", "bob", "carol", "sam", "leo", "hugo", "dora"}


def on_supervision(user, ok=200):
    if not casework(user):
        return 403
    return ok if user.username in SUPERVISION_VISIBLE else 404


def on_city_gov(user, ok=200):
    if not casework(user):
        return 403
    return ok if user.username in CITY_GOV_UNITS else 404


def on_d1_dept_score(user):
    if user.role in RANKING or user.username in {"hank", "hope"}:
        return 200
    return 403


def hazard_registrant(user):
    return casework(user) and user.role in {Role.REGISTRAR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD}


def own_ledger_job(user, ok=200):
    """A job of the hazard ledger's imports belongs to its uploader (alice)."""
    return ok if user.username == "alice" else (404 if hazard_registrant(user) else 403)


def import_route(kind, page) -> "Route":
    """The import pages of the hazard ledger's 台账 (the enterprise register, hazards)."""
    if page in {"upload", "template"}:
        return Route(lambda u: 200 if hazard_registrant(u) else 403)
    return Route(
        lambda u: own_ledger_job(u, ok=302 if page == "cancel" else 200),
        kwargs=lambda o: {"pk": getattr(o.ledgers, f"{kind}_job").pk},
        method="post" if page == "cancel" else "get",
    )


def own_import_job(user):
    return 200 if user.username == "alice" else (404 if registrar(user) else 403)


def administrator(user, ok=200):
    return ok if user.role == Role.ADMIN else 403


ADMIN_PAGES = [
    "index",
    "calendar",
    "schedule_import",
    "day_add",
    "policies",
    "policy_add",
    "units",
    "unit_add",
    "users",
    "user_add",
    "categories",
    "category_add",
    "divisions",
    "division_add",
]


def _calendar_day():
    day, _ = CalendarDay.objects.get_or_create(
        date=date(clock.today().year + 1, 2, 1), defaults={"is_workday": False}
    )
    return day


ADMIN_EDIT_PAGES = {
    "day_edit": lambda o: {"pk": _calendar_day().pk},
    "policy_edit": lambda o: {"pk": PolicySet.objects.get(name="national").pk},
    "unit_edit": lambda o: {"pk": o.d1_dept.pk},
    "user_edit": lambda o: {"pk": User.objects.get(username="hugo").pk},
    "category_edit": lambda o: {"pk": o.category.pk},
    "division_edit": lambda o: {"pk": Division.objects.get(code="990101").pk},
}


NEW_MATTER = {
    "client_key": "route-matrix-1",
    "channel": "online",
    "received_at": "2025-03-03T09:30:00+08:00",
    "title": "路灯不亮",
    "content": "小区门口路灯已坏一个月。",
    "nature": "advice",
    "request_type": "help",
    "division_code": "990101001",
    "anonymous": True,
}


HOTLINE_ROLES = {Role.REGISTRAR, Role.DISPATCHER, Role.UNIT_HEAD}
HOTLINE_NUMBERS = itertools.count(1)


def hotline(user, ok=200):
    return ok if casework(user) and user.role in HOTLINE_ROLES else 403


ROUTES = {
    "home": Route(lambda u: 302),
    "login": Route(lambda u: 200, anonymous=200),
    # operations: alive, ready, and metrics for the loopback address the test client comes from
    "healthz": Route(lambda u: 200, anonymous=200),
    "readyz": Route(lambda u: 200, anonymous=200),
    "metrics": Route(lambda u: 200, anonymous=200),
    "logout": Route(lambda u: 302, method="post", anonymous=302),
    "password_change": Route(lambda u: 200),
    # Signed in by force_login without a device: the code step sends the user to enrolment.
    "otp_verify": Route(lambda u: 302),
    "otp_setup": Route(lambda u: 200),
    "petitions:queue": Route(lambda u: 200 if casework(u) else 403),
    "analytics:dashboard": Route(viewer),
    "analytics:cockpit": Route(viewer),
    "analytics:rates": Route(viewer, query="?rate=timely"),
    "analytics:report": Route(viewer),
    "analytics:warnings": Route(viewer),
    "analytics:warning": Route(viewer, kwargs=lambda o: {"pk": o.warning.pk}),
    "petitions:register": Route(lambda u: 200 if u.role in {Role.REGISTRAR, Role.DISPATCHER} else 403),
    "petitions:earlier": Route(
        lambda u: 200 if casework(u) else 403, method="post", data={"phone": "13800138000"}
    ),
    "petitions:detail": Route(on_m1, kwargs=lambda o: {"pk": o.m1.pk}),
    "petitions:receipt": Route(on_m1, kwargs=lambda o: {"pk": o.m1.pk}),
    # Every transition page is covered by test_scoping; here 受理, open to the assigned unit.
    "petitions:act": Route(
        lambda u: on_m1(u, ok=200 if u.username in {"hank", "hope"} else 403),
        kwargs=lambda o: {"pk": o.m1.pk, "action": "accept"},
    ),
    "petitions:reveal": Route(
        on_m1, kwargs=lambda o: {"pk": o.m1.pk}, method="post", data={"reason": "核实信访人身份"}
    ),
    "petitions:attachment": Route(on_m1, kwargs=lambda o: {"pk": o.attachment.pk}),
    # M1 is no accusation: those who see it are sent back to it (test_scoping covers accusations)
    "petitions:screen": Route(lambda u: on_m1(u, ok=302), kwargs=lambda o: {"pk": o.m1.pk}),
    "petitions:export": Route(lambda u: 200 if casework(u) else 403, query="?tab=all"),
    # Export jobs belong to their requester (alice here); everyone else gets 404.
    "petitions:export_job": Route(
        lambda u: 200 if u.username == "alice" else (403 if not casework(u) else 404),
        kwargs=lambda o: {"pk": o.export_job.pk},
    ),
    "petitions:export_download": Route(
        lambda u: 200 if u.username == "alice" else (403 if not casework(u) else 404),
        kwargs=lambda o: {"pk": o.export_job.pk},
    ),
    # 台账导入: for registering staff; a job (and its refused rows) belongs to its uploader, alice.
    "ledger:upload": Route(lambda u: 200 if registrar(u) else 403),
    "ledger:template": Route(lambda u: 200 if registrar(u) else 403),
    "ledger:job": Route(own_import_job, kwargs=lambda o: {"pk": o.import_job.pk}),
    "ledger:mapping": Route(own_import_job, kwargs=lambda o: {"pk": o.import_job.pk}),
    "ledger:errors": Route(own_import_job, kwargs=lambda o: {"pk": o.import_job.pk}),
    "ledger:cancel": Route(
        lambda u: 302 if u.username == "alice" else (404 if registrar(u) else 403),
        kwargs=lambda o: {"pk": o.import_job.pk},
        method="post",
    ),
    # 辅助研判: the intake panel for registering staff; similar matters follow the matter's scope.
    "assist:intake": Route(
        lambda u: 200 if registrar(u) else 403,
        method="post",
        data={"title": "路灯不亮", "content": "路灯坏了"},
    ),
    "assist:similar": Route(on_m1, kwargs=lambda o: {"pk": o.m1.pk}),
    # Linking M1 to itself is refused with a message: the redirect shows the request got that far.
    "assist:link_repeat": Route(
        lambda u: 403 if not registrar(u) else (302 if u.username in M1_VISIBLE else 404),
        kwargs=lambda o: {"pk": o.m1.pk, "other": o.m1.pk},
        method="post",
    ),
    "assist:collective": Route(lambda u: 200 if casework(u) else 403),
    "assist:letter_new": Route(lambda u: 200 if registrar(u) else 403),
    # A scan is its uploader's alone until registered (alice's here).
    "assist:letter": Route(
        lambda u: 200 if u.username == "alice" else (404 if registrar(u) else 403),
        kwargs=lambda o: {"pk": o.scan.pk},
    ),
    "assist:letter_file": Route(
        lambda u: 200 if u.username == "alice" else (404 if registrar(u) else 403),
        kwargs=lambda o: {"pk": o.scan.pk},
    ),
    "assist:models": Route(lambda u: 200 if u.role in {Role.ADMIN, Role.ANALYST} else 403),
    "assist:model_train": Route(
        lambda u: 302 if u.role in {Role.ADMIN, Role.ANALYST} else 403, method="post", data={"kind": "unit"}
    ),
    "assist:model_activate": Route(
        lambda u: 302 if u.role in {Role.ADMIN, Role.ANALYST} else 403,
        kwargs=lambda o: {"pk": o.model_version.pk},
        method="post",
    ),
    "audit:list": Route(lambda u: 200 if u.role == Role.AUDITOR else 403),
    "audit:changes": Route(lambda u: 200 if u.role in {Role.AUDITOR, Role.ADMIN} else 403),
    **{f"administration:{name}": Route(administrator) for name in ADMIN_PAGES},
    **{
        f"administration:{name}": Route(administrator, kwargs=kwargs)
        for name, kwargs in ADMIN_EDIT_PAGES.items()
    },
    # Refused (the year needs the confirmation, national is in use, the password is missing): the
    # administrator is sent back with a message or shown the form again.
    "administration:mark_complete": Route(
        lambda u: administrator(u, 302), kwargs=lambda o: {"year": clock.today().year + 1}, method="post"
    ),
    "administration:policy_delete": Route(
        lambda u: administrator(u, 302), kwargs=ADMIN_EDIT_PAGES["policy_edit"], method="post"
    ),
    "administration:user_password": Route(
        administrator, kwargs=ADMIN_EDIT_PAGES["user_edit"], method="post", data={"password1": "x"}
    ),
    "administration:day_delete": Route(
        lambda u: administrator(u, 302), kwargs=ADMIN_EDIT_PAGES["day_edit"], method="post"
    ),
    # 公文: M1 is not accepted yet, so its 受理告知书 does not exist even for those who see M1
    # (tests/test_documents.py downloads every notice); the 督办单 follows the supervision.
    "documents:matter": Route(
        lambda u: on_m1(u, ok=404), kwargs=lambda o: {"pk": o.m1.pk, "kind": "acceptance"}
    ),
    "documents:supervision": Route(on_supervision, kwargs=lambda o: {"pk": o.supervision.pk}),
    # 办结报告: only for a matter from above once answered; M1 is neither
    "documents:completion": Route(
        lambda u: on_m1(u, ok=404), kwargs=lambda o: {"pk": o.m1.pk, "fmt": "docx"}
    ),
    # 督查督办: a supervision (sam → 东城区住建局 on M1) is seen by the issuing side and the answering
    # unit; reception days and campaigns (sam's, city bureau) by the units of 青溪市人民政府 itself;
    # scores by each unit for itself, and the ranking by leaders, supervisors and analysts.
    "supervision:board": Route(lambda u: 200 if casework(u) else 403),
    "supervision:issue": Route(lambda u: on_m1(u) if u.role in OVERSIGHT else 403, query="?matter={m1}"),
    "supervision:detail": Route(on_supervision, kwargs=lambda o: {"pk": o.supervision.pk}),
    "supervision:print": Route(on_supervision, kwargs=lambda o: {"pk": o.supervision.pk}),
    "supervision:answer_file": Route(
        on_supervision, kwargs=lambda o: {"pk": o.supervision.pk, "file": o.answer_file.pk}
    ),
    "supervision:close": Route(
        lambda u: on_supervision(u, ok=302), kwargs=lambda o: {"pk": o.supervision.pk}, method="post"
    ),
    "supervision:escalate": Route(
        lambda u: on_supervision(u, ok=302), kwargs=lambda o: {"pk": o.supervision.pk}, method="post"
    ),
    "supervision:answer": Route(
        lambda u: on_supervision(u, ok=302),
        kwargs=lambda o: {"pk": o.supervision.pk, "task": o.task.pk},
        method="post",
        data={"report": "已约谈物业公司，恢复原收费标准。"},
    ),
    "supervision:return": Route(
        lambda u: on_supervision(u, ok=302),
        kwargs=lambda o: {"pk": o.supervision.pk, "task": o.task.pk},
        method="post",
        data={"note": "请补充材料"},
    ),
    "supervision:matter_panel": Route(on_m1, kwargs=lambda o: {"pk": o.m1.pk}),
    "supervision:case_panel": Route(on_m1, kwargs=lambda o: {"case_type": "matter", "pk": o.m1.pk}),
    "supervision:remind": Route(
        lambda u: on_m1(u, ok=302),
        kwargs=lambda o: {"case_type": "matter", "pk": o.m1.pk},
        method="post",
        data={"note": "请加快办理"},
    ),
    "supervision:measure": Route(on_m1, kwargs=lambda o: {"pk": o.m1.pk}),
    "supervision:own": Route(
        lambda u: on_m1(u) if u.role in OVERSIGHT else 403, kwargs=lambda o: {"pk": o.m1.pk}
    ),
    "supervision:cases": Route(lambda u: 200 if casework(u) else 403),
    "supervision:case": Route(on_m1, kwargs=lambda o: {"pk": o.ownership.pk}),
    "supervision:receptions": Route(lambda u: 200 if casework(u) else 403),
    "supervision:reception": Route(on_city_gov, kwargs=lambda o: {"pk": o.reception.pk}),
    "supervision:campaigns": Route(lambda u: 200 if casework(u) else 403),
    "supervision:campaign": Route(on_city_gov, kwargs=lambda o: {"pk": o.campaign.pk}),
    "supervision:campaign_case": Route(
        lambda u: 200 if on_city_gov(u) == 200 and u.username in M1_VISIBLE else on_city_gov(u, ok=404),
        kwargs=lambda o: {"pk": o.campaign_case.pk},
    ),
    "supervision:ranking": Route(lambda u: 200 if u.role in RANKING else (302 if casework(u) else 403)),
    "supervision:unit_score": Route(on_d1_dept_score, kwargs=lambda o: {"unit": o.d1_dept.pk}),
    "supervision:drill": Route(
        lambda u: 403 if u.role == Role.ANALYST else on_d1_dept_score(u),
        kwargs=lambda o: {"unit": o.d1_dept.pk, "part": "timely_on"},
    ),
    # 隐患排查治理: lists, registration and the enterprise register for casework (registering for the
    # roles that register); a hazard (H1) and its enterprise are seen by those who see M1; acts by
    # the supervising unit (东城区住建局), 催办 by supervisors and leaders; statistics for analysts too.
    "hazards:queue": Route(lambda u: 200 if casework(u) else 403),
    "hazards:register": Route(lambda u: 200 if hazard_registrant(u) else 403),
    "hazards:export": Route(lambda u: 200 if casework(u) else 403),
    "hazards:detail": Route(on_m1, kwargs=lambda o: {"pk": o.ledgers.h1.pk}),
    "hazards:act": Route(
        lambda u: on_m1(u, ok=200 if u.username in {"hank", "hope"} else 403),
        kwargs=lambda o: {"pk": o.ledgers.h1.pk, "action": "record_plan"},
    ),
    "hazards:oversee": Route(
        lambda u: on_m1(u, ok=200 if u.role in OVERSIGHT else 403),
        kwargs=lambda o: {"pk": o.ledgers.h1.pk, "kind": "list"},
    ),
    "hazards:link_petition": Route(
        lambda u: on_m1(u, ok=302),
        kwargs=lambda o: {"pk": o.ledgers.h1.pk},
        method="post",
        data=lambda o: {"petition_code": o.m1.code},
    ),
    "hazards:notice": Route(on_m1, kwargs=lambda o: {"pk": o.ledgers.h1.pk}),
    "hazards:listing": Route(on_m1, kwargs=lambda o: {"pk": o.ledgers.h1.pk}),
    "hazards:photo": Route(on_m1, kwargs=lambda o: {"pk": o.ledgers.photo.pk}),
    # The panel on M1's page: those who see M1 (none of its hazards is listed there for the others).
    "hazards:matter_panel": Route(on_m1, kwargs=lambda o: {"pk": o.m1.pk}),
    "hazards:enterprises": Route(lambda u: 200 if casework(u) else 403),
    "hazards:enterprise_new": Route(lambda u: 200 if hazard_registrant(u) else 403),
    "hazards:enterprises_export": Route(lambda u: 200 if casework(u) else 403),
    "hazards:enterprise": Route(on_m1, kwargs=lambda o: {"pk": o.ledgers.chem.pk}),
    "hazards:statistics": Route(figures),
    "hazards:summary": Route(figures, query="?kind=quarterly&period=2026Q4"),
    **{
        f"hazards:{kind}_import_{page}": import_route(kind, page)
        for kind in ("enterprise", "hazard")
        for page in ("upload", "template", "job", "mapping", "cancel", "errors")
    },
    # 稳评: registration by the roles that register a decision; A1 (report issued, with 东城区人民政府
    # to decide) is seen by those who see M1, and decided by the heads of units under that
    # government (dina, hope, tina).
    "assessments:list": Route(lambda u: 200 if casework(u) else 403),
    "assessments:register": Route(
        lambda u: (
            200
            if casework(u) and u.role in {Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD, Role.LEADER}
            else 403
        )
    ),
    "assessments:export": Route(lambda u: 200 if casework(u) else 403),
    "assessments:statistics": Route(figures),
    "assessments:detail": Route(on_m1, kwargs=lambda o: {"pk": o.ledgers.a1.pk}),
    "assessments:act": Route(
        lambda u: on_m1(u, ok=200 if u.username in {"dina", "hope", "tina"} else 403),
        kwargs=lambda o: {"pk": o.ledgers.a1.pk, "action": "decide"},
    ),
    # Before the decision is implemented nothing can be linked: refused with a message.
    "assessments:link": Route(
        lambda u: on_m1(u, ok=302),
        kwargs=lambda o: {"pk": o.ledgers.a1.pk},
        method="post",
        data=lambda o: {"case_type": "matter", "code": o.m1.code},
    ),
    "assessments:report": Route(on_m1, kwargs=lambda o: {"pk": o.ledgers.a1.pk}),
    "assessments:record": Route(on_m1, kwargs=lambda o: {"pk": o.ledgers.hearing.pk}),
    # 网上信访: open to all; a matter only after its code and phone tail were checked in this session
    # (otherwise back to the tracking form).
    "portal:index": Route(lambda u: 200, anonymous=200),
    "portal:file": Route(lambda u: 200, anonymous=200),
    "portal:track": Route(lambda u: 200, anonymous=200),
    "portal:filed": Route(lambda u: 302, anonymous=302),
    "portal:matter": Route(lambda u: 302, anonymous=302, kwargs=lambda o: {"code": o.m1.code}),
    "portal:document": Route(
        lambda u: 302, anonymous=302, kwargs=lambda o: {"code": o.m1.code, "kind": "acceptance"}
    ),
    "portal:act": Route(
        lambda u: 302,
        anonymous=302,
        kwargs=lambda o: {"code": o.m1.code, "action": "withdraw"},
        method="post",
        data={"note": "冒名撤回"},
    ),
    "portal:request": Route(
        lambda u: 302, anonymous=302, kwargs=lambda o: {"code": o.m1.code, "action": "request_review"}
    ),
    "portal:display": Route(lambda u: 302, anonymous=302, method="post", data={"large": "1"}),
    "portal:public": Route(lambda u: 200, anonymous=200),
    # Open311: discovery, services, a request by its number and tokens are public (counted per
    # address); filing needs an api_key; the list needs one, or the numbers asked for.
    "open311:api-root": Route(lambda u: 404, anonymous=404),
    "open311:openapi-json": Route(lambda u: 200, anonymous=200),
    "open311:openapi-view": Route(lambda u: 200, anonymous=200),
    "open311:discovery": Route(lambda u: 200, anonymous=200, kwargs=lambda o: {"fmt": "xml"}),
    "open311:services": Route(lambda u: 200, anonymous=200, kwargs=lambda o: {"fmt": "json"}),
    "open311:service_definition": Route(
        lambda u: 200, anonymous=200, kwargs=lambda o: {"service_code": o.category.pk, "fmt": "xml"}
    ),
    "open311:create_request": api_route(
        lambda u: 201 if registrar(u) else 403,
        api_key=True,
        method="post",
        kwargs=lambda o: {"fmt": "json"},
        data=lambda o: {
            "jurisdiction_id": "990101001001",
            "service_code": str(o.category.pk),
            "description": "路灯不亮",
        },
    ),
    "open311:list_requests": Route(
        lambda u: 200, token=True, api_key=True, anonymous=400, kwargs=lambda o: {"fmt": "json"}
    ),
    # 矛盾纠纷排查化解 (on D1) and 网格事件 (on E1).
    "disputes:list": Route(lambda u: 200 if casework(u) else 403),
    "disputes:register": Route(dispute_registrar),
    "disputes:export": Route(lambda u: 200 if casework(u) else 403, query="?tab=all"),
    "disputes:detail": Route(on_d1, kwargs=lambda o: {"pk": o.d1.pk}),
    "disputes:act": Route(
        lambda u: on_d1(u, ok=200 if u.username == "tina" else 403),
        kwargs=lambda o: {"pk": o.d1.pk, "action": "assess"},
    ),
    "disputes:link_matter": Route(
        lambda u: on_d1(u, ok=302),
        kwargs=lambda o: {"pk": o.d1.pk},
        method="post",
        data=lambda o: {"code": o.m1.code},
    ),
    "disputes:to_matter": Route(
        lambda u: on_d1(u, ok=200 if u.username in {"alice", "bob", "dan", "dave", "qian"} else 403),
        kwargs=lambda o: {"pk": o.d1.pk},
    ),
    "disputes:file": Route(on_d1, kwargs=lambda o: {"pk": o.d1_file.pk}),
    "disputes:matter_panel": Route(on_m1, kwargs=lambda o: {"pk": o.m1.pk}),
    "disputes:from_event": Route(on_d1, kwargs=lambda o: {"event_pk": o.e1.pk}),
    "disputes:campaigns": Route(lambda u: 200 if casework(u) else 403),
    "disputes:campaign": Route(
        lambda u: (200 if u.username in CAMPAIGN_VISIBLE else 404) if casework(u) else 403,
        kwargs=lambda o: {"pk": o.dispute_campaign.pk},
    ),
    "disputes:campaign_report": Route(
        lambda u: (302 if u.username in CAMPAIGN_VISIBLE else 404) if casework(u) else 403,
        kwargs=lambda o: {"pk": o.dispute_campaign.pk},
        method="post",
        data={"zero": "on"},
    ),
    "disputes:campaign_remind": Route(
        lambda u: (302 if u.username in CAMPAIGN_VISIBLE else 404) if casework(u) else 403,
        kwargs=lambda o: {"pk": o.dispute_campaign.pk},
        method="post",
    ),
    "disputes:stats": Route(figures),
    "disputes:monthly_xlsx": Route(figures, query="?month=2026-11"),
    "disputes:monthly_docx": Route(figures, query="?month=2026-11"),
    "disputes:import": Route(dispute_registrar),
    "disputes:import_template": Route(dispute_registrar),
    "grid:report": Route(reporter),
    "grid:mine": Route(reporter),
    "grid:queue": Route(lambda u: 200 if casework(u) else 403),
    "grid:export": Route(lambda u: 200 if casework(u) else 403, query="?tab=all"),
    "grid:detail": Route(on_e1, kwargs=lambda o: {"pk": o.e1.pk}),
    "grid:act": Route(
        lambda u: on_e1(u, ok=200 if u.username in {"tom", "tina"} else 403),
        kwargs=lambda o: {"pk": o.e1.pk, "action": "accept"},
    ),
    # E1 is not accepted yet: nobody may turn it into a matter.
    "grid:to_matter": Route(lambda u: on_d1(u, ok=403), kwargs=lambda o: {"pk": o.e1.pk}),
    "grid:photo": Route(on_e1, kwargs=lambda o: {"pk": o.e1_photo.pk}),
    "grid:stats": Route(figures),
    "open311:request_status": Route(
        lambda u: 200 if u.username in M1_VISIBLE else 404,
        token=True,
        api_key=True,
        anonymous=200,  # without a key: the public view of a matter whose number is known
        kwargs=lambda o: {"service_request_id": o.m1.code, "fmt": "json"},
    ),
    "open311:token": Route(
        lambda u: 404, anonymous=404, kwargs=lambda o: {"token": "unknown", "fmt": "json"}
    ),
    # 12345: a 工单 in (a new number each call: the same one again answers 200 with the same matter);
    # the hotline's messages for those who dispatch and answer matters.
    "api:take_order": api_route(
        lambda u: 201 if registrar(u) else 403,
        method="post",
        data=lambda o: {
            "number": f"GD{next(HOTLINE_NUMBERS)}",
            "received_at": "2025-03-03T09:30:00+08:00",
            "place": {"division_code": "990101001001"},
            "content": "小区路灯不亮。",
        },
    ),
    "integrations:hotline": Route(hotline),
    "integrations:hotline_replay": Route(
        lambda u: hotline(u, ok=404), method="post", kwargs=lambda o: {"pk": 999999}
    ),
    "integrations:hotline_replay_all": Route(lambda u: hotline(u, ok=302), method="post"),
    # The API: its description is public, everything else needs a token.
    "api:api-root": Route(lambda u: 404, anonymous=404),
    "api:openapi-json": Route(lambda u: 200, anonymous=200),
    "api:openapi-view": Route(lambda u: 200, anonymous=200),
    "api:divisions": api_route(lambda u: 200),
    "api:units": api_route(lambda u: 200),
    "api:categories": api_route(lambda u: 200),
    "api:list_matters": api_route(lambda u: 200 if casework(u) else 403),
    "api:create_matter": api_route(lambda u: 201 if registrar(u) else 403, method="post", data=NEW_MATTER),
    "api:read_matter": api_route(on_m1, kwargs=lambda o: {"matter_id": o.m1.pk}),
    # A stale version: whoever may 受理 gets 409 and nothing changes, so every persona can try.
    "api:transition": api_route(
        lambda u: on_m1(u, ok=409 if u.username in {"hank", "hope"} else 403),
        kwargs=lambda o: {"matter_id": o.m1.pk, "action": "accept"},
        method="post",
        data={"version": 0},
    ),
}


def route_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from route_names(pattern, inner)
        else:
            # The admin has unnamed redirects of its own; anything else unnamed is reported below.
            yield namespace + (pattern.name or f"<未命名 {pattern.pattern}>")


def admin_routes():
    return sorted(n for n in set(route_names()) if n.startswith("admin:"))


def test_every_route_has_an_entry_in_the_matrix():
    names = {n for n in route_names() if not n.startswith("admin:")}
    assert names - ROUTES.keys() == set(), "新路由缺少权限矩阵条目（tests/test_route_matrix.py 的 ROUTES）"
    assert ROUTES.keys() - names == set(), "权限矩阵里有已不存在的路由"
    assert (DOWNLOAD_ROUTES | LEDGER_DOWNLOAD_ROUTES) - ROUTES.keys() == set(), "下载矩阵里有已不存在的路由"


@pytest.fixture
def objects(world):
    d = Driver(world)
    m1 = register_matter(
        world.alice,
        fields=matter_fields(world, received_at=d.now),
        petitioners=[dict(PETITIONER)],
        files=[SimpleUploadedFile("来信.pdf", b"%PDF-1.4 letter", content_type="application/pdf")],
        now=d.now,
    )
    m1 = d.do(m1, "assign", unit=world.units.d1_dept)
    storages["exports"].save("matrix.xlsx", ContentFile(b"PK"))
    job = ExportJob.objects.create(
        user=world.alice, state=ExportJob.State.DONE, file_name="matrix.xlsx", total=1
    )
    storages["imports"].save("matrix-errors.xlsx", ContentFile(b"PK"))
    import_job = ImportJob.objects.create(
        user=world.alice, original_name="台账.xlsx", header=["编号"], error_file="matrix-errors.xlsx"
    )
    version = ModelVersion.objects.create(kind="category", number=1, source="default", weights=b"")
    scan = LetterScan.objects.create(
        file=ContentFile(b"%PDF-1.4 letter", name="scan"),
        name="来信.pdf",
        content_type="application/pdf",
        uploaded_by=world.alice,
        uploaded_at=clock.now(),
    )
    today = clock.today()
    supervision = supervisions.issue(
        world.sam,
        kind="supervise",
        cases=[m1],
        level="red",
        reasons=["overdue"],
        text="请加快办理",
        due_on=today + timedelta(days=5),
    )
    owned = ownership.take_ownership(
        world.leo, m1, leader=world.leo, unit=world.units.d1_dept, plan="约谈物业", target_date=today
    )
    from disputes_helpers import grid, pdf, png
    from disputes_helpers import register as register_dispute

    from xinfang.disputes import campaigns as dispute_campaigns
    from xinfang.disputes import services as dispute_services
    from xinfang.grid import services as grid_services

    d1 = register_dispute(world)
    dispute_services.save_file(d1, uploads.prepare(pdf()), world.tom)
    e1 = grid_services.report(world.gwen, kind="safety", title="井盖缺失", description="湖滨路井盖缺失。",
                              grid=grid(world), photos=[png()])  # fmt: skip
    dispute_campaign = dispute_campaigns.create(
        world.dave,
        name="春节前集中排查",
        first=today,
        last=today + timedelta(days=10),
        units=[world.units.t1],
    )
    campaign = backlog.freeze_campaign(
        world.sam, name="积案化解", target_date=today + timedelta(days=30), rules={"codes": [m1.code]}
    )
    ledgers = ledger_objects(world)
    answer_file = SupervisionFile.objects.create(
        task=supervision.tasks.get(),
        file=ContentFile(b"%PDF-1.4 answer", name="answer"),
        name="办理情况报告.pdf",
        size=15,
        content_type="application/pdf",
        uploaded_by=world.hank,
        uploaded_at=clock.now(),
    )
    return SimpleNamespace(
        d1=d1,
        d1_file=d1.files.get(),
        e1=e1,
        e1_photo=e1.photos.get(),
        dispute_campaign=dispute_campaign,
        ledgers=ledgers,
        supervision=supervision,
        answer_file=answer_file,
        task=supervision.tasks.get(),
        ownership=owned,
        reception=reception_days.schedule_reception(
            world.sam, leader=world.leo, date=today, place="市信访接待中心"
        ),
        campaign=campaign,
        campaign_case=campaign.cases.get(),
        d1_dept=world.units.d1_dept,
        model_version=version,
        scan=scan,
        export_job=job,
        import_job=import_job,
        m1=m1,
        attachment=m1.attachments.get(),
        category=world.category,
        expires=timezone.now() + timedelta(days=1),
        warning=Warning.objects.create(
            kind=Warning.Kind.SURGE_DAY,
            severity=2,
            raised_on=today,
            first=today,
            last=today,
            division=world.divisions.d1,
            observed=9,
            expected=2,
            low=0,
            high=5,
            title="东城区「物业管理」当日信访量异常",
            detail="…",
            fingerprint="matrix",
        ),
    )


def call(client, name, route, objects, token=None):
    url = reverse(name, kwargs=route.kwargs(objects)) + route.query.format(m1=objects.m1.pk)
    data = route.data(objects) if callable(route.data) else dict(route.data or {})
    kw = {}
    if route.api_key:
        data["api_key"] = token or ""
    elif token:
        kw["headers"] = {"Authorization": f"Bearer {token}"}
        if route.method == "post":
            kw["content_type"] = "application/json"
    if data.get("client_key"):
        data["category_id"] = objects.category.pk
    return getattr(client, route.method)(url, data, **kw)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_for_every_persona(client, world, objects, name):
    route = ROUTES[name]
    anonymous = call(client, name, route, objects)
    if route.anonymous == "login":
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/"), name
    else:
        assert anonymous.status_code == route.anonymous, name
    wrong = {}
    for username in SIGNED_IN:
        user = world.users[username]
        client.logout()
        token = None
        if route.token:
            token = ApiToken.issue(name="矩阵", user=user, scopes=Scope.values, expires_at=objects.expires)[1]
        else:
            sign_in(client, username)
        last = call(client, name, route, objects, token)
        got = last.status_code
        expected = route.expect(world.users[username])
        if last.get("Content-Disposition", "").startswith("attachment"):
            assert name in DOWNLOAD_ROUTES | LEDGER_DOWNLOAD_ROUTES, (
                f"{name} 提供文件下载，须列入 tests/test_download_scoping.py（或 test_prevention_downloads.py）"
            )
        if got != expected:
            wrong[username] = (got, expected, last.content.decode()[:200])
    assert wrong == {}, f"{name}: (得到, 应为, 回应)"


def test_admin_site_is_for_administrators_only(client, world):
    """The admin's own permission check (active staff) guards all of it; no casework role is staff."""
    staff = {u for u, user in world.users.items() if user.is_staff}
    assert staff == {"root"}
    # The admin's own sign-in and sign-out pages are the way in and out, not a resource.
    plain = [
        n for n in admin_routes() if n not in {"admin:login", "admin:logout"} and not reverse_needs_args(n)
    ]
    assert "admin:index" in plain and len(plain) > 10
    for username in SIGNED_IN:
        client.logout()
        sign_in(client, username)
        for name in plain:
            response = client.get(reverse(name))
            if username in staff:
                # Registers that are not added to by hand refuse 新增: lockout records, API
                # tokens (issued by `xinfang tokens create`), model versions (made by training) and
                # suggestion feedback (made by the pages); autocomplete needs parameters.
                refused = (
                    name == "admin:autocomplete"
                    or name
                    in {
                        "admin:api_apitoken_add",
                        "admin:assist_modelversion_add",
                        "admin:assist_feedback_add",
                    }
                    or (name.startswith("admin:axes_") and name.endswith("_add"))
                )
                assert response.status_code == (403 if refused else 200), name
            else:
                assert response.status_code == 302, (username, name)
                assert response["Location"].startswith("/admin/login/"), (username, name)


def reverse_needs_args(name):
    try:
        reverse(name)
    except Exception:  # noqa: BLE001 — NoReverseMatch, or a converter refusing the empty value
        return True
    return False


@pytest.mark.parametrize("case_type", ["hazard", "assessment"])
def test_supervisions_panel_on_a_ledgers_case_is_scoped_like_the_case(client, world, objects, case_type):
    """supervision:case_panel is one route for every case type; the matrix above calls it on M1."""
    case = objects.ledgers.h1 if case_type == "hazard" else objects.ledgers.a1
    url = reverse("supervision:case_panel", kwargs={"case_type": case_type, "pk": case.pk})
    wrong = {}
    for username in SIGNED_IN:
        client.logout()
        sign_in(client, username)
        got = client.get(url).status_code
        if got != on_m1(world.users[username]):
            wrong[username] = (got, on_m1(world.users[username]))
    assert wrong == {}
