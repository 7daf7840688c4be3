"""Replays the probes of the security review against a real `xinfang run`, as an outsider would.

    .venv/bin/python benchmarks/probe_security.py [--matters 300] [--users 15] [--per-user 6] [--keep]
    make probe PROBE_ARGS="--users 8"

A fresh temporary XINFANG_DATA_DIR: `xinfang migrate`, `xinfang demo --matters N --all-accounts`, three
API tokens, then `xinfang run --port <free port>` (gunicorn and the Huey worker) with
XINFANG_TOTP_REQUIRED=false, stopped at the end whatever happens. Every probe is an HTTP request: a
citizen without an account, a staff member signed in with the demo password, an integration with its
token. The database (Django ORM, same environment) only tells the probe what to try and what to look
for: the matters a user may not see (`visible_to`), whom an accusation names, 查询码, titles and
attachments. Verdicts are read only from responses, downloaded files, logs and the data directory.

Prints per category the attempts, the leaks (something shown or kept that must not be) and the other
failures (a 500, a missing refusal or header), then the first failures; exits 1 if there is any.
"""

import argparse
import concurrent.futures
import csv
import datetime
import html
import http.cookiejar
import io
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "probe-security-secret-key-not-for-production-0123456789"
ZIP = b"PK\x03\x04"
ID_RE, MOBILE_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
SCOPE_USERS = """district1_registrar district1_dispatcher district1_supervisor district1_leader
    district1_town1_handler district1_town1_head district1_zhujian_handler district2_dispatcher
    district3_registrar district4_leader district5_supervisor zhujian_handler renshe_handler jiwei_handler
    district2_town1_head""".split()
CASEWORK = {"registrar", "dispatcher", "handler", "unit_head", "supervisor", "leader"}
VIEWERS = {"supervisor", "leader", "analyst"}


