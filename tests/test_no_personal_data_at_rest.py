"""A whole working session against the real server, then a search of everything it left behind.

`xinfang run` (gunicorn and the Huey worker, as deployed) serves a fresh data directory; its output,
gunicorn's access and error logs and Django's logging at DEBUG, goes to files in that directory.
Through the pages and the API: a citizen files online with a scanned letter and downloads a notice;
a registrar looks up the petitioner's earlier matters, registers a second matter with an attachment,
searches the list by a name, and imports a 台账 with a good and a refused row; a dispatcher handles a
matter, downloads its notice, the attachment, an export of one matter (written while waiting) and of
all (written by the worker); a supervisor reveals the data of a matter; an integration reads it by
the API. The personal data used is distinctive; afterwards not one value may be found in any file
under the data directory (database and WAL, Huey queue, cache, attachments, exports, imports,
logs), whether as plain UTF-8 or in the other forms text takes in files: inside ZIP members and
zlib-compressed cache entries, percent-encoded, as JSON or XML escapes, in UTF-16, GB18030, or read
as Latin-1; Django sessions are decoded too.
"""

import html
import http.cookiejar
import io
import json
import os
import pickle
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path

from conftest import inherited_path
from django.core import signing
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Scan-test-2026-pass"
SECRET_KEY = "scan-test-secret-key-not-for-production-0123456789"


def id_number(body17: str) -> str:
    """A body of 17 digits with its ISO 7064 MOD 11-2 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


ONLINE = {"name": "蔺晓霁", "id_number": id_number("11010119850612345"), "phone": "15627384910",
          "address": "东湖街道栖霞巷十七号"}  # fmt: skip
WALK_IN = {"name": "宓青岚", "id_number": id_number("11010219920330246"), "phone": "13974185296",
           "address": "兰亭里八幢三单元"}  # fmt: skip
LEDGER_OK = {"name": "阙梦溪", "id_number": id_number("11010519780815135"), "phone": "18650917342",
             "address": "青石街四十四号"}  # fmt: skip
LEDGER_BAD = {"name": "郗云朔", "id_number": wrong_check(id_number("11010619870707123")),
              "phone": "177223344556", "address": "柳荫路九号院"}  # fmt: skip
PEOPLE = [ONLINE, WALK_IN, LEDGER_OK, LEDGER_BAD]
VALUES = [v for person in PEOPLE for v in person.values()]

SETUP = f"""
import json
import django
django.setup()
from xinfang.org.models import Division, Role, Unit, User
from xinfang.petitions.models import Category
city = Division.objects.create(code="990100", name="青溪市", level=2)
district = Division.objects.create(code="990101", name="东城区", level=3, parent=city)
town = Division.objects.create(code="990101001", name="东湖街道", level=4, parent=district)
government = Unit.objects.create(name="青溪市人民政府", kind=Unit.Kind.GOVERNMENT)
government.divisions.set([city])
bureau = Unit.objects.create(name="青溪市信访局", kind=Unit.Kind.PETITION_BUREAU, parent=government)
bureau.divisions.set([city])
for username, role in [("reg", Role.REGISTRAR), ("disp", Role.DISPATCHER), ("sup", Role.SUPERVISOR)]:
    User.objects.create_user(username, password="{PASSWORD}", unit=bureau, role=role, full_name=username)
