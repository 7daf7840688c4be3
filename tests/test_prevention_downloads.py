"""Every download of the prevention ledgers × every persona, the file opened: a list export, a
公文 or a summary names (by code or title) no hazard, enterprise or assessment outside the reader's
scope, and none at all for a role without casework (analysts get figures only). The records are
those of prevention.ledger_objects (H1, A1 and 湖滨化工 are seen by those who see M1 of
test_scoping.py; H2, A2 and 南山商贸城 by the city and 南山区)."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from conftest import sign_in
from django.urls import reverse
from prevention import ledger_objects
from test_download_scoping import body_of, docx_text, xlsx_text
from test_scoping import EXPECTED

from xinfang.org.models import Role

PERSONAS = sorted(EXPECTED)
FIRST = {name for name, keys in EXPECTED.items() if "M1" in keys}  # who sees H1, A1, 湖滨化工
SOUTH = {"alice", "bob", "carol", "sam", "leo", "nick", "nora"}  # who sees H2, A2, 南山商贸城
CODE = re.compile(r"(YH|WP)\d{8}")


def casework(user):
    return user.does_casework


def registrant(user):
    return casework(user) and user.role in {Role.REGISTRAR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD}


def figures(user):
    return 200 if casework(user) or user.role == Role.ANALYST else 403


def on_first(user):
    return 403 if not casework(user) else (200 if user.username in FIRST else 404)


@dataclass(frozen=True)
class Download:
    route: str
    expect: Callable
    read: Callable = docx_text
    kwargs: Callable = lambda o: {}
    query: dict | None = None
    shows: Callable = lambda user: set()  # record keys the file must name for this persona
    marks: tuple = ()


DOWNLOADS = {
    "hazard-list": Download(
        "hazards:export",
        lambda u: 200 if casework(u) else 403,
        xlsx_text,
        query={"tab": "all"},
        shows=lambda u: (
            ({"H1"} if u.username in FIRST else set()) | ({"H2"} if u.username in SOUTH else set())
        ),
        marks=("隐患排查治理台账",),
    ),
    "enterprise-list": Download(
        "hazards:enterprises_export",
        lambda u: 200 if casework(u) else 403,
        xlsx_text,
        shows=lambda u: (
            ({"chem"} if u.username in FIRST else set()) | ({"market"} if u.username in SOUTH else set())
        ),
        marks=("生产经营单位名录",),
    ),
    "hazard-notice": Download(
        "hazards:notice",
        on_first,
        kwargs=lambda o: {"pk": o.h1.pk},
        shows=lambda u: {"H1"},
        marks=("隐患整改通知书",),
    ),
    "hazard-listing": Download(
        "hazards:listing",
        on_first,
        kwargs=lambda o: {"pk": o.h1.pk},
        shows=lambda u: {"H1"},
        marks=("挂牌督办公告",),
    ),
    # The majors' list of the summary names the major hazards the reader may open (H1).
    "summary-docx": Download(
        "hazards:summary",
        figures,
        query={"kind": "quarterly", "period": "2026Q4", "format": "docx"},
        shows=lambda u: {"H1"} if u in FIRST else set(),
        marks=("安全生产隐患排查治理情况的报告",),
    ),
    "summary-xlsx": Download(
        "hazards:summary",
        figures,
        xlsx_text,
        query={"kind": "annual", "period": "2026", "format": "xlsx"},
        shows=lambda u: {"H1"} if u in FIRST else set(),
        marks=("按行业监管部门",),
    ),
    "statistics-xlsx": Download(
        "hazards:statistics", figures, xlsx_text, query={"export": "xlsx"}, marks=("按行业",)
    ),
    **{
        f"{kind}-template": Download(
            f"hazards:{kind}_import_template",
            lambda u: 200 if registrant(u) else 403,
            xlsx_text,
            marks=("填写说明",),
        )
        for kind in ("enterprise", "hazard")
    },
    **{
        f"{kind}-errors": Download(
            f"hazards:{kind}_import_errors",
            lambda u: 200 if u.username == "alice" else (404 if registrant(u) else 403),
            lambda content: content.decode("latin-1"),
            kwargs=lambda o, kind=kind: {"pk": getattr(o, f"{kind}_job").pk},
        )
        for kind in ("enterprise", "hazard")
    },
    "assessment-list": Download(
        "assessments:export",
        lambda u: 200 if casework(u) else 403,
        xlsx_text,
        query={"tab": "all"},
        shows=lambda u: (
            ({"A1"} if u.username in FIRST else set()) | ({"A2"} if u.username in SOUTH else set())
        ),
        marks=("社会稳定风险评估台账",),
    ),
    "assessment-report": Download(
        "assessments:report",
        on_first,
        kwargs=lambda o: {"pk": o.a1.pk},
        shows=lambda u: {"A1"},
        marks=("社会稳定风险评估报告",),
    ),
}
DOWNLOAD_ROUTES = {d.route for d in DOWNLOADS.values()}


def records(o) -> dict:
    return {
        "H1": [o.h1.display_code, o.h1.title],
        "H2": [o.h2.display_code, o.h2.title],
        "A1": [o.a1.display_code],
        "A2": [o.a2.display_code, o.a2.title],
        "chem": [o.chem.name],
        "market": [o.market.name],
    }


def named(text: str, o) -> set[str]:
    flat = "".join(text.split())
    return {key for key, marks in records(o).items() if any("".join(m.split()) in flat for m in marks)}


@pytest.fixture
def objects(world, settings, tmp_path):
    return ledger_objects(world)


@pytest.mark.parametrize("name", sorted(DOWNLOADS))
def test_ledger_download_for_every_persona(client, world, objects, name):
    download = DOWNLOADS[name]
    url = reverse(download.route, kwargs=download.kwargs(objects))
    wrong, got = {}, 0
    visible = {"H1": FIRST, "chem": FIRST, "A1": FIRST, "H2": SOUTH, "market": SOUTH, "A2": SOUTH}
    for username in PERSONAS:
        user = world.users[username]
        client.logout()
        sign_in(client, username)
        response = client.get(url, download.query or {})
        expected = download.expect(user)
        if response.status_code != expected:
            wrong[username] = (response.status_code, expected)
            continue
        if expected != 200:
            continue
        assert response["Content-Disposition"].startswith("attachment"), (name, username)
        text = download.read(body_of(response))
        seen = named(text, objects)
        outside = {key for key in seen if username not in visible[key]}
        assert not outside, f"{username} 得到范围外的 {outside}"
        assert seen >= download.shows(user if download.route != "hazards:summary" else username), (
            username,
            seen,
        )
        if not user.does_casework:
            assert not CODE.search(text), username
        for mark in download.marks:
            assert mark in text, (username, mark)
        got += 1
    assert wrong == {}, f"{name}: (得到, 应为)"
    assert got, f"{name}: 没有任何人能下载"