def id_number(body17: str) -> str:
    """17 digits and their GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def person(name, number, phone, address):
    return {"name": name, "id_number": number, "phone": phone, "address": address}


# Distinctive people (surnames the demo never draws): none of their values may be found at rest.
PEOPLE = {
    "online": person("逯清漪", id_number("99010119860412357"), "15637284915", "栖梧巷二十三号"),
    "copycat": person("禚书瑶", id_number("99010219900101234"), "15637284915", "听松路六号"),  # same phone
    "walk_in": person("覃慕远", id_number("99010519750923468"), "13819472605", "枕河里十一幢"),
    "ledger_ok": person("訾北辰", id_number("99010619820214579"), "18720394861", "鹭洲街七号"),
    "whistle": person("郜听澜", id_number("99010819930517246"), "13307219584", "望月坊九号"),
    "ledger_bad": person("阙望舒", "990107198811113330", "177223344556", "+1-2 镜湖弄"),  # refused
}
ONLINE = ("小区电梯停运三个月无人维修", "三号楼电梯自八月起停运，物业拖延维修。")
XSS = ['<script>alert("xf")</script>', '"><img src=x onerror=alert(1)>', "' OR '1'='1' --"]
FORMULA = '=HYPERLINK("http://probe.invalid","点击")'
LETTER = b"%PDF-1.4\n% probe letter\n"
BAD_FILES = {
    "报告.pdf": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64,
    "示意图.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
    "说明.html": b"<html><body><script>alert(document.cookie)</script></body></html>",
}


# ---------------------------------------------------------------- results


class Tally:
    def __init__(self):
        self.rows, self.lock = {}, threading.Lock()

    def check(self, category, ok, what="", *, leak=False) -> bool:
        with self.lock:
            row = self.rows.setdefault(category, {"attempts": 0, "leaks": 0, "failures": 0, "notes": []})
            row["attempts"] += 1
            if not ok:
                row["leaks" if leak else "failures"] += 1
                row["notes"].append(what)
        return ok

    def print(self) -> bool:
        rows = sorted(self.rows.items(), key=lambda item: int(item[0].split()[0]))
        print(f"\n{'category':<20}{'attempts':>9}{'leaks':>7}{'failures':>10}")
        for name, row in rows:
            print(f"{name:<20}{row['attempts']:>9}{row['leaks']:>7}{row['failures']:>10}")
        for name, row in rows:
            if row["notes"]:
                print(f"\n{name}:" + "".join(f"\n  - {note}" for note in row["notes"][:12]))
                if len(row["notes"]) > 12:
                    print(f"  … 另有 {len(row['notes']) - 12} 项")
        return not any(row["notes"] for _, row in rows)


# ---------------------------------------------------------------- HTTP


@dataclass
class Response:
    status: int
    url: str
    headers: object
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx comes back as it is; Client.open follows it only when asked


@dataclass
class Probe:
    """What the probes share: the server, the tally, the targets, what the pages linked to."""

    base: str
    env: dict
    accounts: dict  # username -> role, as `xinfang demo` printed them
    password: str
    period: str  # last month, for the monthly report
    tally: Tally = field(default_factory=Tally)
    run: subprocess.Popen | None = None
    matters: dict = field(default_factory=dict)  # pk -> Target
    links: set = field(default_factory=set)  # every URL and form the server sent
    typed: set = field(default_factory=set)  # what the probe typed into exported (audited) searches
    seeded: dict = field(default_factory=dict)

    def client(self, username=None) -> "Client":
        client = Client(self, username or "访客")
        if username:
            client.open("/login/")
            r = client.open("/login/", {"username": username, "password": self.password}, follow=True)
            if r.url.startswith("/login/"):
                raise RuntimeError(f"{username} 无法登录")
        return client

    def seen(self, response):
        if response.headers.get("Location"):
            self.links.add(response.headers["Location"])
        if "text/html" in (response.headers.get("Content-Type") or ""):
            self.links.update(re.findall(r'(?:href|src|action|hx-get|hx-post)="([^"]*)"', response.text))
            self.links.update("<form " + f for f in re.findall(r"<form\b(.*?)</form>", response.text, re.S))


class Client:
    """One browser: cookies, the CSRF token on every POST, redirects followed only when asked."""

    def __init__(self, probe: Probe, who: str):
        self.probe, self.who = probe, who
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def open(self, path, data=None, *, headers=None, follow=False) -> Response:
        from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

        for _ in range(8):
            sent, body = dict(headers or {}), None
            if data is not None:
                body = encode_multipart(BOUNDARY, data)
                csrf = next((c.value for c in self.jar if c.name == "csrftoken"), "")
                sent.update({"Content-Type": MULTIPART_CONTENT, "X-CSRFToken": csrf})
            request = urllib.request.Request(self.probe.base + path, data=body, headers=sent)
            try:
                with self.opener.open(request, timeout=180) as r:
                    response = Response(r.status, path, r.headers, r.read())
            except urllib.error.HTTPError as error:
                response = Response(error.code, path, error.headers, error.read())
            self.probe.seen(response)
            location = response.headers.get("Location")
            if not (follow and response.status in (301, 302, 303) and location):
                break
            path, data = urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl(), None
        return response


def readable(body: bytes) -> str:
    """The text a reader gets: HTML and JSON unescaped; of a .docx/.xlsx every XML part without its
    tags (text split into runs joins up) and what python-docx or openpyxl read from it."""
    if not body.startswith(ZIP):
        text = html.unescape(body.decode("utf-8", "replace"))
        return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        parts = [
            re.sub(r"<[^>]+>", "", archive.read(n).decode("utf-8", "replace"))
            for n in names
            if n.endswith(".xml")
        ]
    if "word/document.xml" in names:
        import docx

        document = docx.Document(io.BytesIO(body))
        parts += [p.text for p in document.paragraphs]
        parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    else:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        parts += [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v]
    return html.unescape("\n".join(parts))


def judge(probe, category, response, secrets, *, refused=False, what=""):
    """A leak if a secret shows; otherwise a failure for a 500, or for a refusal that did not come."""
    what = what or response.url
    text = readable(response.body)
    shown = [s for s in secrets if s in text]
    if shown:
        return probe.tally.check(category, False, f"{what}: {response.status}，显示「{shown[0]}」", leak=True)
    ok = response.status in (403, 404) if refused else response.status < 500
    return probe.tally.check(category, ok, f"{what}: 状态 {response.status}")


def q(path, probe=None, **params) -> str:
    """A URL with a query; `probe` given: the search text is remembered as typed into the audit log."""
    if probe is not None and params.get("q"):
        probe.typed.add(params["q"])
    return path + "?" + urllib.parse.urlencode(params)


def option(page: str, name: str, label=None) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    found = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)<', select)
    return next(v for v, text in found if label is None or html.unescape(text).strip() == label)


def upload(name, content):
    f = io.BytesIO(content)
    f.name = name
    return f


# ---------------------------------------------------------------- what to try and to look for


@dataclass
class Target:
    pk: int
    code: str
    title: str
    nature: str = ""
    attachments: list = field(default_factory=list)
    id_numbers: list = field(default_factory=list)

    def secrets(self, shared_titles=()) -> list[str]:
        """The 查询码 as stored and as printed, and the title unless another matter the reader may
        see has it too (or it is too short to mean anything)."""
        printed = "-".join(self.code[i : i + 4] for i in range(0, 12, 4))
        title = [self.title] if self.title not in shared_titles and len(self.title) >= 6 else []
        return [self.code, printed, *title]


def load_targets() -> dict:
    from xinfang.petitions.models import Attachment, Matter, Petitioner

    targets = {
        pk: Target(pk, *row) for pk, *row in Matter.objects.values_list("pk", "code", "title", "nature")
    }
    for pk, matter in Attachment.objects.values_list("pk", "matter_id"):
        targets[matter].attachments.append(pk)
    for matter, number in Petitioner.objects.exclude(id_number="").values_list("matter_id", "id_number"):
        targets[matter].id_numbers.append(number)
    return targets


def visible(username) -> set[int]:
    from xinfang.org.models import User
    from xinfang.petitions.models import Matter

    return set(Matter.objects.visible_to(User.objects.get(username=username)).values_list("pk", flat=True))


def secrets_of(probe, hidden, shown) -> list[str]:
    titles = {probe.matters[pk].title for pk in shown}
    return [s for pk in hidden for s in probe.matters[pk].secrets(titles)]


# ---------------------------------------------------------------- an ordinary day, through the pages


def register(client, title, content, request, people, files=(), **extra) -> Response:
    page = client.open("/matters/register/").text
    received = re.search(r'name="received_at" value="([^"]*)"', page).group(1)
    data = {
        "channel": "visit", "received_at": received, "title": title, "content": content, "request": request,
        "nature": "appeal", "request_type": "complaint", "division": option(page, "division", "东湖街道"),
        "category": option(page, "category"), "headcount": "1", "files": list(files), "p-TOTAL_FORMS": "6",
        "p-INITIAL_FORMS": "0", "p-MIN_NUM_FORMS": "0", "p-MAX_NUM_FORMS": "6", **extra,
    }  # fmt: skip
    for i, someone in enumerate(people):
        data.update({f"p-{i}-{k}": v for k, v in someone.items()})
    return client.open("/matters/register/", data, follow=True)


def file_online(client, someone, title, content, files=(), **extra) -> Response:
    page = client.open("/portal/file/").text
    data = {
        **someone, "division": option(page, "division", "东湖街道"), "category": option(page, "category"),
        "nature": "appeal", "request_type": "complaint", "title": title, "content": content,
        "request": "请依法处理。", "consent": "on", "files": list(files), **extra,
    }  # fmt: skip
    return client.open("/portal/file/", data, follow=True)


def tracking_code(response) -> str | None:
    found = re.search(r'class="tracking-code">([^<]+)<', response.text)
    return found.group(1).replace("-", "") if found else None


def registered(response) -> int:
    return int(re.search(r"/matters/(\d+)/(receipt/)?$", response.url).group(1))


def seed(probe):
    """An online petition with a letter, a walk-in with an ID scan, a search and an export by name,
    a 台账 with a refused row, text that spreadsheet programs would run, and hostile text."""
    citizen = probe.client()
    r = file_online(citizen, PEOPLE["online"], *ONLINE, [upload("来信.pdf", LETTER)])
    probe.seeded.update(citizen=citizen, online_code=tracking_code(r))
    reg = probe.seeded["registrar"] = probe.client("district1_registrar")
    scan = upload("身份证复印件.pdf", LETTER + PEOPLE["walk_in"]["id_number"].encode())
    register(reg, "楼道照明长期损坏", "楼道照明损坏半年无人处理。", "请求修复。", [PEOPLE["walk_in"]], [scan])
    r = register(reg, FORMULA, "+1+2 物业费", "-3+4", [{"name": "公式测试", "address": "@SUM(1,2)"}])
    probe.seeded["formula"] = registered(r)
    r = register(reg, "XSS探针" + XSS[1], XSS[0], XSS[2], [{"name": "<b>探针</b>", "address": XSS[2]}])
    probe.seeded["xss"] = registered(r)
    reg.open(q("/matters/", tab="all", q=PEOPLE["online"]["name"]))
    reg.open(q("/matters/export/", tab="all", q=PEOPLE["walk_in"]["name"]))
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow("信访人 身份证号 电话 住址 信访时间 问题属地 内容分类 信访方式 案情".split())
    for someone, what in [(PEOPLE["ledger_ok"], "小区绿地被占用停车"), (PEOPLE["ledger_bad"], FORMULA)]:
        writer.writerow([*someone.values(), "2026-11-02", "东湖街道", "城乡建设／物业管理", "来信", what])
    r = reg.open("/ledger/", {"file": upload("台账.csv", rows.getvalue().encode())}, follow=True)
    job = probe.seeded["ledger_job"] = re.search(r"/ledger/(\d+)/map/", r.url).group(1)
    columns = "names id_number phone address received_at division category channel content".split()
    mapping = {key: str(i) for i, key in enumerate(columns)}
    reg.open(f"/ledger/{job}/map/", {**mapping, "mode": "valid", "default_nature": "appeal",
                                     "default_request_type": "complaint"})  # fmt: skip
    deadline = time.monotonic() + 120
    while "已完成" not in reg.open(f"/ledger/{job}/").text and time.monotonic() < deadline:
        time.sleep(0.5)


# ---------------------------------------------------------------- 1. scope and 2. accusations


def attack(probe, category, client, t, titles, urls):
    """`client` tries to reach matter `t` by `urls` (each must be refused), by searches for its code
    and its title, and by an export of the search: none may show its code, title or a link to it."""
    secrets = [*t.secrets(titles), f'/matters/{t.pk}/"']

    def check(path, data=None, typed=None, refused=False):  # what was typed comes back in the form
        shown = [s for s in secrets if s != typed]
        judge(probe, category, client.open(path, data), shown, refused=refused, what=f"{client.who} {path}")

    for path, data in urls:
        check(path, data, refused=True)
    check(q("/matters/", tab="all", q=t.code), typed=t.code)
    check(q("/matters/", tab="all", q=t.title), typed=t.title)
    check(q("/matters/export/", probe, tab="all", q=t.code), typed=t.code)
    if probe.accounts[client.who] in ("registrar", "dispatcher"):  # the registration page's helpers
        check("/matters/earlier/", {"p-0-name": "", "p-0-id_number": (t.id_numbers or [""])[0]})
        check("/assist/intake/", {"title": t.title, "content": t.title}, typed=t.title)


def overviews(probe, category, client, secrets, extra=()):
    """The lists, exports and figures of a reader: none may name a matter hidden from them."""
    paths = [*extra, q("/matters/", tab="todo"), q("/matters/export/", tab="all")]
    if probe.accounts[client.who] in VIEWERS:
        report = q("/analytics/report/", kind="monthly", period=probe.period, format="docx")
        paths += ["/analytics/?export=all", "/analytics/cockpit/", "/supervision/", report]
    for path in paths:
        judge(probe, category, client.open(path), secrets, what=f"{client.who} {path}")


def matter_urls(t, actions):
    from xinfang.documents.notices import KINDS

    pk = t.pk
    urls = [f"/matters/{pk}/", f"/matters/{pk}/screen/", f"/assist/matters/{pk}/similar/"]
    urls += [f"/supervision/matters/{pk}/{page}" for page in ("", "measure/", "own/")]
    urls += [f"/documents/matters/{pk}/{kind}.docx" for kind in KINDS]
    urls += [f"/matters/{pk}/act/{action}/" for action in actions]
    urls += [f"/matters/attachments/{a}/" for a in t.attachments]
    posts = [
        (f"/matters/{pk}/reveal/", {"reason": "核实联系方式"}),
        (f"/supervision/matters/{pk}/remind/", {}),
    ]
    return [(url, None) for url in urls] + posts


def scope_user(probe, username, per_user, supervisions, rng):
    from xinfang.petitions.workflow import TRANSITIONS

    client, shown = probe.client(username), visible(username)
    hidden = set(probe.matters) - shown
    titles = {probe.matters[pk].title for pk in shown}
    control = next((probe.matters[pk] for pk in sorted(shown) if len(probe.matters[pk].title) >= 6), None)
    if control is not None:  # what the user may see shows, or silence would mean nothing
        r = client.open(f"/matters/{control.pk}/")
        probe.tally.check("1 scope", control.title in readable(r.body), f"{username} 看不到自己范围内的事项")
    # Matters with attachments and accusations first; all action pages spread over the matters tried.
    targets = sorted((probe.matters[pk] for pk in hidden), key=lambda t: (not t.attachments, t.nature))
    actions = rng.sample(sorted(TRANSITIONS), len(TRANSITIONS))
    for i, t in enumerate(targets[:per_user]):
        attack(probe, "1 scope", client, t, titles, matter_urls(t, actions[i::per_user]))
    sheets = [f"/supervision/{pk}/{page}" for pk in supervisions for page in ("", "print/")]
    sheets += [f"/documents/supervision/{pk}.docx" for pk in supervisions]
    overviews(probe, "1 scope", client, secrets_of(probe, hidden, shown), sheets)


def scope_api(probe, username, token):
    """The same through the API and Open311 with the user's token."""
    api, bearer = Client(probe, f"{username}（接口）"), {"Authorization": f"Bearer {token}"}
    shown = visible(username)
    hidden, titles = set(probe.matters) - shown, {probe.matters[pk].title for pk in shown}
    for pk in sorted(hidden)[:8]:
        t = probe.matters[pk]
        r = api.open(f"/api/v1/matters/{pk}", headers=bearer)
        judge(probe, "1 scope", r, t.secrets(titles), refused=True, what=f"{username} 接口 {pk}")
        r = api.open(q(f"/open311/v2/requests/{t.code}.json", api_key=token))
        judge(probe, "1 scope", r, t.secrets(titles), refused=True, what=f"Open311 {t.code}")
    r = api.open("/api/v1/matters?limit=200", headers=bearer)
    judge(probe, "1 scope", r, secrets_of(probe, hidden, shown), what=f"{username} 接口列表")