category = Category.objects.get(name="物业管理")
print(json.dumps({{"division": town.pk, "category": category.pk}}))
"""


# ---------------------------------------------------------------- the server


def server_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")}
    env.update(
        XINFANG_DATA_DIR=str(data_dir),
        XINFANG_ENV_FILE="/dev/null",
        XINFANG_SECRET_KEY=SECRET_KEY,
        XINFANG_TOTP_REQUIRED="false",
        XINFANG_LOG_LEVEL="DEBUG",
        # One matter is exported while the user waits, more by the worker.
        XINFANG_EXPORT_INLINE_ROWS="1",
        DJANGO_SETTINGS_MODULE="xinfang.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT), *inherited_path()]),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env, *args, stdin_code=None) -> str:
    argv = [sys.executable, "-c", stdin_code] if stdin_code else [sys.executable, "-m", "xinfang", *args]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"等待超时：{what}")


class Browser:
    """Cookies, the CSRF token on every POST, redirects followed; errors returned, not raised."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self):
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def open(self, path, *, params=None, data=None, headers=None):
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        body, sent = None, dict(headers or {})
        if data is not None:
            body = encode_multipart(BOUNDARY, data)
            sent.update({"Content-Type": MULTIPART_CONTENT, "X-CSRFToken": self.csrf()})
        request = urllib.request.Request(url, data=body, headers=sent)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.geturl(), response.read()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read()

    def get(self, path, **params):
        return self.open(path, params=params)

    def post(self, path, data):
        return self.open(path, data=data)

    def sign_in(self, username):
        self.get("/login/")
        status, url, _ = self.post("/login/", {"username": username, "password": PASSWORD})
        assert status == 200 and "/login/" not in url, url


def upload(name: str, content: bytes):
    f = io.BytesIO(content)
    f.name = name
    return f


def shown(content: bytes) -> str:
    """The text of a page, JSON or .docx/.xlsx, escapes resolved: to check that a download shows
    the data (so that finding none at rest means something)."""
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(n) for n in archive.namelist())
    text = html.unescape(content.decode("utf-8", "replace"))
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def field(page: bytes, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page.decode()).group(1)


# ---------------------------------------------------------------- the session


