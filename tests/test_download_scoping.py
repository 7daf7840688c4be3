"""Every download × every persona, with the file opened: what a report, a 公文, a list export or a
台账 workbook names is checked, not only the status code.

The matters are those of test_scoping.py, each given its own title, and taken further here: M1 is
accepted and answered by 东城区住建局, M2 accepted by 南山区住建局, M3 (the accusation against
东城区住建局) accepted by 市纪委监委; one 督办 covers M1 and M2. Besides the personas of conftest, a
leader of 东湖街道办事处 (tara) reads the statistics of 东湖街道: M1 and M6 lie there, and M6 accuses
her unit, so she may see M1 only.

The rule for every persona that gets a file: it names (by 查询码 or title) no matter outside the
persona's selection, and none at all for a role without matter access (analysts, administrators,
auditors); and it holds what the persona should get (`shows`, `marks`).
"""

import io
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from conftest import PASSWORD, PETITIONER, Driver, at, sign_in
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn
from openpyxl import Workbook, load_workbook
from test_scoping import EXPECTED, build_matters

from xinfang.analytics import display, snapshot
from xinfang.assist.models import LetterScan
from xinfang.core import clock
from xinfang.ledger import jobs
from xinfang.ledger.columns import TEMPLATE_COLUMNS
from xinfang.ledger.models import ImportJob
from xinfang.org.models import Role, User
from xinfang.petitions.models import Attachment, ExportJob, Matter
from xinfang.petitions.tasks import run_export
from xinfang.supervision import supervisions
from xinfang.supervision.models import SupervisionFile

TITLES = {
    "M1": "湖滨社区物业擅自提高停车费",
    "M2": "南山区农贸市场噪声扰民",
    "M3": "检举区住建局工作人员收受好处费",
    "M4": "检举钱卫东违规办理登记",
    "M5": "西岭镇村道积水无人处理",
    "M6": "检举东湖街道办事处挪用救助资金",
}
VISIBLE = {**EXPECTED, "tara": {"M1"}}
PERSONAS = sorted(VISIBLE)
VIEWERS = {Role.ANALYST, Role.SUPERVISOR, Role.LEADER}
# Who may read the 督办 on M1 and M2: the issuing side (市信访局, and the supervisors and leaders
# of 青溪市人民政府) and the answering units (东城区住建局, 南山区住建局, and the leaders of the
# government above 东城区住建局).
SUPERVISION_READERS = {"alice", "bob", "carol", "sam", "leo", "hank", "hope", "nora", "tara"}
CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")


# ---------------------------------------------------------------- reading the files


def compact(text: str) -> str:
    """Without white space: a PDF breaks lines (and codes) wherever the column ends."""
    return re.sub(r"\s+", "", text)


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [t.text or "" for t in doc.element.body.iter(qn("w:t"))]
    for section in doc.sections:
        for part in (section.header, section.footer, section.even_page_footer):
            parts += [t.text or "" for t in part._element.iter(qn("w:t"))]
    props = doc.core_properties
    return "\n".join(parts + [props.title or "", props.subject or "", props.keywords or ""])


def xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    parts = []
    for sheet in book.worksheets:
        parts.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            parts += ["" if v is None else str(v) for v in row]
    return "\n".join(parts)


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def raw_text(content: bytes) -> str:
    return content.decode("latin-1")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def named(text: str, matters: dict) -> set[str]:
    """The matters the text names, by 查询码 (with or without dashes) or by title."""
    flat = compact(text)
    return {
        key
        for key, m in matters.items()
        if m.code in flat or m.display_code in flat or compact(m.title) in flat
    }


def check_file(text: str, user, matters: dict, *, shows=frozenset(), marks=()):
    """What every downloaded file must satisfy for `user` (see the module docstring)."""
    seen = named(text, matters)
    assert seen <= VISIBLE[user.username], f"{user.username} 得到范围外的事项 {seen - VISIBLE[user.username]}"
    assert seen >= set(shows), f"{user.username} 应看到 {set(shows) - seen}"
    if not user.does_casework:
        assert not CODE.search(compact(text)), user.username
        for title in Matter.objects.values_list("title", flat=True):
            assert compact(title) not in compact(text), (user.username, title)
    for mark in marks:
        assert compact(mark) in compact(text), (user.username, mark)