def probe_scope(probe, users, per_user, tokens):
    from xinfang.supervision.models import Supervision

    probe.matters = load_targets()  # with what the other probes registered
    supervisions = list(Supervision.objects.order_by("pk").values_list("pk", flat=True)[:4])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        jobs = [pool.submit(scope_user, probe, u, per_user, supervisions, random.Random(u)) for u in users]
        jobs += [pool.submit(scope_api, probe, u, token) for u, token in tokens.items()]
        for job in jobs:
            job.result()


def probe_accusations(probe):
    from xinfang.org.models import CASEWORK_ROLES, User
    from xinfang.petitions.models import AccusedParty, Matter

    cat = "2 accusations"
    # The demo's screened accusations, kept from each named unit's staff (sub-units included) and
    # each named person's unit: chosen from the named parties, not from the scoping under test.
    named = {}
    for party in AccusedParty.objects.all():
        staff = User.objects.filter(role__in=CASEWORK_ROLES, is_active=True).order_by("username")
        if party.user_id:
            staff = staff.filter(unit=party.unit_id)
        else:
            staff = staff.filter(unit__path__startswith=party.unit_path)
        for username in staff.values_list("username", flat=True)[:3]:
            named.setdefault(username, set()).add(party.matter_id)

    def kept_from(username, pks):
        client, shown = probe.client(username), visible(username)
        titles = {probe.matters[pk].title for pk in shown - pks}
        for pk in sorted(pks):
            attack(probe, cat, client, probe.matters[pk], titles, [(f"/matters/{pk}/", None)])
        overviews(probe, cat, client, [s for pk in pks for s in probe.matters[pk].secrets(titles)])

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for job in [pool.submit(kept_from, u, pks) for u, pks in sorted(named.items())[:12]]:
            job.result()
    # An online accusation against 东湖街道办事处 and its head: before screening only the screening
    # unit sees it, afterwards never the named unit nor the head's colleagues.
    head = User.objects.get(username="district1_town1_head")
    accused = f"东湖街道办事处{head.full_name}"
    title, content = "举报东湖街道办事处虚报冒领补贴", f"{accused}虚报冒领农机补贴。"
    kind = {"nature": "accusation", "request_type": "report", "complained": accused}
    r = file_online(probe.client(), PEOPLE["whistle"], title, content, **kind)
    matter = Matter.objects.get(code=tracking_code(r))
    t = probe.matters[matter.pk] = Target(matter.pk, matter.code, matter.title)
    before = "district1_town1_head district1_town1_handler district1_dispatcher district1_registrar".split()
    before.append("city_dispatcher")
    for username in before:
        attack(probe, cat, probe.client(username), t, (), [(f"/matters/{t.pk}/", None)])
    screener = probe.client(User.objects.filter(unit=matter.screening_unit_id, role="handler")[0].username)
    r = screener.open(f"/matters/{t.pk}/")
    probe.tally.check(cat, t.title in readable(r.body), f"核定单位的 {screener.who} 看不到该检举控告")
    screener.open(f"/matters/{t.pk}/screen/")
    chosen = {"units": [str(head.unit_id)], "users": [str(head.pk)], "note": "探针核定"}
    r = screener.open(f"/matters/{t.pk}/screen/", chosen, follow=True)
    probe.tally.check(cat, "被反映对象已核定" in r.text, f"{screener.who} 核定被反映对象未成功")
    for username in before[:2]:
        attack(probe, cat, probe.client(username), t, (), [(f"/matters/{t.pk}/", None)])


