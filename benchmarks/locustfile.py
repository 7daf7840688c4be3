"""Locust scenario of bench_load.py: staff working their queues, citizens filing and tracking.

Run by benchmarks/bench_load.py (headless, one process). Two kinds of simulated users, four staff
members to one citizen (weights STAFF_WEIGHT = 4, CITIZEN_WEIGHT = 1: of 20 users, 16 are staff
and 4 citizens). Think time between two tasks of a user: XF_BENCH_WAIT="min,max" seconds.

Staff (``StaffUser``): each is one signed-in staff member. The sessions come from
benchmarks/bulk_matters.py (file named by XF_BENCH_SESSIONS), handed out round-robin, so
registrars, dispatchers and handlers of the city, the districts and the townships all take part and
every scoping rule is exercised. Page types (the locust request names, reported separately by
bench_load.py):

* ``queue`` — GET /matters/ (我的待办), sometimes filtered by deadline light or status, sometimes
  page 2;
* ``all`` — GET /matters/?tab=all (全部事项) with a page number and filters: status, channel, nature,
  first-level category, deadline light, a received-date range or a 查询码. Filter changes are sent
  as the filter form sends them (htmx, the table fragment); paging as the pager links do;
* ``detail`` — GET /matters/<pk>/ of a matter the user has just seen in one of their lists;
* ``baseline`` — GET /login/, a page without queries on matters, under the same load: what any
  request costs on this machine (session, middleware, template).

Every staff response must be 200 (redirects are not followed: a redirect to /login/ would mean a
lost session) and contain its page's marker, or it counts as an error.

Citizens (``CitizenUser``, the portal 网上信访 under /portal/, no account): each task is a new
visitor who opens a form and posts it with its CSRF token —

* ``portal_form`` — GET /portal/file/ or /portal/track/, the form page (it sets the CSRF cookie);
* ``portal_file`` — POST /portal/file/: a new petition (valid ID number, new mobile number, place
  and category from the form's options), redirect followed to /portal/filed/ with the 查询码.
  Every filing registers a matter: the write path under load;
* ``portal_track`` — POST /portal/track/ with a 查询码 and the phone's last four digits, redirect
  followed to /portal/m/<code>/, the matter's public timeline. The codes are the citizens' own
  filings (kept in TRACKABLE, shared by all citizens) and matters of the loaded data
  (XF_BENCH_PORTAL_CODES, sampled by bench_load.py).

A citizen's POST must redirect exactly where the flow goes (302 to /portal/filed/ or
/portal/m/<code>/), and the page there must be 200 with its marker; a form shown again with errors
(reported with them), a 403 or a 429 is an error. Not in the mix: attachments, the petitioner's
acts on the matter page (rate, review, withdraw), keyword searches of staff.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import date, timedelta
from itertools import count
from urllib.parse import urlsplit

from locust import HttpUser, between, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

SESSIONS = json.loads(open(os.environ["XF_BENCH_SESSIONS"], encoding="utf-8").read())
_WAIT = [float(x) for x in os.environ.get("XF_BENCH_WAIT", "0.5,2").split(",")]
_next_session = count()
WRITES = os.environ.get("XF_BENCH_WRITES")  # a file to note each 查询码 the portal gave back

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
STAFF_WEIGHT = 4
CITIZEN_WEIGHT = 1

# -- citizens

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SELECT = re.compile(r'<select name="(\w+)"[^>]*>(.*?)</select>', re.S)
OPTGROUP = re.compile(r'<optgroup label="([^"]*)">(.*?)</optgroup>', re.S)
OPTION = re.compile(r'<option value="([^"]+)"[^>]*>([^<]*)</option>')
ERRORS = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)
FILED_CODE = re.compile(r'<p class="tracking-code">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</p>')
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_REGIONS = ("330102", "330106", "330110", "330182", "330185", "331002", "331081")
PHONE_PREFIX = random.choice(["35", "36", "38", "39", "58", "86", "87"])  # after the leading 1
_filing = count(random.randrange(1_000_000, 5_000_000))  # numbers ID, phone and text of each filing
MAX_TRACKABLE = 2000
TRACKABLE: list[tuple[str, str]] = []  # (查询码 as printed, phone's last 4 digits) of citizens' filings
_seeded = os.environ.get("XF_BENCH_PORTAL_CODES")
SEEDED = [tuple(x) for x in json.loads(open(_seeded, encoding="utf-8").read())] if _seeded else []
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN_NAMES = ["建国", "秀英", "志强", "桂兰", "海燕", "国华", "丽娟", "文明", "晓东", "春梅", "德福", "玉珍"]
COMPLAINED = ["镇城建办", "街道办事处", "村民委员会", "区住建局", "县自然资源局"]
PETITION_TEXTS = [
    (
        "小区物业擅自提高停车费",
        "物业公司未经业主大会同意，把地面停车费由每月100元提高到200元，业主多次反映没有回应。",
        "恢复原收费标准，公开收费依据。",
    ),
    (
        "道路施工噪声扰民",
        "小区南侧道路夜间施工到凌晨两点，噪声很大，老人孩子无法休息，已持续半个月。",
        "禁止夜间施工，按规定时间作业。",
    ),
    (
        "拖欠农民工工资",
        "我在某建筑工地做了八个月木工，老板至今拖欠工资三万二千元，找项目部多次未果。",
        "督促用工单位尽快足额支付工资。",
    ),
    (
        "村里路灯长期不亮",
        "村口到学校的一段路十几盏路灯坏了三个多月，晚上学生回家很不安全。",
        "尽快修复路灯。",
    ),
    (
        "低保申请迟迟没有结果",
        "家中老人患病失去劳动能力，半年前提交了低保申请，至今没有答复。",
        "依规审核并告知结果。",
    ),
    (
        "楼上住户违规搭建阳光房",
        "楼上住户在露台违规搭建阳光房，雨水渗漏到我家，影响房屋安全。",
        "依法查处并拆除违建，赔偿损失。",
    ),
    (
        "饮用水水质浑浊",
        "最近一个月自来水经常发黄浑浊，有异味，不敢直接饮用。",
        "检测水质，查明原因并整改。",
    ),
    (
        "征地补偿款未发放到位",
        "我家承包地去年被征收，补偿款至今只发放了一半，村里说在走程序。",
        "按协议发放剩余补偿款，公开补偿明细。",
    ),
]


def id_number(n: int) -> str:
    """A resident ID number of its own for filing n: birth date and sequence from n, and the
    GB 11643 check character."""
    birth = date(1950, 1, 1) + timedelta(days=(n // 1000) % 18000)
    body = f"{random.choice(ID_REGIONS)}{birth:%Y%m%d}{n % 1000:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def select_options(html: str) -> dict[str, list[tuple[str, str]]]:
    """The non-empty options (value, label) of every <select> of a form page, by field name."""
    return {
        name: [(v, label) for v, label in OPTION.findall(body) if v] for name, body in SELECT.findall(html)
    }


def township_options(html: str) -> list[str]:
    """问题发生地 down to township or village: the options grouped under their county (the first
    group, 市、区（县）, holds the levels above)."""
    body = dict(SELECT.findall(html)).get("division", "")
    return [
        v
        for label, group in OPTGROUP.findall(body)
        if label != "市、区（县）"
        for v, _l in OPTION.findall(group)
        if v
    ]


def missing_options(html: str) -> str | None:
    options = select_options(html)
    missing = [f for f in ("category", "nature", "request_type") if not options.get(f)]
    if not township_options(html):
        missing.append("division (township or village)")
    return f"no options for {', '.join(missing)}" if missing else None


def form_errors(html: str) -> str:
    """The error messages of a form shown again, as one line."""
    texts = [re.sub(r"<[^>]+>", " ", e).split() for e in ERRORS.findall(html)]
    return "; ".join(" ".join(t) for t in texts if t)[:300]


class StaffUser(HttpUser):
    """A staff member of the demo city with a signed-in session."""

    weight = STAFF_WEIGHT
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
    """A citizen using the portal (网上信访) in a fresh browser: files a petition or tracks one.

    Each task starts without cookies (a new visitor: the session and the CSRF cookie come with the
    form page, as in a browser), opens the form — ``portal_form``, GET /portal/file/ or
    /portal/track/ — and posts it with the CSRF token (the ``csrftoken`` cookie and the form's
    hidden ``csrfmiddlewaretoken``):

    * ``portal_file`` (weight 1) — POST /portal/file/ with consent, a new 18-digit ID number
      (valid GB 11643 check digit), a new mobile number, a 问题发生地 (township or village) and a
      问题类别, 性质 and 诉求类型 taken from the form's own <select> options, and a Chinese title,
      content and request. The redirect is followed and must lead to /portal/filed/ showing
      提交成功 (not 已提交过相同的…) and the 查询码; code and the phone's last four digits go into
      ``TRACKABLE``, shared by all citizens. Identity, phone and text are new for every filing,
      so the portal's duplicate merge never applies: each filing registers a matter (a write; on
      SQLite, queued behind the single writer).
    * ``portal_track`` (weight 2) — POST /portal/track/ with a known 查询码 (as printed, with
      dashes) and the phone's last four digits; the redirect is followed and must lead to
      /portal/m/<code>/, that matter's public timeline (办理过程, the same 查询码). Half of the
      time, and always while nothing has been filed yet, the code is one of the loaded matters
      (XF_BENCH_PORTAL_CODES, sampled by bench_load.py); otherwise a citizen's own filing. With
      neither, the citizen files first.

    Status, redirect target and page marker of every response are checked as for staff: a form
    shown again with errors, a 403 (CSRF) or a 429 (rate limit) is an error, with its reason.
    bench_load.py raises the portal's rate limits for the server, since every simulated citizen
    comes from 127.0.0.1, and runs it without a challenge.
    """

    weight = CITIZEN_WEIGHT
    wait_time = between(*_WAIT)

    def on_start(self):
        retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"})
        self.client.mount("http://", HTTPAdapter(max_retries=retry))

    # -- helpers

    def open_form(self, url, marker, check=None):
        """A new visitor opens a form page: its HTML and the token of its hidden CSRF field."""
        self.client.cookies.clear()
        with self.client.get(url, name="portal_form", allow_redirects=False, catch_response=True) as resp:
            if resp.status_code == 0:
                resp.failure(f"connection error: {resp.error!r}")
                return "", ""
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code} {resp.headers.get('Location', '')}".strip())
                return "", ""
            html = resp.text
            token = CSRF_FIELD.search(html)
            problem = (
                f"marker {marker!r} missing"
                if marker not in html
                else "no csrfmiddlewaretoken field"
                if token is None
                else "no csrftoken cookie"
                if not self.client.cookies.get("csrftoken")
                else check(html)
                if check
                else None
            )
            if problem:
                resp.failure(f"{url}: {problem}")
                return "", ""
            resp.success()
            return html, token.group(1)

    def post_form(self, url, name, data, expect_path, check):
        """POST a form and follow its redirect: one 302 to `expect_path`, there a 200 page that
        passes `check` (a function giving the problem, or None)."""
        with self.client.post(url, data=data, name=name, allow_redirects=True, catch_response=True) as resp:
            if resp.status_code == 0:
                resp.failure(f"connection error: {resp.error!r}")
                return ""
            if not resp.history:  # the form came back with errors, or a 403 / 429 page
                errors = form_errors(resp.text) if resp.status_code == 200 else ""
                resp.failure(f"HTTP {resp.status_code}, no redirect {errors}".strip())
                return ""
            hops = [(r.status_code, r.headers.get("Location", "")) for r in resp.history]
            if hops != [(302, expect_path)]:
                resp.failure(f"redirect {hops}, expected [(302, {expect_path!r})]")
                return ""
            if resp.status_code != 200 or urlsplit(resp.url).path != expect_path:
                resp.failure(f"{expect_path}: HTTP {resp.status_code} at {resp.url}")
                return ""
            problem = check(resp.text)
            if problem:
                resp.failure(f"{expect_path}: {problem}")
                return ""
            resp.success()
            return resp.text

    # -- tasks

    @task(1)
    def portal_file(self):
        html, token = self.open_form("/portal/file/", 'name="consent"', check=missing_options)
        if not html:
            return
        options = select_options(html)
        n = next(_filing)
        phone = f"1{PHONE_PREFIX}{n % 10**8:08d}"
        topic, text, ask = random.choice(PETITION_TEXTS)
        nature = random.choice([value for value, _ in options["nature"]])
        data = {
            "csrfmiddlewaretoken": token,
            "name": random.choice(SURNAMES) + random.choice(GIVEN_NAMES),
            "id_number": id_number(n),
            "phone": phone,
            "address": f"青溪市幸福路{random.randint(1, 300)}号{random.randint(1, 30)}栋{random.randint(101, 2802)}室",
            "division": random.choice(township_options(html)),
            "nature": nature,
            "request_type": random.choice([value for value, _ in options["request_type"]]),
            "category": random.choice([value for value, _ in options["category"]]),
            "title": f"{topic}（第{n}号）",
            "content": f"{text}（第{n}号反映，{date.today():%Y年%m月%d日}通过网上信访提交。）",
            "request": ask,
            "complained": random.choice(COMPLAINED) if nature == "accusation" else "",
            "consent": "on",
        }

        def filed(page):
            if "提交成功" not in page:
                return "提交成功 missing (merged with an earlier filing?)"
            if FILED_CODE.search(page) is None:
                return "no 查询码 shown"
            return None

        page = self.post_form("/portal/file/", "portal_file", data, "/portal/filed/", filed)
        if page:
            TRACKABLE.append((FILED_CODE.search(page).group(1), phone[-4:]))
            if WRITES:  # bench_cluster.py checks that every filing seen to succeed is in the database
                with open(WRITES, "a", encoding="utf-8") as out:
                    out.write(FILED_CODE.search(page).group(1) + "\n")
            del TRACKABLE[:-MAX_TRACKABLE]

    @task(2)
    def portal_track(self):
        pool = TRACKABLE if TRACKABLE and (not SEEDED or random.random() < 0.5) else SEEDED
        if not pool:  # nothing filed yet and no codes of the loaded data
            self.portal_file()
            return
        code, tail = random.choice(pool)
        _html, token = self.open_form("/portal/track/", 'name="phone_tail"')
        if not token:
            return
        data = {"csrfmiddlewaretoken": token, "code": code, "phone_tail": tail}

        def timeline(page):
            if 'class="public-timeline"' not in page:
                return "timeline (办理过程) missing"
            # "查询码 <code>", the code possibly in an element of its own
            if re.search(rf"查询码\s*(?:<[^>]*>\s*)?{re.escape(code)}", page) is None:
                return f"查询码 {code} not on the page"
            return None

        raw = code.replace("-", "")
        self.post_form("/portal/track/", "portal_track", data, f"/portal/m/{raw}/", timeline)
