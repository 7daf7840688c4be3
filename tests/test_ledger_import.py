"""台账 import: encodings, date formats, the column mapping, bad rows among thousands, all-or-nothing
and valid-rows-only, the error workbook round trip, re-import idempotence, refused files, the pages
and the CLI. The rows become matters through the bulk write path; these tests check that the result
is what registration and dispatch on the page give (deadline, events, links, encrypted petitioners,
notices, audit)."""

import csv
import io
from datetime import date, datetime

import pytest
from conftest import sign_in
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from xinfang.audit import api as audit_api
from xinfang.audit.models import AuditEntry
from xinfang.core.models import Notification
from xinfang.core.tables import FileRefused, Limits, open_table
from xinfang.ledger import jobs
from xinfang.ledger.columns import TEMPLATE_COLUMNS
from xinfang.ledger.models import ImportJob
from xinfang.petitions.choices import Channel, DispatchKind, Nature, Status
from xinfang.petitions.models import Matter, MatterEvent, Petitioner, phone_hash

HEADER = ["编号", "信访人", "身份证号", "住址", "电话", "信访时间", "问题属地", "内容分类", "信访方式", "案情", "诉求",
          "办理时限", "承办单位", "办理意见"]  # fmt: skip
ID_NUMBER = "11010519491231002X"
LIMITS = Limits(max_bytes=10**6, max_unpacked=10**7, max_rows=1000)


def row(n, **changes):
    values = {
        "编号": f"TZ-{n:05d}",
        "信访人": "张三",
        "身份证号": ID_NUMBER,
        "住址": "东湖街道幸福里3号",
        "电话": f"139{n:08d}",
        "信访时间": "2026-11-02",
        "问题属地": "东湖街道",
        "内容分类": "城乡建设／物业管理",
        "信访方式": "来访",
        "案情": f"第{n}号楼电梯停用两个月，物业不维修。",
        "诉求": "尽快修复电梯",
        "办理时限": "2026年12月15日",
        "承办单位": "",
        "办理意见": "",
    }
    values.update(changes)
    return [values[h] for h in HEADER]


def write_xlsx(path, rows, header=HEADER):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def write_csv(path, rows, encoding="utf-8", header=HEADER):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


def run_import(user, path, mode=ImportJob.Mode.ALL, **mapping_changes) -> ImportJob:
    job = jobs.new_job(user, path.read_bytes(), path.name)
    job.mapping.update(mapping_changes)
    job.mode = mode
    job.state = ImportJob.State.QUEUED
    job.save()
    return jobs.run(job.pk)


# ---------------------------------------------------------------- what a row becomes


def test_a_row_becomes_a_registered_matter_like_one_entered_on_the_page(world, tmp_path):
    path = write_xlsx(tmp_path / "台账.xlsx", [row(1, 信访人="张三、李四", 电话="13900000001、13900000002",
                                                   身份证号="")])  # fmt: skip
    job = run_import(world.alice, path)
    assert (job.state, job.written, job.error_count) == (ImportJob.State.DONE, 1, 0), job.message
    m = Matter.objects.get()
    assert (m.ledger_number, m.channel, m.status) == ("TZ-00001", Channel.VISIT, Status.REGISTERED)
    assert (m.division, m.category, m.registering_unit) == (
        world.divisions.township,
        world.category,
        world.units.city_bureau,
    )
    assert timezone.localdate(m.received_at) == date(2026, 11, 2) and m.upper_due_date == date(2026, 12, 15)
    assert m.title == "第1号楼电梯停用两个月，物业不维修。" and m.request == "尽快修复电梯"
    assert m.headcount == 2 and not m.anonymous
    # the 15-day 转送交办 period from the day received, as on the page
    assert m.due_step == "dispatch" and m.due_date is not None
    people = list(m.petitioners.all())
    assert [(p.name, p.phone) for p in people] == [("张三", "13900000001"), ("李四", "13900000002")]
    assert Petitioner.objects.filter(phone_hash=phone_hash("13900000002")).get().matter == m
    event = MatterEvent.objects.get(matter=m)
    assert event.action == "register" and "第2行" in event.note
    entry = AuditEntry.objects.get(target=f"import:{job.pk}")
    assert entry.detail["matters"] == [m.pk]
    assert audit_api.verify().ok