# ---------------------------------------------------------------- the downloads


@dataclass(frozen=True)
class Download:
    route: str
    expect: Callable  # user -> status code
    read: Callable = docx_text  # the file -> its text
    kwargs: Callable = lambda o: {}  # the fixture's objects -> URL kwargs
    query: dict | None = None
    shows: Callable = lambda username: set()  # matters the file must name for this persona
    marks: tuple = ()  # text every file of this download holds
    disposition: str = "attachment"  # "inline": opens in the browser (an attachment that is a PDF)


def viewer(user):
    """统计分析 and its report: analysts, supervisors and leaders of a unit with a territory."""
    return 200 if user.role in VIEWERS else 403


def on_matter(key):
    def expect(user):
        if not user.does_casework:
            return 403
        return 200 if key in VISIBLE[user.username] else 404

    return expect


def registrar(user):
    return user.does_casework and user.role in {Role.REGISTRAR, Role.DISPATCHER}


# The oldest open matters (M1, M2) are in every casework viewer's 在办时间最长; tara sees only M1,
# also as the 典型事项 of 物业管理 in her territory; the city's newest (M6) is a 典型事项 for the city.
OLDEST = {"sam": {"M1", "M2"}, "leo": {"M1", "M2"}, "tara": {"M1"}}
EXAMPLES = {"sam": {"M6"}, "leo": {"M6"}, "tara": {"M1"}}
REPORT_PERIODS = {"monthly": "2025-03", "quarterly": "2025Q1", "annual": "2025"}
REPORT_MARKS = {
    "docx": ("信访形势的分析报告",),
    "pdf": ("信访形势的分析报告",),
    "xlsx": ("总体情况", "信访方式"),
}
READERS = {"docx": docx_text, "xlsx": xlsx_text, "pdf": pdf_text}
DASHBOARD_PERIOD = {"first": "2025-03-01", "last": "2025-03-31"}


def report(kind, fmt):
    return Download(
        "analytics:report",
        viewer,
        READERS[fmt],
        query={"kind": kind, "period": REPORT_PERIODS[kind], "format": fmt},
        shows=lambda u: OLDEST.get(u, set()) | EXAMPLES.get(u, set()),
        marks=REPORT_MARKS[fmt],
    )


def dashboard_export(name):
    names_matters = {"longest_open": OLDEST, "top_issues": EXAMPLES, "all": OLDEST}.get(name, {})
    return Download(
        "analytics:dashboard",
        # the list of the longest-open matters is only for those who may open matters
        (lambda u: viewer(u) if u.does_casework else 403) if name == "longest_open" else viewer,
        xlsx_text,
        query={**DASHBOARD_PERIOD, "export": name},
        shows=lambda u: names_matters.get(u, set()),
    )