def work_session(base, ids, token):
    citizen, reg, disp, sup, api = (Browser(base) for _ in range(5))

    # A citizen files online, with a scanned letter that names them.
    citizen.get("/portal/file/")
    letter = f"%PDF-1.4 来信人：{ONLINE['name']}，身份证号{ONLINE['id_number']}".encode()
    filing = {
        **{k: ONLINE[k] for k in ("name", "id_number", "phone", "address")},
        "division": ids["division"],
        "category": ids["category"],
        "nature": "appeal",
        "request_type": "complaint",
        "title": "小区电梯停运三个月无人维修",
        "content": "本小区三号楼电梯自八月起停运，物业以维修资金不足为由拖延，老人上下楼困难。",
        "request": "请求督促物业尽快修复电梯。",
        "consent": "on",
        "files": [upload("来信.pdf", letter)],
    }
    status, url, page = citizen.post("/portal/file/", filing)
    assert status == 200 and url.endswith("/portal/filed/"), page.decode()[:2000]
    code = re.search(r'class="tracking-code">([^<]+)<', page.decode()).group(1).replace("-", "")
    online_pk = None

    # The registrar: the earlier-matters lookup and the assist panel as the page sends them, then a
    # second matter of the same petitioner with a neighbour, and a letter attached.
    reg.sign_in("reg")
    status, _, form = reg.get("/matters/register/")
    received = field(form, "received_at")
    people = {"p-TOTAL_FORMS": "6", "p-INITIAL_FORMS": "0", "p-MIN_NUM_FORMS": "0", "p-MAX_NUM_FORMS": "6"}
    for i, person in enumerate([ONLINE, WALK_IN]):
        people.update({f"p-{i}-{k}": v for k, v in person.items()})
    status, _, earlier = reg.post(
        "/matters/earlier/", {k: v for k, v in people.items() if k.startswith("p-0")}
    )
    assert status == 200 and "以前反映过 1 件事项" in earlier.decode()
    online_pk = int(re.search(r'href="/matters/(\d+)/"', earlier.decode()).group(1))
    matter = {
        "channel": "visit",
        "received_at": received,
        "title": "楼道照明长期损坏",
        "content": "三号楼楼道照明损坏半年，多次报修无人处理。",
        "request": "请求修复楼道照明。",
        "nature": "appeal",
        "request_type": "complaint",
        "division": ids["division"],
        "category": ids["category"],
        "headcount": "2",
        **people,
    }
    assert reg.post("/assist/intake/", matter)[0] == 200
    scan = f"%PDF-1.4 {WALK_IN['name']} {WALK_IN['phone']}".encode()
    status, url, _ = reg.post("/matters/register/", {**matter, "files": [upload("身份证复印件.pdf", scan)]})
    walk_in_pk = int(re.search(r"/matters/(\d+)/(receipt/)?$", url).group(1))  # a walk-in's 回执
    assert ONLINE["id_number"] in shown(reg.get(f"/matters/{walk_in_pk}/")[2])
    # Someone types a name into the list's search box: it travels in the query string.
    assert reg.get("/matters/", tab="all", q=ONLINE["name"])[0] == 200

    # The registrar imports a 台账: one good row, one refused (bad ID number and phone).
    header = "信访人,身份证号,电话,住址,信访时间,问题属地,内容分类,信访方式,案情\n"
    rows = "".join(
        f"{p['name']},{p['id_number']},{p['phone']},{p['address']},{received[:10]},东湖街道,"
        f"城乡建设／物业管理,来信,{what}\n"
        for p, what in [(LEDGER_OK, "小区绿地被占用停车"), (LEDGER_BAD, "小区垃圾清运不及时")]
    )
    status, url, _ = reg.post("/ledger/", {"file": upload("台账.csv", (header + rows).encode())})
    job = int(re.search(r"/ledger/(\d+)/map/$", url).group(1))
    mapping = {"names": 0, "id_number": 1, "phone": 2, "address": 3, "received_at": 4, "division": 5,
               "category": 6, "channel": 7, "content": 8}  # fmt: skip
    choices = {k: str(v) for k, v in mapping.items()}
    choices.update(mode="valid", default_nature="appeal", default_request_type="complaint")
    reg.post(f"/ledger/{job}/map/", choices)
    wait_until(lambda: "已完成" in reg.get(f"/ledger/{job}/")[2].decode(), "台账导入")
    refused = reg.get(f"/ledger/{job}/errors/")[2]
    assert LEDGER_BAD["id_number"] in shown(refused)

    # The dispatcher handles the online matter directly and downloads what shows personal data.
    disp.sign_in("disp")
    act = disp.get(f"/matters/{online_pk}/act/handle_directly/")[2]
    disp.post(
        f"/matters/{online_pk}/act/handle_directly/", {"version": field(act, "version"), "note": "本级办理"}
    )
    assert ONLINE["name"] in shown(disp.get(f"/documents/matters/{online_pk}/acceptance.docx")[2])
    detail = disp.get(f"/matters/{walk_in_pk}/")[2].decode()
    attachment = re.search(r'href="(/matters/attachments/\d+/)"', detail).group(1)
    assert disp.get(attachment)[2] == scan
    one = disp.get("/matters/export/", tab="all", q=code)[2]
    assert ONLINE["name"] in shown(one)
    status, url, _ = disp.get("/matters/export/", tab="all")
    export = int(re.search(r"/matters/exports/(\d+)/$", url).group(1))
    wait_until(lambda: "已完成" in disp.get(f"/matters/exports/{export}/")[2].decode(), "后台导出")
    everything = shown(disp.get(f"/matters/exports/{export}/download/")[2])
    assert all(p["name"] in everything for p in (ONLINE, WALK_IN, LEDGER_OK))

    # A supervisor sees the data masked and reveals it with a reason.
    sup.sign_in("sup")
    assert WALK_IN["phone"] not in sup.get(f"/matters/{walk_in_pk}/")[2].decode()
    revealed = sup.post(f"/matters/{walk_in_pk}/reveal/", {"reason": "核实信访人联系方式"})[2]
    assert WALK_IN["phone"] in revealed.decode()

    # The citizen follows the matter and downloads the acceptance notice; an integration reads it.
    assert citizen.get(f"/portal/m/{code}/")[0] == 200
    assert ONLINE["name"] in shown(citizen.get(f"/portal/m/{code}/documents/acceptance.docx")[2])
    read = api.open(f"/api/v1/matters/{online_pk}", headers={"Authorization": f"Bearer {token}"})[2]
    assert ONLINE["phone"] in shown(read)