def test_a_row_with_a_handling_unit_is_dispatched_and_the_unit_told(world, tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [
        row(1, 承办单位="青溪市住房和城乡建设局", 办理意见="请依法处理"),
        row(2, 承办单位="青溪市信访局"),
    ])  # fmt: skip
    job = run_import(world.bob, path)
    assert job.written == 2, job.errors
    forwarded = Matter.objects.get(ledger_number="TZ-00001")
    assert (forwarded.status, forwarded.holder_unit, forwarded.dispatch_kind) == (
        Status.DISPATCHED, world.units.housing, DispatchKind.FORWARD)  # fmt: skip
    assert forwarded.due_step == "acceptance"
    assert {u.unit for u in forwarded.unit_links.all()} == {world.units.city_bureau, world.units.housing}
    forward = forwarded.events.get(action="forward")
    assert forward.note == "请依法处理" and forward.actor == world.bob
    direct = Matter.objects.get(ledger_number="TZ-00002")
    assert (direct.status, direct.dispatch_kind) == (Status.HANDLING, DispatchKind.DIRECT)
    told = Notification.objects.filter(kind="import", recipient_user=world.hugo)
    assert told.count() == 1 and "1件" in told.get().subject
    # the housing bureau's handler now sees the matter in the list
    assert Matter.objects.visible_to(world.hugo).filter(pk=forwarded.pk).exists()


def test_a_registrar_may_import_but_not_dispatch(world, tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [row(1), row(2, 承办单位="青溪市住房和城乡建设局")])
    job = run_import(world.alice, path)
    assert job.state == ImportJob.State.REJECTED
    assert job.errors == [[3, "承办单位", "只有交办员可以在导入时转送、交办；请清空此列，登记后由交办员交办"]]
    assert not Matter.objects.exists()


def test_an_accusation_is_not_handed_to_the_accused_unit(world, tmp_path):
    header = [*HEADER, "事项性质", "被反映单位"]
    rows = [
        [*row(1, 承办单位="青溪市住房和城乡建设局"), "检举控告", "青溪市住房和城乡建设局"],
        [*row(2, 承办单位="青溪市纪委监委"), "检举控告", "青溪市住房和城乡建设局"],
    ]
    job = run_import(world.bob, write_xlsx(tmp_path / "t.xlsx", rows, header), mode=ImportJob.Mode.VALID)
    assert job.written == 1
    assert job.errors == [
        [2, "承办单位", "检举控告事项不得交办给被检举控告的单位（《信访工作条例》第三十条、第四十六条）"]
    ]
    # Not dispatched on import: 市纪委监委 first resolves whom it names; the 台账's 承办单位 is kept.
    accusation = Matter.objects.get()
    assert accusation.nature == Nature.ACCUSATION and accusation.holder_unit == world.units.city_bureau
    assert accusation.screening_unit == world.units.discipline and accusation.screened_at is None
    assert "台账所列承办单位「青溪市纪委监委」" in accusation.events.get().note
    assert list(Matter.objects.visible_to(world.dora)) == [accusation]
    for name in ("hugo", "bob", "carol"):
        assert not Matter.objects.visible_to(world.users[name]).exists()


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2026-3-1", datetime(2026, 3, 1)),
        ("2026/03/01", datetime(2026, 3, 1)),
        ("2026.3.1", datetime(2026, 3, 1)),
        ("2026年3月1日", datetime(2026, 3, 1)),
        ("20260301", datetime(2026, 3, 1)),
        ("2026-03-01 14:30", datetime(2026, 3, 1, 14, 30)),
        ("2026年3月1日 14时30分", datetime(2026, 3, 1, 14, 30)),
        ("46082", datetime(2026, 3, 1)),  # an Excel serial typed as text
        (46082, datetime(2026, 3, 1)),  # a number cell
        (46082.5, datetime(2026, 3, 1, 12)),
        (datetime(2026, 3, 1, 9, 5), datetime(2026, 3, 1, 9, 5)),  # a date cell
    ],
)
def test_dates_in_the_forms_people_type(typed, expected):
    from xinfang.ledger.values import parse_datetime

    assert parse_datetime(typed) == expected


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("2026-13-01", "「2026-13-01」不是有效的日期或时间"),
        ("3/1/2026", "「3/1/2026」不是可识别的日期，请写成2025-03-01或2025年3月1日"),
        ("昨天", "「昨天」不是可识别的日期，请写成2025-03-01或2025年3月1日"),
        ("15", "「15」不是日期：数字只有作为 Excel 日期序号（如45717）时才能识别"),
        ("", "不能为空"),
    ],
)
def test_dates_that_are_refused_say_why(typed, reason):
    from xinfang.ledger.values import parse_datetime

    with pytest.raises(ValueError) as caught:
        parse_datetime(typed)
    assert str(caught.value) == reason