DOWNLOADS = {
    # 信访形势分析报告: every kind as .docx and .xlsx, and the .pdf (the same document converted)
    **{f"report-{kind}-{fmt}": report(kind, fmt) for kind in REPORT_PERIODS for fmt in ("docx", "xlsx")},
    "report-monthly-pdf": report("monthly", "pdf"),
    # 统计分析: every table's .xlsx and all of them in one
    **{f"dashboard-{name}": dashboard_export(name) for name in display.DASHBOARD + ["longest_open", "all"]},
    # 公文 of a matter: for whoever may open the matter, naming that matter only
    **{
        f"notice-{key}-{kind}": Download(
            "documents:matter",
            on_matter(key),
            kwargs=lambda o, key=key, kind=kind: {"pk": o.matters[key].pk, "kind": kind},
            shows=lambda u, key=key: {key},
            marks=(title,),
        )
        for key, kind, title in [
            ("M1", "acceptance", "信访事项受理告知书"),
            ("M1", "reply", "信访事项处理意见书"),
            ("M2", "acceptance", "信访事项受理告知书"),
            ("M3", "acceptance", "信访事项受理告知书"),
        ]
    },
    # 办结报告 of M1 (it came from the level above): for whoever may open M1
    **{
        f"completion-{fmt}": Download(
            "documents:completion",
            on_matter("M1"),
            read,
            kwargs=lambda o, fmt=fmt: {"pk": o.matters["M1"].pk, "fmt": fmt},
            shows=lambda u: {"M1"},
            marks=(mark,),
        )
        for fmt, read, mark in [
            ("docx", docx_text, "信访事项办结报告"),
            ("xlsx", xlsx_text, "上级要求办结日期"),
            ("json", lambda content: content.decode(), "upper_reference"),
        ]
    },
    # 督办单: the matters of the 督办 the reader may open
    "supervision-sheet": Download(
        "documents:supervision",
        lambda u: 403 if not u.does_casework else (200 if u.username in SUPERVISION_READERS else 404),
        kwargs=lambda o: {"pk": o.supervision.pk},
        shows=lambda u: VISIBLE[u] & {"M1", "M2"},
        marks=("信访事项督办单",),
    ),
    # a file sent with a 督办反馈: to whoever may open the 督办
    "supervision-answer-file": Download(
        "supervision:answer_file",
        lambda u: 403 if not u.does_casework else (200 if u.username in SUPERVISION_READERS else 404),
        raw_text,
        kwargs=lambda o: {"pk": o.supervision.pk, "file": o.answer_file.pk},
        marks=("%PDF-1.4 answer report",),
        disposition="inline",
    ),
    # 全部事项 as .xlsx: every matter of the reader's selection, no other
    "list-export": Download(
        "petitions:export",
        lambda u: 200 if u.does_casework else 403,
        xlsx_text,
        query={"tab": "all"},
        shows=lambda u: VISIBLE[u],
        marks=("信访事项台账",),
    ),
    # a large export written by the worker: for its requester (tom) only
    "list-export-job": Download(
        "petitions:export_download",
        lambda u: 200 if u.username == "tom" else (404 if u.does_casework else 403),
        xlsx_text,
        kwargs=lambda o: {"pk": o.export_job.pk},
        shows=lambda u: VISIBLE[u],
        marks=("信访事项台账",),
    ),
    # 台账 import: the template, and the refused rows for their uploader (alice) only
    "ledger-template": Download(
        "ledger:template", lambda u: 200 if registrar(u) else 403, xlsx_text, marks=("信访人", "案情")
    ),
    "ledger-errors": Download(
        "ledger:errors",
        lambda u: 200 if u.username == "alice" else (404 if registrar(u) else 403),
        xlsx_text,
        kwargs=lambda o: {"pk": o.import_job.pk},
        marks=("错误说明", "电梯停用两个月"),
    ),
    # a file attached to M1
    "attachment": Download(
        "petitions:attachment",
        on_matter("M1"),
        raw_text,
        kwargs=lambda o: {"pk": o.attachment.pk},
        marks=("%PDF-1.4 M1 letter",),
        disposition="inline",
    ),
    # 矛盾纠纷: the 台账 of the reader's disputes, the monthly 情况表 and summary, the import template
    "dispute-list": Download(
        "disputes:export",
        lambda u: 200 if u.does_casework else 403,
        xlsx_text,
        query={"tab": "all"},
        marks=("矛盾纠纷排查化解台账",),
    ),
    "dispute-monthly-xlsx": Download(
        "disputes:monthly_xlsx",
        lambda u: 200 if u.does_casework or u.role == Role.ANALYST else 403,
        xlsx_text,
        query={"month": "2025-03"},
        marks=("矛盾纠纷排查化解情况表",),
    ),
    "dispute-monthly-docx": Download(
        "disputes:monthly_docx",
        lambda u: 200 if u.does_casework or u.role == Role.ANALYST else 403,
        query={"month": "2025-03"},
        marks=("矛盾纠纷排查化解情况（2025年3月）",),
    ),
    "dispute-template": Download(
        "disputes:import_template",
        lambda u: (
            200
            if u.does_casework and u.role in {Role.REGISTRAR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD}
            else 403
        ),
        xlsx_text,
        marks=("纠纷概要", "当事人"),
    ),
    # 网格事件: the 台账 of the events the reader sees (which events: tests/test_grid.py)
    "grid-event-list": Download(
        "grid:export",
        lambda u: 200 if u.does_casework else 403,
        xlsx_text,
        query={"tab": "all"},
        marks=("网格事件台账",),
    ),
    # a scanned letter being read (OCR) before registration: its uploader's alone
    "letter-scan": Download(
        "assist:letter_file",
        lambda u: 200 if u.username == "alice" else (404 if registrar(u) else 403),
        raw_text,
        kwargs=lambda o: {"pk": o.scan.pk},
        marks=("%PDF-1.4 scanned letter",),
        disposition="inline",
    ),
    # 网上信访: a notice only after the matter's code and phone were checked in this session
    # (test_citizen_downloads_only_the_notices_of_a_matter_they_tracked); staff have no such session
    "portal-notice": Download(
        "portal:document",
        lambda u: 302,  # a staff session has tracked no code: back to the tracking form
        kwargs=lambda o: {"code": o.matters["M1"].code, "kind": "acceptance"},
    ),
}
DOWNLOAD_ROUTES = {d.route for d in DOWNLOADS.values()}