# ---------------------------------------------------------------- the search


def forms_of(value: str) -> set[bytes]:
    """The byte sequences a value can take in a file."""
    utf8 = value.encode()
    forms = {
        utf8,
        value.encode("utf-16-le"),
        value.encode("gb18030"),
        urllib.parse.quote(value).encode(),
        urllib.parse.quote_plus(value).encode(),
        utf8.decode("latin-1").encode(),  # UTF-8 bytes read as Latin-1, written back as UTF-8
        "".join(f"&#{ord(c)};" for c in value).encode(),
        "".join(f"&#x{ord(c):x};" for c in value).encode(),
    }
    if not value.isascii():
        forms.add(value.encode("unicode_escape"))  # \uXXXX, as JSON writes it
        forms.add(value.encode("unicode_escape").upper().replace(b"\\U", b"\\u"))
    return forms


def contents(path: Path) -> list[tuple[str, bytes]]:
    """(where, bytes) of a file, with what it holds compressed or encoded: ZIP members, Django's
    zlib-compressed cache entries, and the decoded Django sessions of a SQLite database."""
    raw = path.read_bytes()
    found = [(str(path), raw)]
    if raw.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            found += [(f"{path}!{n}", archive.read(n)) for n in archive.namelist()]
    if path.suffix == ".djcache":
        with path.open("rb") as f:
            pickle.load(f)  # the expiry time
            found.append((f"{path} (zlib)", zlib.decompress(f.read())))
    if raw.startswith(b"SQLite format 3\x00"):
        with sqlite3.connect(path) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "django_session" in tables:
                for key, data in db.execute("SELECT session_key, session_data FROM django_session"):
                    session = signing.loads(data, key=SECRET_KEY, salt="django.contrib.sessions.SessionStore")
                    found.append((f"{path} session {key}", json.dumps(session, ensure_ascii=False).encode()))
    return found


def test_a_working_session_leaves_no_personal_data_in_the_data_directory_or_the_logs(tmp_path):
    data_dir = tmp_path / "data"
    logs = data_dir / "logs"
    logs.mkdir(parents=True)
    env = server_env(data_dir)
    manage(env, "migrate", "--verbosity", "0")
    ids = json.loads(manage(env, stdin_code=SETUP).strip().splitlines()[-1])
    token = manage(env, "tokens", "create", "热线系统", "--user", "disp", "--scope", "read").split()[-1]

    port = free_port()
    with (logs / "run.out").open("wb") as out, (logs / "run.err").open("wb") as err:
        run = subprocess.Popen(
            [sys.executable, "-m", "xinfang", "run", "--port", str(port), "--workers", "1", "--threads", "4",
             "--no-collectstatic"],
            env=env, stdout=out, stderr=err, cwd=ROOT,
        )  # fmt: skip
        try:
            wait_until(lambda: _listening(port, run), "服务启动")
            work_session(f"http://127.0.0.1:{port}", ids, token)
        finally:
            run.send_signal(signal.SIGTERM)
            run.wait(timeout=90)

    logged = (logs / "run.out").read_text(encoding="utf-8", errors="replace")
    # The logs are really there: gunicorn's access log, the worker's tasks.
    assert '"POST /matters/earlier/ HTTP/1.1" 200' in logged
    assert '"GET /matters/ HTTP/1.1" 200' in logged
    assert "run_export" in logged + (logs / "run.err").read_text(encoding="utf-8", errors="replace")

    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    names = {p.relative_to(data_dir).parts[0] for p in files}
    assert {"xinfang.sqlite3", "huey.sqlite3", "media", "exports", "imports", "logs"} <= names, names
    findings = []
    for path in files:
        for where, data in contents(path):
            for value in VALUES:
                hits = [form for form in forms_of(value) if form in data]
                if hits:
                    findings.append(f"{where}: {value} ({hits[0]!r})")
    assert findings == []


def _listening(port, process) -> bool:
    assert process.poll() is None, "xinfang run 提前退出"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