def test_the_date_formats_of_one_file_all_import(world, tmp_path):
    typed = ["2026-3-1", "2026/03/02", "2026年3月3日", 46085, "2026-03-05 08:15"]
    rows = [row(i, 信访时间=t) for i, t in enumerate(typed, start=1)]
    job = run_import(world.alice, write_xlsx(tmp_path / "t.xlsx", rows))
    assert job.written == 5, job.errors
    received = sorted(timezone.localtime(m.received_at).replace(tzinfo=None) for m in Matter.objects.all())
    assert received == [datetime(2026, 3, d, *((8, 15) if d == 5 else (0, 0))) for d in range(1, 6)]


@pytest.mark.parametrize(
    "encoding, label",
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8（带BOM）"),
        ("gbk", "GBK/GB18030"),
        ("gb18030", "GBK/GB18030"),
        ("utf-16", "UTF-16（Unicode 文本）"),
    ],
)
def test_csv_in_each_encoding(world, tmp_path, encoding, label):
    name = "䶮" if encoding == "gb18030" else "王五"  # a character that GBK lacks and GB18030 has
    path = write_csv(tmp_path / "t.csv", [row(1, 信访人=name), row(2)], encoding=encoding)
    job = run_import(world.alice, path)
    assert (job.encoding, job.written) == (label, 2), job.errors
    assert Matter.objects.get(ledger_number="TZ-00001").petitioners.get().name == name


def test_tab_separated_text_is_read(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("编号\t信访人\nA1\t张三\n", encoding="utf-8")
    table = open_table(path, LIMITS)
    assert table.header == ["编号", "信访人"] and list(table.rows()) == [(2, ["A1", "张三"])]


# ---------------------------------------------------------------- bad rows, the two modes, re-import


def thousands_with_one_bad(tmp_path, bad_at=1500, count=3000):
    rows = [row(i) for i in range(1, count + 1)]
    rows[bad_at - 1] = row(bad_at, 电话="12345")
    return write_xlsx(tmp_path / "台账.xlsx", rows)


def test_one_bad_row_among_thousands_stops_an_all_or_nothing_import(world, tmp_path):
    job = run_import(world.alice, thousands_with_one_bad(tmp_path))
    assert job.state == ImportJob.State.REJECTED
    assert job.errors == [[1501, "电话", "「*****」不是有效的电话号码：手机号为11位，固定电话请带区号"]]
    assert "一行都没有导入" in job.message
    assert not Matter.objects.exists()
    sheet = load_workbook(io.BytesIO(jobs.content_of(job.error_file))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (*HEADER, "错误说明")
    assert len(rows) == 2 and rows[1][0] == "TZ-01500"
    assert rows[1][-1] == "原第1501行 电话：「*****」不是有效的电话号码：手机号为11位，固定电话请带区号"
    assert rows[1][HEADER.index("电话")] == "12345"  # the row itself as it was, to be corrected


def test_valid_rows_import_and_the_fixed_error_rows_complete_the_file(world, tmp_path):
    job = run_import(world.alice, thousands_with_one_bad(tmp_path), mode=ImportJob.Mode.VALID)
    assert (job.state, job.written, job.error_count) == (ImportJob.State.DONE, 2999, 1)
    # the user fixes the phone in the error workbook and imports it as it is (extra column and all)
    book = load_workbook(io.BytesIO(jobs.content_of(job.error_file)))
    book.active.cell(row=2, column=HEADER.index("电话") + 1, value="13900001500")
    fixed = tmp_path / "错误行-已修改.xlsx"
    book.save(fixed)
    again = run_import(world.alice, fixed)
    assert (again.written, again.error_count) == (1, 0)
    assert Matter.objects.count() == 3000


def test_importing_the_same_file_again_creates_no_duplicates(world, tmp_path):
    rows = [row(i) for i in range(1, 6)] + [row(6, 编号=""), row(7, 编号="")]
    path = write_xlsx(tmp_path / "t.xlsx", rows)
    first = run_import(world.alice, path)
    second = run_import(world.alice, path)
    assert (first.written, first.skipped) == (7, 0)
    assert (second.written, second.skipped, second.state) == (0, 7, ImportJob.State.DONE)
    assert Matter.objects.count() == 7
    # another bureau importing the same 台账 registers its own matters
    assert run_import(world.dan, path).written == 7


def test_repeated_rows_inside_one_file_are_reported(world, tmp_path):
    rows = [row(1), row(2), row(1, 案情="改过的内容"), row(9, 编号=""), row(9, 编号="")]
    job = run_import(world.alice, write_xlsx(tmp_path / "t.xlsx", rows), mode=ImportJob.Mode.VALID)
    assert job.written == 3
    assert job.errors == [
        [4, "", "与第2行的编号相同，是重复的行"],
        [6, "", "与第5行的信访人、电话、信访时间和案情相同，是重复的行"],
    ]


def test_each_problem_of_a_row_is_named_with_its_column(world, tmp_path):
    rows = [row(1, 信访时间="2099-01-01", 问题属地="不存在的镇", 内容分类="城乡建设", 信访方式="飞鸽",
                身份证号="110105194912310021", 案情="", 承办单位="没有这个局")]  # fmt: skip
    job = run_import(world.bob, write_xlsx(tmp_path / "t.xlsx", rows))
    assert {(c, m) for _, c, m in job.errors} == {
        ("信访时间", "信访时间不能晚于现在"),
        ("问题属地", "系统中找不到区划「不存在的镇」"),
        ("内容分类", "「城乡建设」是一级分类，请写到二级分类，如「城乡建设／…」"),
        (
            "信访方式",
            "「飞鸽」不是可识别的信访方式，可填：来信、来访、网上、电话、传真、领导接访、上级转送、上级交办、12345热线",
        ),
        ("身份证号", "「110***********0021」的格式或校验位不正确"),
        ("案情", "不能为空"),
        ("承办单位", "系统中没有名为「没有这个局」的单位"),
    }


def test_places_are_found_by_name_with_ancestors_or_code(world, tmp_path):
    rows = [row(1, 问题属地="东城区东湖街道"), row(2, 问题属地="青溪市/东城区/东湖街道"),
            row(3, 问题属地="990101001"), row(4, 问题属地="湖滨社区")]  # fmt: skip
    job = run_import(world.alice, write_xlsx(tmp_path / "t.xlsx", rows))
    assert job.written == 4, job.errors
    assert {m.division for m in Matter.objects.all()} == {world.divisions.township, world.divisions.village}


# ---------------------------------------------------------------- refused files


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "文件是空的（0字节）。请选择填好的台账文件。"),
        ("编号,信访人\n".encode(), "文件中只有表头，没有事项数据。"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
         "文件内容既不是 Excel 工作簿（.xlsx），也不是 CSV 文本，无法读取。如果是改了扩展名的文件，请用 Excel 打开后另存为 .xlsx 或 CSV。"),
        (b"PK\x03\x04" + bytes(100), "文件已损坏，不是完整的 Excel 工作簿（.xlsx）。请重新保存后再导入。"),
    ],
)  # fmt: skip
def test_files_that_are_not_a_ledger_are_refused_with_the_reason(world, tmp_path, content, reason):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileRefused) as caught:
        jobs.new_job(world.alice, path.read_bytes(), path.name)
    assert str(caught.value) == reason
    assert storages["imports"].listdir("") == ([], [])  # nothing kept