# ---------------------------------------------------------------- 3. figures only


def probe_figures_only(probe, periods):
    """Analysts, administrators and auditors read figures and configuration, never a matter."""
    cat = "3 figures only"
    everything = [s for t in probe.matters.values() for s in t.secrets()]
    analyst, admin, auditor = (probe.client(u) for u in ("city_analyst", "admin", "city_auditor"))
    paths = (
        "/analytics/ /analytics/?export=all /analytics/cockpit/ /supervision/scores/ /assist/models/".split()
    )
    paths += [
        q("/analytics/report/", kind=k, period=p, format=f) for k, p in periods for f in ("docx", "xlsx")
    ]
    paths += re.findall(r'href="(/analytics/warnings/\d+/)"', analyst.open("/analytics/warnings/").text)[:5]
    for path in paths:
        judge(probe, cat, analyst.open(path), everything, what=f"city_analyst {path}")
    for client in (analyst, admin, auditor):
        for pk in random.Random(3).sample(sorted(probe.matters), 3):
            for path in (f"/matters/{pk}/", f"/documents/matters/{pk}/acceptance.docx", "/matters/?tab=all"):
                judge(probe, cat, client.open(path), everything, refused=True, what=f"{client.who} {path}")
    # Every model's list in the admin and its first three rows.
    todo, done, rows = ["/admin/", "/assist/models/"], set(), {}
    while todo and len(done) < 100:
        path = todo.pop(0)
        done.add(path)
        r = admin.open(path)
        judge(probe, cat, r, everything, what=f"admin {path}")
        for link in dict.fromkeys(re.findall(r'href="(/admin/[^"?#]*)"', r.text)):
            model = re.match(r"/admin/\w+/\w+/", link)
            if link in done or link in todo or re.search(r"logout|delete|password|history|/add/$", link):
                continue
            if model and link != model.group(0):
                rows[model.group(0)] = rows.get(model.group(0), 0) + 1
                if rows[model.group(0)] > 3:
                    continue
            todo.append(link)
    # The audit log quotes what staff typed into an exported search; nothing else may show.
    quoted = [s for s in everything if s not in probe.typed]
    for path in ("/audit/", "/audit/?page=2", "/audit/?action=export"):
        judge(probe, cat, auditor.open(path), quoted, what=f"city_auditor {path}")


