"""台账 import of the hazard ledger, on the import machinery of xinfang/ledger: the enterprise
register (credit codes checked, places and units looked up, contacts encrypted) and an existing
hazard 台账 written through the kernel's bulk plans up to the stage it gives, refused rows with
their reasons, re-import without duplicates, the pages and the command."""

import io

import pytest
from conftest import sign_in
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from prevention import CREDIT_CODE, enterprises

from xinfang.audit.models import AuditEntry
from xinfang.hazards.choices import Level, Status
from xinfang.hazards.imports import ENTERPRISES, HAZARDS
from xinfang.hazards.models import Enterprise, Hazard, HazardImportJob
from xinfang.ledger import jobs

ENTERPRISE_HEADER = [
    "单位名称",
    "统一社会信用代码",
    "行业",
    "所在区划",
    "地址",
    "行业监管部门",
    "联系人",
    "联系电话",
]
HAZARD_HEADER = [
    "隐患编号", "生产经营单位", "发现日期", "发现方式", "隐患类型", "隐患等级", "隐患部位", "隐患描述",
    "整改情况", "整改要求", "整改完成日期", "治理责任人", "治理责任部门", "治理措施", "治理资金（元）", "治理时限", "应急预案",
]  # fmt: skip


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


def xlsx(header, rows) -> bytes:
    book = Workbook()
    book.active.append(header)
    for r in rows:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(kind, user, content, mode=HazardImportJob.Mode.VALID):
    job = jobs.new_job(user, content, "台账.xlsx", kind)
    assert job.kind == kind.key
    type(job).objects.filter(pk=job.pk).update(mode=mode, state=HazardImportJob.State.QUEUED)
    return jobs.run(job.pk, kind=kind)


def enterprise_row(name="青溪湖滨化工有限公司", **changes):
    values = {
        "单位名称": name,
        "统一社会信用代码": CREDIT_CODE,
        "行业": "化工",
        "所在区划": "东湖街道湖滨社区",
        "地址": "工业路8号",
        "行业监管部门": "东城区住房和城乡建设局",
        "联系人": "周建国",
        "联系电话": "139 1234 5678",
    }
    values.update(changes)
    return [values[h] for h in ENTERPRISE_HEADER]


def test_the_enterprise_register_is_imported_checked_and_not_twice(world):
    rows = [
        enterprise_row(),
        enterprise_row(
            "东湖安置房建筑工地", 统一社会信用代码="", 行业="建筑业", 所在区划="西岭镇", 联系电话=""
        ),
        enterprise_row("错码公司", 统一社会信用代码="91350100M000100Y44"),
        enterprise_row("无名部门公司", 统一社会信用代码="", 行业监管部门="青溪市应急管理局"),
        enterprise_row("火星公司", 统一社会信用代码="", 所在区划="火星"),
        enterprise_row(
            "南山公司", 统一社会信用代码="", 所在区划="南山区", 行业监管部门="南山区住房和城乡建设局"
        ),
        enterprise_row("怪行业公司", 统一社会信用代码="", 行业="炼丹"),
    ]
    job = run(ENTERPRISES, world.hank, xlsx(ENTERPRISE_HEADER, rows))
    assert (job.state, job.written, job.error_count) == ("done", 2, 5), job.errors
    messages = {row: message for row, _, message in job.errors}
    assert "校验位不正确" in messages[4]
    assert "系统中没有名为「青溪市应急管理局」的单位" in messages[5]
    assert "找不到区划「火星」" in messages[6]
    assert "都不在您的工作范围内" in messages[7]  # 东城区住建局 may not register 南山区's enterprises
    assert "炼丹" in messages[8]
    chem = Enterprise.objects.get(credit_code=CREDIT_CODE)
    assert (chem.industry, chem.division, chem.contact_phone) == (
        "manufacturing",
        world.divisions.village,
        "13912345678",
    )
    with connection.cursor() as cur:
        cur.execute("SELECT contact_name FROM hazards_enterprise WHERE id = %s", [chem.pk])
        assert "周建国" not in cur.fetchone()[0]
    again = run(ENTERPRISES, world.hank, xlsx(ENTERPRISE_HEADER, rows[:2]))
    assert (again.written, again.skipped) == (0, 2) and Enterprise.objects.count() == 2
    # The refused rows come back as they were, each with its reason.
    book = load_workbook(io.BytesIO(jobs.content_of(job.error_file)))
    refused = list(book.active.iter_rows(values_only=True))
    assert refused[0][-1] == "错误说明" and refused[1][0] == "错码公司" and "原第4行" in refused[1][-1]