def test_a_zip_that_is_not_a_workbook_is_refused(world, tmp_path):
    import zipfile

    path = tmp_path / "文档.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(FileRefused, match="不是 Excel 工作簿"):
        jobs.new_job(world.alice, path.read_bytes(), path.name)


def test_a_file_over_the_size_limit_is_refused(world, tmp_path, settings):
    settings.XINFANG_IMPORT_MAX_MB = 1
    path = write_csv(tmp_path / "big.csv", [row(i, 案情="长" * 2000) for i in range(1, 400)])
    with pytest.raises(FileRefused, match=r"超过了1MB的上限"):
        jobs.new_job(world.alice, path.read_bytes(), path.name)


def test_an_upload_over_the_size_limit_is_refused_on_the_page(client, world, tmp_path, settings):
    settings.XINFANG_IMPORT_MAX_MB = 1
    path = write_csv(tmp_path / "big.csv", [row(i, 案情="长" * 2000) for i in range(1, 400)])
    sign_in(client, "alice")
    with path.open("rb") as f:
        page = client.post("/ledger/", {"file": f}).content.decode()
    assert "超过了1MB的上限" in page
    assert not ImportJob.objects.exists() and storages["imports"].listdir("") == ([], [])


def test_a_50_megabyte_file_imports(world, tmp_path):
    long_text = "小区物业长期不维修电梯，居民多次反映未果。" * 120  # about 7.7 KB in UTF-8
    rows = [row(i, 案情=f"{i}：{long_text}") for i in range(1, 6801)]
    path = write_csv(tmp_path / "big.csv", rows)
    assert path.stat().st_size > 50 * 1048576
    job = run_import(world.alice, path)
    assert (job.written, job.error_count) == (6800, 0)
    assert Matter.objects.get(ledger_number="TZ-06800").content.startswith("6800：")