# ---------------------------------------------------------------- 4. personal data


def probe_personal_links(probe):
    """No page links to, redirects to or asks by GET for an ID number or a phone."""
    cat, reg = "4 personal data", probe.seeded["registrar"]
    numbers = {p[k] for p in PEOPLE.values() for k in ("id_number", "phone")}
    lookup = re.search(r"<[^>]*hx-include=\"[^\"]*id_number[^>]*>", reg.open("/matters/register/").text)
    probe.tally.check(cat, bool(lookup) and "hx-get" not in lookup.group(0), "登记页的既往事项查询不是 POST")
    r = reg.open(q("/matters/earlier/", **{"p-0-id_number": PEOPLE["walk_in"]["id_number"]}))
    probe.tally.check(cat, r.status == 405, f"GET /matters/earlier/?p-0-id_number=…：状态 {r.status}")
    for link in sorted(probe.links):
        if link.startswith("<form "):
            by_get = not re.match(r'<form [^>]*method="post"', link, re.I)
            asks = re.search(r'name="[^"]*(id_number|phone)"', link)
            probe.tally.check(cat, not (by_get and asks), f"以 GET 提交个人信息的表单：{link[:120]}")
        elif "?" in link:
            query = urllib.parse.unquote_plus(html.unescape(link).split("?", 1)[1])
            hit = ID_RE.search(query) or MOBILE_RE.search(query) or any(v in query for v in numbers)
            probe.tally.check(cat, not hit, f"网址中有身份证号或电话：{link[:120]}", leak=True)


def forms_of(value: str) -> set[bytes]:
    """The bytes a value takes in a file: UTF-8, UTF-16, GB18030, percent-encoded, JSON-escaped."""
    found = {value.encode(), value.encode("utf-16-le"), value.encode("gb18030")}
    found |= {urllib.parse.quote(value).encode(), urllib.parse.quote_plus(value).encode()}
    return found | ({value.encode("unicode_escape")} if not value.isascii() else set())


def contents(path: Path) -> list[tuple[str, bytes]]:
    """A file's bytes, and the members of a ZIP (an .xlsx or .docx left unencrypted)."""
    raw = path.read_bytes()
    if not raw.startswith(ZIP):
        return [(str(path), raw)]
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return [(str(path), raw)] + [(f"{path}!{n}", archive.read(n)) for n in archive.namelist()]


def probe_files_at_rest(probe, data_dir: Path, logs_dir: Path):
    """After the server stopped: every file under the data directory and its logs."""
    wanted = {v: forms_of(v) for p in PEOPLE.values() for v in p.values() if len(v) >= 3}
    files = [p for p in [*data_dir.rglob("*"), *logs_dir.rglob("*")] if p.is_file()]
    files = [p for p in files if not p.is_relative_to(data_dir / "static")]  # collected static files
    for path in sorted(files):
        for where, data in contents(path):
            hits = [v for v, forms in wanted.items() if any(f in data for f in forms)]
            probe.tally.check("4 personal data", not hits, f"{where}：{'、'.join(hits[:4])}", leak=True)


# ---------------------------------------------------------------- 5. rate limits and 6. duplicates


