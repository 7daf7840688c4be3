"""Locust scenario of bench_load.py: staff working their queues.

Run by benchmarks/bench_load.py (headless, one process). Each simulated user is one signed-in staff
member: the sessions come from benchmarks/bulk_matters.py (file named by XF_BENCH_SESSIONS), handed
out round-robin, so registrars, dispatchers and handlers of the city, the districts and the
townships all take part and every scoping rule is exercised. Think time between two requests of a
user: XF_BENCH_WAIT="min,max" seconds.

Page types (the locust request names, reported separately by bench_load.py):

* ``queue`` — GET /matters/ (我的待办), sometimes filtered by deadline light or status, sometimes
  page 2;
* ``all`` — GET /matters/?tab=all (全部事项) with a page number and filters: status, channel, nature,
  first-level category, deadline light, a received-date range or a 查询码. Filter changes are sent
  as the filter form sends them (htmx, the table fragment); paging as the pager links do;
* ``detail`` — GET /matters/<pk>/ of a matter the user has just seen in one of their lists;
* ``baseline`` — GET /login/, a page without queries on matters, under the same load: what any
  request costs on this machine (session, middleware, template).

Every response must be 200 (redirects are not followed: a redirect to /login/ would mean a lost
session) and contain its page's marker, or it counts as an error.

Not measured yet — citizens: see ``CitizenUser`` below, the marked place for the citizen
portal's filing and tracking tasks.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import date, timedelta
from itertools import count

from locust import HttpUser, between, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

SESSIONS = json.loads(open(os.environ["XF_BENCH_SESSIONS"], encoding="utf-8").read())
_WAIT = [float(x) for x in os.environ.get("XF_BENCH_WAIT", "0.5,2").split(",")]
_next_session = count()

DETAIL_LINK = re.compile(r'href="/matters/(\d+)/"')
CODE_CELL = re.compile(r'<td class="code">([0-9A-Z-]{14})</td>')
CATEGORY_OPTION = re.compile(r'<option value="(\d+)"')
PAGE_OF = re.compile(r"第 (\d+) / (\d+) 页")
MAX_BROWSE_PAGES = 20  # staff page back this far at most
STATUSES = [
    "registered",
    "dispatched",
    "handling",
    "reply_pending",
    "replied",
    "review_requested",
    "reviewed",
    "closed",
    "referred",
    "not_accepted",
    "withdrawn",
]
OPEN_STATUSES = ["registered", "dispatched", "handling", "reply_pending", "replied"]
CHANNELS = ["letter", "visit", "online", "phone", "fax", "leader", "upper_forwarded", "upper_assigned"]
NATURES = ["advice", "accusation", "appeal"]
LIGHTS = ["overdue", "warning", "normal"]
HTMX = {"HX-Request": "true", "HX-Target": "queue-table", "HX-Current-URL": "/matters/?tab=all"}


class StaffUser(HttpUser):
    """A staff member of the demo city with a signed-in session."""

    wait_time = between(*_WAIT)

    def on_start(self):
        # Like a browser, send a GET again once when the server had just closed the kept-alive
        # connection it went out on (gunicorn closes idle connections after 2 s, the think time is
        # up to 2 s). A worker that really dies is counted from the server log by bench_load.py.
        retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"})
        self.client.mount("http://", HTTPAdapter(max_retries=retry))
        self.account = SESSIONS[next(_next_session) % len(SESSIONS)]
        self.client.cookies.set("sessionid", self.account["session"])
        self.seen = []  # matter ids from the user's recent list pages
        self.codes = []
        self.categories = []
        self.all_pages = 1
        self.queue_pages = 1
        self.open_queue()

    # -- helpers

    def fetch(self, url, name, marker, headers=None):
        with self.client.get(
            url, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as resp:
            if resp.status_code == 0:  # no response at all
                resp.failure(f"connection error: {resp.error!r}")
                return ""
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code} {resp.headers.get('Location', '')}".strip())
                return ""
            text = resp.text
            if marker not in text:
                resp.failure(f"marker {marker!r} missing")
                return ""
            resp.success()
            return text

    def remember(self, html):
        ids = DETAIL_LINK.findall(html)
        if ids:
            self.seen = (ids + self.seen)[:200]
        codes = CODE_CELL.findall(html)
        if codes:
            self.codes = (codes + self.codes)[:50]

    @staticmethod
    def pages_of(html):
        """Pages to browse: the pager's total, or — without a total — 20 if a next page exists."""
        found = PAGE_OF.search(html)
        if found:
            return int(found.group(2))
        return MAX_BROWSE_PAGES if "下一页" in html else 1

    def open_queue(self, params=""):
        html = self.fetch(f"/matters/{params}", "queue", "<table")
        if html:
            self.remember(html)
            if not params:
                self.queue_pages = self.pages_of(html)
            if not self.categories:
                self.categories = CATEGORY_OPTION.findall(html)
        return html

    # -- tasks

    @task(4)
    def queue(self):
        r = random.random()
        if r < 0.7:
            self.open_queue()
        elif r < 0.8 and self.queue_pages > 1:
            self.open_queue(f"?tab=todo&page={random.randint(2, min(self.queue_pages, 5))}")
        elif r < 0.9:
            self.open_queue(f"?tab=todo&light={random.choice(LIGHTS)}")
        else:
            self.open_queue(f"?tab=todo&status={random.choice(OPEN_STATUSES)}")

    @task(3)
    def all_matters(self):
        r = random.random()
        if r < 0.35:
            url, headers = "/matters/?tab=all", None
        elif r < 0.55:
            last = min(self.all_pages, MAX_BROWSE_PAGES)  # mostly the first pages, sometimes further
            if last < 2:
                page = 1
            elif last <= 5 or random.random() < 0.7:
                page = random.randint(2, min(last, 5))
            else:
                page = random.randint(6, last)
            url, headers = f"/matters/?tab=all&page={page}", None
        else:
            url, headers = "/matters/?tab=all&" + self.filters(), HTMX
        html = self.fetch(url, "all", "<table", headers)
        if html:
            self.remember(html)
            if url == "/matters/?tab=all":
                self.all_pages = self.pages_of(html)

    def filters(self) -> str:
        kind = random.choice(
            ["status", "channel", "nature", "category", "light", "dates", "code", "combined"]
        )
        if kind == "status":
            return f"status={random.choice(STATUSES)}"
        if kind == "channel":
            return f"channel={random.choice(CHANNELS)}"
        if kind == "nature":
            return f"nature={random.choice(NATURES)}"
        if kind == "category" and self.categories:
            return f"category={random.choice(self.categories)}"
        if kind == "light":
            return f"light={random.choice(LIGHTS)}"
        if kind == "code" and self.codes:
            return f"q={random.choice(self.codes)}"
        if kind == "combined":
            return f"status={random.choice(OPEN_STATUSES)}&light={random.choice(LIGHTS)}"
        start = date.today() - timedelta(days=random.randint(30, 700))
        return f"received_from={start}&received_to={start + timedelta(days=30)}"

    @task(6)
    def detail(self):
        if not self.seen:  # nothing in this user's lists yet
            if not self.open_queue():
                self.remember(self.fetch("/matters/?tab=all", "all", "<table"))
            return
        pk = random.choice(self.seen[:60])
        self.fetch(f"/matters/{pk}/", "detail", "办理过程")

    @task(1)
    def baseline(self):
        self.fetch("/login/", "baseline", "<form")


class CitizenUser(HttpUser):
    """Citizen tasks (群众端) go here: filing and tracking through the citizen portal.

    This scenario was written when the portal did not exist; it has since arrived
    (``xinfang/portal/``, under ``/portal/``), but its tasks are not part of the scenario yet, so the
    class is abstract and locust never runs it. To add them: give it a weight next to StaffUser and
    tasks with their own request names — ``portal_file`` (GET /portal/file/, then POST the form with
    its CSRF token; the 查询码 comes back on /portal/filed/) and ``portal_track`` (POST
    /portal/track/ with a code and the phone's last four digits, then GET /portal/m/<code>/) —
    keep the codes it receives so that tracking hits real matters, and add the names to PAGES in
    bench_load.py. All simulated citizens come from 127.0.0.1, so the server needs the portal's
    per-address limits raised (XINFANG_PORTAL_FILE_RATE, XINFANG_PORTAL_IDENTITY_RATE,
    XINFANG_PORTAL_TRACK_RATE) and no challenge (XINFANG_PORTAL_CHALLENGE unset); filing writes
    matters, so the figures then include SQLite's single writer.
    """

    abstract = True
