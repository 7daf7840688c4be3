"""Every role's main pages in headless Chromium, on a phone and on a desktop browser that speaks
English: each page is checked with axe-core (no serious or critical violation), for English words in
what it shows, and for controls the browser draws in its own language — a bare file input, a date
input, a form the browser checks itself (tests/page_checks.py). On each matter page, every action
the user is offered is opened too.

Set XINFANG_SCREENSHOTS to a folder to keep a screenshot of every page."""

from datetime import date

import pytest
from conftest import Driver
from page_checks import check
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)
from test_browser_citizen import opened
from test_browser_staff import login

from xinfang.petitions.choices import Status
from xinfang.supervision import supervisions
from xinfang.supervision.models import Supervision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The test's users have no full names: the header shows their user names.
USERS = {"alice", "bob", "hank", "hope", "sam", "leo", "ann", "root", "audrey", "tina", "dina"}

# Who opens which pages; "matter:<status>" is a matter at that status, with its action pages.
JOURNEYS = {
    "alice": [
        "/matters/",
        "/matters/register/",
        "/assist/letters/",
        "/ledger/",
        "/integrations/12345/",
        "matter:registered",
    ],
    "bob": ["/matters/?tab=all", "matter:registered"],
    "hank": ["/matters/", "matter:handling", "supervision"],
    "hope": ["/matters/", "matter:reply_pending"],
    "dina": ["matter:review_requested"],
    "sam": [
        "/supervision/",
        "/supervision/new/",
        "supervision",
        "/supervision/scores/",
        "/analytics/",
        "/analytics/warnings/",
        "/disputes/statistics/",
        "/grid/statistics/",
    ],
    "leo": ["/analytics/cockpit/", "/supervision/cases/"],
    "ann": ["/analytics/report/", "/hazards/statistics/", "/assessments/statistics/"],
    "tina": [
        "/disputes/",
        "/disputes/register/",
        "/disputes/import/",
        "/grid/events/",
        "/hazards/",
        "/hazards/register/",
        "/hazards/enterprises/new/",
        "/assessments/",
        "/assessments/register/",
    ],
    "root": ["/manage/", "/manage/calendar/import/", "/manage/users/add/", "/manage/policies/add/"],
    "audrey": ["/audit/"],
}


@pytest.fixture
def matters(world):
    driver = Driver(world)
    found = {}
    for status in (Status.REGISTERED, Status.HANDLING, Status.REPLY_PENDING, Status.REVIEW_REQUESTED):
        found[status.value] = driver.to(status)
        driver.tick(3)
    found["supervision"] = supervisions.issue(
        world.sam,
        kind=Supervision.Kind.SUPERVISE,
        cases=[found["handling"]],
        level="yellow",
        reasons=["overdue"],
        text="请于期限内办结。",
        due_on=date(2030, 1, 10),
    )
    return found


def visit(page, base, target, matters, name):
    """Open one page of a journey (a matter and each of its actions, when it is one); the problems."""
    problems = []
    if target == "supervision":
        page.goto(f"{base}/supervision/{matters['supervision'].pk}/")
        return check(page, name, allow=USERS)
    if not target.startswith("matter:"):
        page.goto(base + target)
        return check(page, name, allow=USERS)
    matter = matters[target.split(":")[1]]
    page.goto(f"{base}/matters/{matter.pk}/")
    problems += check(page, name, allow=USERS)
    actions = page.eval_on_selector_all("a[href*='/act/']", "links => links.map(a => a.getAttribute('href'))")
    assert actions, f"{name}：事项页上没有可办理的操作"
    for href in sorted(set(actions)):
        page.goto(base + href)
        problems += check(page, f"{name}-{href.rstrip('/').rsplit('/', 1)[-1]}", allow=USERS)
    return problems


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_roles_main_pages_are_accessible_in_chinese_and_drawn_by_the_product(
    world,
    live_server,
    browser,  # noqa: F811
    matters,
    size,
):
    base, problems, errors = live_server.url, [], []
    page = opened(browser, size, errors)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for username, targets in JOURNEYS.items():
        login(page, base, username)
        for n, target in enumerate(targets):
            problems += visit(page, base, target, matters, f"{size}-{username}-{n}")
        page.context.clear_cookies()
    assert problems == [], "\n".join(problems)
    assert errors == []