def hazard_row(number, **changes):
    values = {
        "隐患编号": f"YH-{number:04d}",
        "生产经营单位": "青溪湖滨化工有限公司",
        "发现日期": "2026-09-01",
        "发现方式": "监督检查",
        "隐患类型": "危化品",
        "隐患等级": "一般隐患",
        "隐患部位": "二号仓库",
        "隐患描述": f"第{number}项：防爆灯灯罩破裂。",
        "整改情况": "",
        "整改要求": "",
        "整改完成日期": "",
        "治理责任人": "",
        "治理责任部门": "",
        "治理措施": "",
        "治理资金（元）": "",
        "治理时限": "",
        "应急预案": "",
    }
    values.update(changes)
    return [values[h] for h in HAZARD_HEADER]


FIVE = {
    "治理责任人": "周建国（总经理）",
    "治理责任部门": "安全环保部",
    "治理措施": "更换防爆电气",
    "治理资金（元）": "18万",
    "治理时限": "2026-11-30",
    "应急预案": "泄漏应急处置预案",
}


def test_a_hazard_ledger_is_written_through_the_kernel_up_to_the_stage_it_gives(world):
    enterprises(world)
    rows = [
        hazard_row(1),
        hazard_row(2, 整改情况="整改中", 整改要求="立即更换。"),
        hazard_row(3, 整改情况="已整改", 整改要求="立即更换。", 整改完成日期="2026-09-10"),
        hazard_row(4, 整改情况="已销号", 整改要求="立即更换。", 整改完成日期="2026年9月20日"),
        hazard_row(
            5,
            隐患等级="重大隐患",
            整改情况="已销号",
            整改要求="停用仓库。",
            整改完成日期="2026-10-20",
            **FIVE,
        ),
        hazard_row(
            6, 隐患等级="重大隐患", 整改情况="已整改", 整改要求="停用仓库。", 整改完成日期="2026-10-20"
        ),
        hazard_row(7, 生产经营单位="不存在的公司"),
        hazard_row(8, 整改情况="已整改", 整改要求="x"),
        hazard_row(9, 发现日期="明年"),
        hazard_row(1),  # the same 编号 again
    ]
    job = run(HAZARDS, world.hope, xlsx(HAZARD_HEADER, rows))
    assert (job.state, job.written, job.error_count) == ("done", 5, 5), job.errors
    messages = {row: message for row, _, message in job.errors}
    assert (
        "“五落实”，缺少：治理责任人、治理责任部门、治理措施、治理资金（元）、治理时限、应急预案"
        in messages[7]
    )
    assert "名录中没有该单位" in messages[8]
    assert "整改完成日期" in [c for r, c, _ in job.errors if r == 9][0]
    assert "不是可识别的日期" in messages[10] and "与第2行的隐患编号相同" in messages[11]
    by_number = {h.ledger_number: h for h in Hazard.objects.all()}
    assert by_number["YH-0001"].status == Status.REGISTERED
    assert by_number["YH-0002"].status == Status.RECTIFYING
    rectified = by_number["YH-0003"]
    assert (rectified.status, str(rectified.rectified_on), rectified.rectified_on_time) == (
        Status.ACCEPTED,
        "2026-09-10",
        True,
    )
    assert rectified.events.get(action="accept").data["photos_in"] == "台账.xlsx"
    assert by_number["YH-0004"].status == Status.CLOSED
    major = by_number["YH-0005"]
    assert (major.level, major.status, major.plan_funds) == (Level.MAJOR, Status.CLOSED, 180000)
    # Written as the pages write: the supervising unit holds it, dated as the 台账 says.
    actions = list(major.events.values_list("action", flat=True))
    assert actions == ["register", "notify", "approve_plan", "request_acceptance", "accept", "close"]
    assert str(major.events.get(action="register").at.date()) == "2026-09-01"
    assert major.holder_unit == world.units.d1_dept and major.registering_unit == world.units.d1_dept
    assert AuditEntry.objects.filter(target=f"import:hazards:{job.pk}").exists()
    again = run(HAZARDS, world.hope, xlsx(HAZARD_HEADER, rows[:6]))
    assert (again.written, again.skipped, again.error_count) == (0, 5, 1) and Hazard.objects.count() == 5