# ---------------------------------------------------------------- pages and command line


def test_upload_map_and_run_in_the_pages(client, world, tmp_path, django_capture_on_commit_callbacks):
    header = ["序号", "反映内容", *[h for h in HEADER if h != "案情"]]
    rows = [
        [i, f"内容{i}", *[v for h, v in zip(HEADER, row(i), strict=True) if h != "案情"]] for i in range(1, 4)
    ]
    path = write_xlsx(tmp_path / "区里的台账.xlsx", rows, header)
    sign_in(client, "alice")
    with path.open("rb") as f:
        response = client.post("/ledger/", {"file": f})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/ledger/{job.pk}/map/"
    page = client.get(response.url).content.decode()
    assert "共 15 列" in page and "内容3" in page  # the header and the first rows, shown to help
    assert "案情" not in job.mapping  # 「反映内容」 is not a name the guess knows
    form = {k: v for k, v in {**job.mapping}.items()}
    post = {key: str(index) for key, index in form.items()}
    post.update(mode="all", default_nature="appeal", default_request_type="complaint")
    refused = client.post(response.url, post)
    assert "必须指定「案情」对应文件中的哪一列。" in refused.content.decode()
    post["content"] = "1"
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response.url, post)
    assert done.url == f"/ledger/{job.pk}/"
    job.refresh_from_db()
    assert (job.state, job.written) == (ImportJob.State.DONE, 3)
    assert (
        "共 3 行 · <strong>已完成" in (shown := client.get(done.url).content.decode())
        and "新登记 3 件" in shown
    )
    imported = Matter.objects.get(ledger_number="TZ-00002")
    assert imported.content == "内容2"
    detail = client.get(f"/matters/{imported.pk}/").content.decode()
    assert "原台账编号</dt><dd>TZ-00002" in detail and "要求办结日期</dt><dd>2026年12月15日" in detail


def test_the_template_downloads_and_imports_after_filling(client, world, tmp_path):
    sign_in(client, "alice")
    response = client.get("/ledger/template/")
    content = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [c.label for c in TEMPLATE_COLUMNS]
    assert book.sheetnames == ["信访事项", "填写说明"]
    labels = [c.value for c in sheet[1]]
    values = dict(zip(HEADER, row(1), strict=True))
    sheet.append([values.get(label, "") for label in labels])
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    assert run_import(world.alice, filled).written == 1


def test_only_registering_staff_import_and_only_their_own_jobs(client, world, tmp_path):
    sign_in(client, "hugo")  # a handler
    assert client.get("/ledger/").status_code == 403
    job = run_import(world.alice, write_xlsx(tmp_path / "t.xlsx", [row(1)]))
    sign_in(client, "bob")
    assert client.get(f"/ledger/{job.pk}/").status_code == 404


def test_the_error_rows_download_from_the_job_page(client, world, tmp_path):
    job = run_import(world.alice, write_xlsx(tmp_path / "t.xlsx", [row(1), row(2, 信访方式="")]))
    sign_in(client, "alice")
    page = client.get(f"/ledger/{job.pk}/").content.decode()
    assert "第3行" in page and "下载错误行" in page
    response = client.get(f"/ledger/{job.pk}/errors/")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(rows) == 2 and rows[1][-1].startswith("原第3行 信访方式：不能为空")


def test_the_command_imports_with_a_progress_bar(world, tmp_path, capsys):
    header = [h if h != "案情" else "反映内容" for h in HEADER]
    path = write_xlsx(tmp_path / "t.xlsx", [row(i) for i in range(1, 4)], header)
    with pytest.raises(CommandError, match="必须指定「案情」"):
        call_command("import", "matters", str(path), user="alice")
    assert not ImportJob.objects.exists() and storages["imports"].listdir("") == ([], [])  # nothing kept
    call_command("import", "matters", str(path), user="alice", column=["案情=反映内容"])
    out, err = capsys.readouterr()
    assert "导入完成：新登记3件" in out
    assert "100% 已完成" in err and "Excel 工作簿，14列" in err and "检查3/3" in err
    call_command("import", "matters", str(path), user="alice", column=["案情=反映内容"])
    assert "新登记0件；此前已导入、本次跳过3行" in capsys.readouterr().out
    with pytest.raises(CommandError, match="只有登记员、交办员可以登记信访事项"):
        call_command("import", "matters", str(path), user="hugo")