# ---------------------------------------------------------------- the records


class Objects:
    pass


@pytest.fixture
def objects(world, settings):
    w = world
    matters = build_matters(w)
    for key, m in matters.items():
        Matter.objects.filter(pk=m.pk).update(title=TITLES.get(key, f"第{key}号测试事项"))
    d = Driver(w, start=at(2025, 3, 10))
    d.do(Matter.objects.get(pk=matters["M2"].pk), "accept", actor=w.nora)
    d.do(Matter.objects.get(pk=matters["M3"].pk), "accept", actor=w.dora)
    Matter.objects.filter(pk=matters["M1"].pk).update(upper_reference="青信交〔2025〕1号")  # from above
    m1 = Matter.objects.get(pk=matters["M1"].pk)
    for action in ("accept", "submit_reply", "approve_reply"):
        m1 = d.do(m1, action)
    o = Objects()
    o.matters = {key: Matter.objects.get(pk=m.pk) for key, m in matters.items()}

    tara = User.objects.create_user(
        username="tara", password=PASSWORD, unit=w.units.t1, role=Role.LEADER, full_name="tara"
    )
    w.users["tara"] = tara
    seen = {key for key, m in o.matters.items() if Matter.objects.visible_to(tara).filter(pk=m.pk).exists()}
    assert seen == VISIBLE["tara"]

    today = clock.today()
    o.supervision = supervisions.issue(
        w.sam,
        kind="supervise",
        cases=[o.matters["M1"], o.matters["M2"]],
        level="yellow",
        reasons=["overdue"],
        text="请加快办理",
        due_on=today + timedelta(days=5),
    )
    o.export_job = ExportJob.objects.create(user=w.tom, query="tab=all", total=1)
    run_export(o.export_job.pk)
    o.import_job = _refused_import(w.alice)
    o.attachment = Attachment.objects.create(
        matter=o.matters["M1"],
        file=SimpleUploadedFile("来信.pdf", b"%PDF-1.4 M1 letter"),
        name="来信.pdf",
        size=18,
        content_type="application/pdf",
        uploaded_by=w.alice,
    )
    o.answer_file = SupervisionFile.objects.create(
        task=o.supervision.tasks.first(),
        file=SimpleUploadedFile("answer", b"%PDF-1.4 answer report"),
        name="办理情况报告.pdf",
        size=22,
        content_type="application/pdf",
        uploaded_by=w.hank,
        uploaded_at=clock.now(),
    )
    o.scan = LetterScan.objects.create(
        file=SimpleUploadedFile("scan", b"%PDF-1.4 scanned letter"),
        name="来信.pdf",
        content_type="application/pdf",
        uploaded_by=w.alice,
        uploaded_at=clock.now(),
    )
    snapshot.refresh()
    return o