def test_an_all_or_nothing_import_with_a_bad_row_writes_nothing(world):
    enterprises(world)
    rows = [hazard_row(1), hazard_row(2, 隐患类型="魔法")]
    job = run(HAZARDS, world.hank, xlsx(HAZARD_HEADER, rows), mode=HazardImportJob.Mode.ALL)
    assert job.state == "rejected" and "系统中没有隐患类型「魔法」" in job.errors[0][2]
    assert not Hazard.objects.exists()


def test_steps_the_importer_may_not_take_refuse_the_row(world):
    enterprises(world)
    rows = [hazard_row(1, 整改情况="已销号", 整改要求="立即更换。", 整改完成日期="2026-09-10"), hazard_row(2)]
    job = run(HAZARDS, world.hank, xlsx(HAZARD_HEADER, rows))  # a 承办人: 销号 is for the unit head
    assert (job.written, job.error_count) == (1, 1)
    assert "只能由单位负责人办理" in job.errors[0][2]
    assert list(Hazard.objects.values_list("ledger_number", flat=True)) == ["YH-0002"]


def test_the_import_pages_and_the_command(client, world, tmp_path, django_capture_on_commit_callbacks):
    enterprises(world)
    sign_in(client, "hope")
    template = client.get(reverse("hazards:hazard_import_template"))
    header = [c.value for c in load_workbook(io.BytesIO(b"".join(template.streaming_content))).active[1]]
    assert header[:3] == ["隐患编号", "生产经营单位", "统一社会信用代码"]
    upload = io.BytesIO(
        xlsx(HAZARD_HEADER, [hazard_row(1), hazard_row(2, 整改情况="整改中", 整改要求="更换")])
    )
    upload.name = "隐患台账.xlsx"
    response = client.post(reverse("hazards:hazard_import_upload"), {"file": upload})
    job = HazardImportJob.objects.get()
    assert response["Location"] == reverse("hazards:hazard_import_mapping", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "整改情况" in page and "未填写事项性质" not in page
    form = {c.key: job.mapping.get(c.key, "") for c in HAZARDS.columns} | {"mode": "all"}
    with django_capture_on_commit_callbacks(execute=True):  # the worker's job, run inline
        response = client.post(reverse("hazards:hazard_import_mapping", args=[job.pk]), form)
    assert response["Location"] == reverse("hazards:hazard_import_job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "新登记 2 项" in page and reverse("hazards:queue") in page
    # The other kinds' pages do not open this kind's jobs.
    assert client.get(reverse("hazards:enterprise_import_job", args=[job.pk])).status_code == 404
    client.logout()
    sign_in(client, "sam")  # a supervisor does not import
    assert client.get(reverse("hazards:hazard_import_upload")).status_code == 403
    path = tmp_path / "名录.xlsx"
    path.write_bytes(xlsx(ENTERPRISE_HEADER, [enterprise_row("东湖加油站", 统一社会信用代码="")]))
    call_command("import", "enterprises", str(path), "--user", "hank")
    assert Enterprise.objects.filter(name="东湖加油站").exists()
    with pytest.raises(CommandError, match="只有登记员、交办员、承办人和单位负责人"):
        call_command("import", "hazards", str(path), "--user", "sam")