def fresh_window(seconds: int, margin: float):
    """Start a burst well inside one counting window (windows are aligned to the clock)."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 1)


def probe_rate_limits(probe, token):
    from django.conf import settings

    from xinfang.core.ratelimit import parse
    from xinfang.petitions.models import CODE_ALPHABET, code_check_char

    cat, rng = "5 rate limits", random.Random(5)
    limit, window = parse(settings.XINFANG_PORTAL_TRACK_RATE)
    fresh_window(window, 60)
    citizen = probe.client()
    citizen.open("/portal/track/")
    codes = ["".join(rng.choices(CODE_ALPHABET, k=11)) for _ in range(100)]
    tries = [{"code": c + code_check_char(c), "phone_tail": "0000"} for c in codes]
    with concurrent.futures.ThreadPoolExecutor(25) as pool:
        statuses = list(pool.map(lambda data: citizen.open("/portal/track/", data).status, tries))
    answered = sum(s != 429 for s in statuses)
    ok = answered <= limit and 429 in statuses
    probe.tally.check(cat, ok, f"同一地址并发查询100次，{answered}次得到答复，限额{limit}")
    api, bearer = Client(probe, "接口"), {"Authorization": f"Bearer {token}"}
    calls, window = parse(settings.XINFANG_API_RATE)
    fresh_window(window, 20)
    statuses = []
    while len(statuses) < calls + 5 and 429 not in statuses:
        statuses.append(api.open("/api/v1/matters?limit=1", headers=bearer).status)
    ok = statuses.count(200) <= calls and 429 in statuses
    probe.tally.check(cat, ok, f"令牌调用成功{statuses.count(200)}次，限额{calls}")
    status_url = f"/open311/v2/requests/{probe.seeded['online_code']}.json"
    r = api.open(q(status_url, api_key=token))
    probe.tally.check(cat, r.status == 429, f"在 /api/v1/ 限流的令牌在 Open311 得到 {r.status}")
    failures, window = parse(settings.XINFANG_API_FAILURE_RATE)
    fresh_window(window, 15)
    statuses = [api.open(q(status_url, api_key=f"xft_bad_{i}")).status for i in range(failures + 5)]
    answered = sum(s != 429 for s in statuses)
    ok = answered <= failures and statuses[-5:] == [429] * 5
    probe.tally.check(cat, ok, f"Open311 错误的 api_key：{answered}次未限流，限额{failures}")


def probe_duplicates(probe):
    """Sending the same petition from another browser never shows nor opens the first filing."""
    cat, code = "6 duplicates", probe.seeded["online_code"]
    secrets = [*Target(0, code, ONLINE[0]).secrets()]
    for who in ("online", "copycat"):  # the petitioner again, or someone who knows their phone
        other = probe.client()
        r = file_online(other, PEOPLE[who], *ONLINE)
        judge(probe, cat, r, secrets[:2], what=f"另一浏览器重复提交（{who}）")
        r = other.open(f"/portal/m/{code}/")
        judge(probe, cat, r, secrets[1:], what=f"另一浏览器打开 /portal/m/{code}/")
        probe.tally.check(cat, r.status == 302, f"另一浏览器打开原事项：状态 {r.status}")
    r = file_online(probe.seeded["citizen"], PEOPLE["online"], *ONLINE)
    probe.tally.check(cat, tracking_code(r) == code, "原浏览器重复提交时看不到自己的查询码")


# ---------------------------------------------------------------- 7. files


def live_formulas(body: bytes) -> list[str]:
    """Cells a spreadsheet program would run: formulas, and text starting with = + - @ that is not
    marked as text (edited once, it becomes a formula)."""
    import openpyxl

    found = []
    for sheet in openpyxl.load_workbook(io.BytesIO(body)):
        for cell in (c for row in sheet.iter_rows() for c in row):
            text = cell.value if isinstance(cell.value, str) else ""
            if cell.data_type == "f" or (len(text) > 1 and text[0] in "=+-@" and not cell.quotePrefix):
                found.append(f"{cell.coordinate}「{text}」")
    return found


def zip_bomb(unpacked_mb: int) -> bytes:
    """A 台账 of a few hundred KB whose sheet unpacks to `unpacked_mb` MB of identical rows."""
    import openpyxl

    book, plain, bomb = openpyxl.Workbook(), io.BytesIO(), io.BytesIO()
    book.active.append(["信访人", "身份证号", "电话", "信访时间", "问题属地", "内容分类", "案情"])
    book.save(plain)
    rows = ("<row>" + '<c t="inlineStr"><is><t>甲</t></is></c>' * 7 + "</row>").encode() * 2000
    out = zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
    with zipfile.ZipFile(plain) as source, out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with out.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for _ in range(unpacked_mb * 1048576 // len(rows)):
                    sheet.write(rows)
                sheet.write(b"</sheetData>" + tail)
    return bomb.getvalue()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            parent = entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            if parent == str(pid):
                found.append(int(entry.name))
        except OSError:
            continue  # the process ended while being read
    return found


def peak_kib(pid: int) -> int:
    return int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))


def probe_files(probe, bomb_mb):
    cat, reg = "7 files", probe.seeded["registrar"]
    formula = load_targets()[probe.seeded["formula"]]
    for what, path in [("事项导出", q("/matters/export/", probe, tab="all", q=formula.code)),
                       ("导入错误行", f"/ledger/{probe.seeded['ledger_job']}/errors/")]:  # fmt: skip
        r = reg.open(path)
        found = live_formulas(r.body) if r.body.startswith(ZIP) else [f"状态 {r.status}，不是 .xlsx"]
        probe.tally.check(cat, not found, f"{what}：{'、'.join(found[:4])}")
    for i, (name, content) in enumerate(BAD_FILES.items()):
        r = register(reg, f"附件探针{i}", "附件。", "无。", [{"name": "附件探针"}], [upload(name, content)])
        accepted = re.search(r"/matters/\d+/$", r.url)
        probe.tally.check(cat, not accepted, f"工作人员上传「{name}」被接受：{r.url}")
        r = file_online(probe.client(), PEOPLE["walk_in"], f"材料探针{i}", "材料。", [upload(name, content)])
        probe.tally.check(cat, tracking_code(r) is None, f"网上信访上传「{name}」被接受")
    workers = [w for master in children(probe.run.pid) for w in children(master)]  # xinfang run → gunicorn
    before = {w: peak_kib(w) for w in workers}
    r = reg.open("/ledger/", {"file": upload("台账.xlsx", zip_bomb(bomb_mb))}, follow=True)
    grown = max(peak_kib(w) - before[w] for w in workers) // 1024
    probe.tally.check(cat, r.status == 200 and "/map/" not in r.url, f"压缩炸弹被接受：{r.status} {r.url}")
    probe.tally.check(cat, grown < 100, f"压缩炸弹使 Web 进程的内存峰值增加 {grown} MB")


# ---------------------------------------------------------------- 8. input


NUMBERS = ["9223372036854775807", "9223372036854775808", "-9223372036854775809", "9" * 30, "-1", "0", "abc"]
NUMBERS += ["1e9", "１２", "²", "NaN", "0x10", ""]
DATES = ["99999-12-31", "0000-00-00", "2026-02-30", "-1", "9999-99-99", "１９９９-01-01", "abc", "2026-13-01"]
HOSTILE = {  # user: (path, parameter, values)
    "district1_dispatcher": [
        ("/matters/", "page", NUMBERS), ("/matters/?tab=all", "page", NUMBERS),
        *[("/matters/?tab=all", p, NUMBERS) for p in ("category", "division", "unit", "holder")],
        *[("/matters/?tab=all", p, DATES) for p in ("received_from", "received_to")],
        ("/matters/export/?tab=all", "division", NUMBERS[:4]),
    ],
    "district1_supervisor": [
        ("/supervision/", "page", NUMBERS), ("/supervision/new/", "matter", NUMBERS),
        ("/supervision/cases/", "page", NUMBERS), ("/supervision/scores/", "start", DATES),
        ("/analytics/", "first", DATES), ("/analytics/", "division", NUMBERS),
        ("/analytics/warnings/", "page", NUMBERS),
        ("/analytics/report/?kind=annual&format=xlsx", "period", [*NUMBERS[:6], "99999", "2026Q9"]),
    ],
    "city_auditor": [("/audit/", "page", NUMBERS), ("/audit/", "date_from", DATES)],
}  # fmt: skip
PATH_IDS = """/matters/{}/ /matters/{}/act/accept/ /documents/matters/{}/acceptance.docx /matters/attachments/{}/
    /matters/exports/{}/ /supervision/{}/ /supervision/cases/{}/ /ledger/{}/ /analytics/warnings/{}/""".split()


def probe_input(probe, token):
    """Hostile numbers never give a 500; hostile text comes back escaped, stored or reflected."""
    cat = "8 input"
    clients = {username: probe.client(username) for username in HOSTILE}
    for username, routes in HOSTILE.items():
        for path, param, values in routes:
            for value in values:
                url = path + ("&" if "?" in path else "?") + urllib.parse.urlencode({param: value})
                r = clients[username].open(url)
                probe.tally.check(cat, r.status < 500, f"{username} {url}：{r.status}")
    staff, api, reg = clients["district1_dispatcher"], Client(probe, "接口"), probe.seeded["registrar"]
    for number in NUMBERS[:4]:
        for path in [p.format(number) for p in PATH_IDS]:
            probe.tally.check(cat, staff.open(path).status < 500, f"{path}：500")
        for path in (f"/api/v1/matters?cursor={number}", f"/api/v1/matters/{number}"):
            r = api.open(path, headers={"Authorization": f"Bearer {token}"})
            probe.tally.check(cat, r.status < 500, f"{path}：{r.status}")
    for extra in ({"headcount": "9" * 30}, {"received_at": "99999-01-01T00:00"}, {"division": "9" * 30}):
        r = register(reg, "数字探针", "数字检查。", "无。", [{"name": "数字探针"}], **extra)
        probe.tally.check(cat, r.status < 500, f"登记 {extra}：{r.status}")
    citizen = probe.client()
    r = file_online(citizen, PEOPLE["walk_in"], "网上XSS" + XSS[1], XSS[0] + XSS[2])
    pages = [(reg, f"/matters/{probe.seeded['xss']}/"), (citizen, f"/portal/m/{tracking_code(r)}/")]
    pages += [(reg, q("/matters/", tab="all", q=p)) for p in XSS]
    pages += [(clients["city_auditor"], q("/audit/", username=p)) for p in XSS]
    report = clients["district1_supervisor"]
    pages += [(report, q("/analytics/report/", kind="monthly", period=p, format="docx")) for p in XSS]
    for client, path in pages:
        r = client.open(path)
        raw = [p for p in XSS[:2] if p in r.text]  # the SQL-ish one holds no markup
        probe.tally.check(cat, r.status < 500 and not raw, f"{path}：{r.status}，未转义「{'、'.join(raw)}」")
    shown = reg.open(f"/matters/{probe.seeded['xss']}/").text
    probe.tally.check(cat, html.escape(XSS[1]) in shown, "事项页没有显示转义后的标题")


# ---------------------------------------------------------------- 9. headers and 10. audit


def probe_headers(probe):
    cat, citizen, code = "9 headers", probe.seeded["citizen"], probe.seeded["online_code"]
    stranger = probe.client()
    stranger.open("/portal/track/")
    pages = [(citizen, f"/portal/m/{code}/", None), (citizen, "/portal/filed/", None)]
    pages.append((stranger, "/portal/track/", {"code": code, "phone_tail": "0000"}))  # the form, as typed
    pages.append((probe.seeded["registrar"], "/matters/", None))
    for client, path, data in pages:
        r = client.open(path, data)
        cache = r.headers.get("Cache-Control") or ""
        ok = r.status == 200 and "no-store" in cache
        probe.tally.check(cat, ok, f"{path}：{r.status}，Cache-Control「{cache}」")
        csp = r.headers.get("Content-Security-Policy")
        probe.tally.check(cat, bool(csp), f"{path}：没有 Content-Security-Policy")


def audit_verify(probe) -> tuple[bool, str]:
    env = dict(probe.env, XINFANG_LOG_LEVEL="WARNING")
    done = subprocess.run([sys.executable, "-m", "xinfang", "audit", "verify"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    said = [line for line in (done.stdout + done.stderr).splitlines() if "审计日志" in line]
    return done.returncode == 0, (said or [f"退出码 {done.returncode}"])[0]


class AuditWatch(threading.Thread):
    """`xinfang audit verify`, again and again, while the probes write audit rows."""

    def __init__(self, probe):
        super().__init__(daemon=True)
        self.probe, self.stopping = probe, threading.Event()

    def run(self):
        while not self.stopping.is_set():
            ok, said = audit_verify(self.probe)
            self.probe.tally.check("10 audit", ok, f"写入期间校验：{said}")


# ---------------------------------------------------------------- the run


def manage(env, *args) -> str:
    argv = [sys.executable, "-m", "xinfang", *args]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"xinfang {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


def server_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")}  # SQLite, nothing inherited
    env.update(
        XINFANG_DATA_DIR=str(data_dir), XINFANG_ENV_FILE="/dev/null", XINFANG_SECRET_KEY=SECRET_KEY,
        XINFANG_TOTP_REQUIRED="false", XINFANG_LOG_LEVEL="DEBUG",
        XINFANG_PORTAL_FILE_RATE="60/h",  # the probe files a dozen petitions from one address
        DJANGO_SETTINGS_MODULE="xinfang.settings", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
    )  # fmt: skip
    return env


def start_server(probe, logs_dir: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    probe.base = f"http://127.0.0.1:{port}"
    with (logs_dir / "run.out").open("wb") as out, (logs_dir / "run.err").open("wb") as err:
        argv = [sys.executable, "-m", "xinfang", "run", "--port", str(port)]
        probe.run = subprocess.Popen(argv, env=probe.env, cwd=ROOT, stdout=out, stderr=err)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and probe.run.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("xinfang run 没有开始监听，见 run.err")


def stop_server(probe):
    probe.run.send_signal(signal.SIGTERM)
    try:
        probe.run.wait(timeout=90)
    except subprocess.TimeoutExpired:
        probe.run.kill()
        probe.run.wait()


def guarded(probe, category, step, *args):
    """A probe that breaks is a failure of its category, printed with the error; the others go on."""
    started = time.monotonic()
    try:
        step(probe, *args)
    except Exception as exc:  # noqa: BLE001 - reported in the table, never swallowed
        probe.tally.check(category, False, f"探针出错：{type(exc).__name__}: {exc}")
    print(f"  {category}: {time.monotonic() - started:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matters", type=int, default=300, help="demo matters (default 300)")
    parser.add_argument("--users", type=int, default=15, help="staff users probed for scope (default 15)")
    parser.add_argument("--per-user", type=int, default=6, help="matters out of scope per user (default 6)")
    parser.add_argument("--bomb-mb", type=int, default=100, help="the zip bomb's unpacked MB (default 100)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and the logs")
    args = parser.parse_args()

    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="xf-probe-"))
    logs_dir = Path(f"{data_dir}-logs")
    logs_dir.mkdir()
    env = server_env(data_dir)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from xinfang.core import clock
    from xinfang.demo import DEFAULT_PASSWORD
    from xinfang.org.models import Role

    print(f"数据目录 / data dir: {data_dir}", flush=True)
    manage(env, "migrate", "--verbosity", "0")
    printed = manage(env, "demo", "--matters", str(args.matters), "--all-accounts")
    roles = {label: value for value, label in Role.choices}
    rows = [row for row in map(str.split, printed.splitlines()) if len(row) > 3 and row[2] in roles]
    accounts = {row[0]: roles[row[2]] for row in rows}  # username -> role, from the printed table
    others = [u for u, r in accounts.items() if r in CASEWORK and u not in SCOPE_USERS and "city" not in u]
    users = [u for u in SCOPE_USERS if u in accounts] + random.Random(1).sample(others, len(others))
    tokens = {u: manage(env, "tokens", "create", f"探针{u}", "--user", u).split()[-1]
              for u in ("district1_town1_handler", "zhujian_handler", "district2_dispatcher")}  # fmt: skip
    today = clock.today()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    probe = Probe("", env, accounts, DEFAULT_PASSWORD, f"{last_month:%Y-%m}")
    periods = [("monthly", probe.period), ("annual", str(today.year - 1))]
    print(f"迁移和演示数据 / migrate and demo: {time.monotonic() - started:.0f} s", flush=True)
    try:
        start_server(probe, logs_dir)
        seed(probe)
        probe.matters = load_targets()
        guarded(probe, "9 headers", probe_headers)
        guarded(probe, "6 duplicates", probe_duplicates)
        guarded(probe, "7 files", probe_files, args.bomb_mb)
        guarded(probe, "8 input", probe_input, tokens["district1_town1_handler"])
        watch = AuditWatch(probe)
        watch.start()
        scope_tokens = {u: tokens[u] for u in ("district1_town1_handler", "zhujian_handler")}
        guarded(probe, "1 scope", probe_scope, users[: args.users], args.per_user, scope_tokens)
        guarded(probe, "2 accusations", probe_accusations)
        watch.stopping.set()
        guarded(probe, "3 figures only", probe_figures_only, periods)
        guarded(probe, "4 personal data", probe_personal_links)
        guarded(probe, "5 rate limits", probe_rate_limits, tokens["district2_dispatcher"])
        watch.join()
    finally:
        if probe.run is not None:
            stop_server(probe)
    from django.db import connections

    connections.close_all()
    guarded(probe, "4 personal data", probe_files_at_rest, data_dir, logs_dir)
    ok, said = audit_verify(probe)
    probe.tally.check("10 audit", ok, f"运行结束后校验：{said}")
    print(f"\n用时 / took {time.monotonic() - started:.0f} s, {os.cpu_count()} cores")
    passed = probe.tally.print()
    if args.keep:
        print(f"\n保留 / kept: {data_dir} {logs_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(logs_dir, ignore_errors=True)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