def _refused_import(user) -> ImportJob:
    """A 台账 whose only row has a date that is not one: refused, with its error workbook."""
    header = [c.label for c in TEMPLATE_COLUMNS]
    values = {
        "编号": "TZ-00001",
        "信访人": "张三",
        "电话": "13900000001",
        "信访时间": "去年冬天",
        "问题属地": "东湖街道",
        "内容分类": "城乡建设／物业管理",
        "信访方式": "来访",
        "案情": "3号楼电梯停用两个月，物业不维修。",
    }
    book = Workbook()
    book.active.append(header)
    book.active.append([values.get(h, "") for h in header])
    buffer = io.BytesIO()
    book.save(buffer)
    job = jobs.new_job(user, buffer.getvalue(), "台账.xlsx")
    job.mode = ImportJob.Mode.ALL
    job.state = ImportJob.State.QUEUED
    job.save()
    job = jobs.run(job.pk)
    assert job.state == ImportJob.State.REJECTED and job.error_file, job.message
    return job


# ---------------------------------------------------------------- the matrix


@pytest.mark.parametrize("name", sorted(DOWNLOADS))
def test_download_for_every_persona(client, world, objects, name):
    download = DOWNLOADS[name]
    url = reverse(download.route, kwargs=download.kwargs(objects))
    wrong = {}
    got_files = 0
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
        assert response["Content-Disposition"].startswith(download.disposition), (name, username)
        text = download.read(body_of(response))
        check_file(text, user, objects.matters, shows=download.shows(username), marks=download.marks)
        got_files += 1
    assert wrong == {}, f"{name}: (得到, 应为)"
    assert got_files or name == "portal-notice", f"{name}: 没有任何人能下载"


def test_citizen_downloads_only_the_notices_of_a_matter_they_tracked(client, objects):
    m1, m2 = objects.matters["M1"], objects.matters["M2"]
    tail = PETITIONER["phone"][-4:]
    assert client.post("/portal/track/", {"code": m1.display_code, "phone_tail": tail}).status_code == 302
    response = client.get(reverse("portal:document", kwargs={"code": m1.code, "kind": "reply"}))
    assert response.status_code == 200
    text = docx_text(response.content)
    assert named(text, objects.matters) == {"M1"}
    assert "信访事项处理意见书" in text
    # M2's petitioner has the same phone, but this session did not check M2's code
    other = reverse("portal:document", kwargs={"code": m2.code, "kind": "acceptance"})
    response = client.get(other)
    assert response.status_code == 302 and response["Location"] == "/portal/track/"


# ---------------------------------------------------------------- the report command


def test_report_command_names_matters_only_for_a_user_whose_scope_allows(world, objects, tmp_path):
    def written(*extra, suffix="docx"):
        out = tmp_path / f"report.{suffix}"
        call_command("report", "monthly", "--month", "2025-03", "--out", str(out), *extra)
        return (docx_text if suffix == "docx" else xlsx_text)(out.read_bytes())

    for suffix in ("docx", "xlsx"):
        figures_only = written(suffix=suffix)
        assert named(figures_only, objects.matters) == set()
        assert not CODE.search(compact(figures_only))
    assert "关于2025年3月全市信访形势的分析报告" in written()
    assert named(written("--user", "ann"), objects.matters) == set()
    assert named(written("--user", "tara"), objects.matters) == {"M1"}  # not M6, which accuses her unit
    assert "东湖街道信访形势" in written("--user", "tara")
    city = named(written("--user", "sam"), objects.matters)
    assert {"M1", "M2", "M6"} <= city <= VISIBLE["sam"]
    with pytest.raises(CommandError, match="不在 tara 的辖区"):
        written("--user", "tara", "--division", world.divisions.d2.code)
    with pytest.raises(CommandError, match="没有用户名为 nobody"):
        written("--user", "nobody")
