"""The hazard ledger's pages: registering and acting through the forms, the lists and their
exports, the enterprise register, statistics (counted from the records) and the summaries."""

import io
from datetime import date

import pytest
from conftest import at, sign_in
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook
from prevention import CREDIT_CODE, HazardDriver, enterprises, photo

from xinfang.audit.models import AuditEntry
from xinfang.core import clock
from xinfang.hazards import services, statistics
from xinfang.hazards.choices import Level, Status
from xinfang.hazards.models import Enterprise, Hazard, HazardType


@pytest.fixture
def e(world):
    return enterprises(world)


def text_of_docx(content):
    doc = Document(io.BytesIO(content))
    return "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells
    )


def xlsx_rows(content, sheet=0):
    book = load_workbook(io.BytesIO(content))
    ws = book.worksheets[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_an_inspector_registers_and_puts_a_hazard_on_notice_through_the_pages(client, world, e):
    sign_in(client, "hank")
    page = client.get(reverse("hazards:register"), {"q": "湖滨"}).content.decode()
    assert e.chem.name in page and e.market.name not in page
    data = {
        "enterprise": e.chem.pk,
        "hazard_type": HazardType.objects.get(name="消防").pk,
        "level": "general",
        "source": "inspection",
        "found_on": "2026-11-20",
        "found_by": "区住建局检查组",
        "location": "一号车间",
        "title": "消防通道被货物堵塞",
        "description": "一号车间东侧消防通道堆放原料，宽度不足一米。",
        "files": [photo("现场.png")],
    }
    response = client.post(reverse("hazards:register"), data)
    hazard = Hazard.objects.get(title="消防通道被货物堵塞")
    assert response["Location"] == reverse("hazards:detail", args=[hazard.pk])
    assert hazard.photos.get().stage == "found"
    page = client.get(response["Location"]).content.decode()
    assert "下达整改通知" in page and hazard.display_code in page
    url = reverse("hazards:act", args=[hazard.pk, "notify"])
    response = client.post(
        url,
        {
            "version": hazard.version,
            "requirements": "立即清理消防通道。",
            "stoppage": "partial",
            "stoppage_scope": "",
        },
    )
    assert "停产停业范围" in response.content.decode()  # refused, with the reason on the form
    response = client.post(
        url,
        {
            "version": hazard.version,
            "requirements": "立即清理消防通道。",
            "stoppage": "partial",
            "stoppage_scope": "一号车间",
        },
    )
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == Status.RECTIFYING and hazard.stoppage == "partial"
    notice = client.get(reverse("hazards:notice", args=[hazard.pk]))
    assert "一号车间" in text_of_docx(notice.content)


def test_act_pages_follow_the_transition_table(client, world, e):
    h = HazardDriver(world).register(e.chem)
    for username, status in [
        ("hank", 200),
        ("hope", 200),
        ("tom", 403),
        ("sam", 403),
        ("nora", 404),
        ("ann", 403),
    ]:
        client.logout()
        sign_in(client, username)
        assert client.get(reverse("hazards:act", args=[h.pk, "notify"])).status_code == status, username
    sign_in(client, "hank")
    assert client.get(reverse("hazards:act", args=[h.pk, "close"])).status_code == 403
    assert client.get(reverse("hazards:act", args=[h.pk, "nonsense"])).status_code == 404


def test_a_refused_upload_is_no_photo(client, world, e):
    d = HazardDriver(world)
    h = d.do(d.do(d.register(e.chem), "notify"), "request_acceptance")
    sign_in(client, "hank")
    fake = io.BytesIO(b"<html>not a picture</html>")
    fake.name = "整改后.png"
    response = client.post(
        reverse("hazards:act", args=[h.pk, "accept"]), {"version": h.version, "note": "合格", "files": [fake]}
    )
    assert "不是图片或PDF文件" in response.content.decode()
    assert Hazard.objects.get(pk=h.pk).status == Status.ACCEPTANCE_PENDING and not h.photos.exists()


def test_lists_filter_and_export(client, world, e):
    d = HazardDriver(world)
    first = d.do(d.register(e.chem, title="配电箱未接地"), "notify")
    d.register(e.site, level=Level.MAJOR, title="深基坑支护变形")
    sign_in(client, "hope")
    page = client.get(reverse("hazards:queue"), {"tab": "all", "level": "major"}).content.decode()
    assert "深基坑支护变形" in page and "配电箱未接地" not in page
    todo = client.get(reverse("hazards:queue")).content.decode()
    assert "深基坑支护变形" in todo and "配电箱未接地" in todo  # both wait on 东城区住建局
    client.logout()
    sign_in(client, "tom")  # 东湖街道 sees the 湖滨社区 hazard, but it waits on another unit
    todo = client.get(reverse("hazards:queue")).content.decode()
    assert "配电箱未接地" not in todo
    assert "配电箱未接地" in client.get(reverse("hazards:queue"), {"tab": "all"}).content.decode()
    client.logout()
    sign_in(client, "hope")
    response = client.get(reverse("hazards:export"), {"tab": "all"})
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert rows[0][0] == "隐患编号" and {r[10] for r in rows[1:]} == {"配电箱未接地", "深基坑支护变形"}
    assert [r for r in rows if r[0] == first.display_code][0][12] == "整改中"
    assert AuditEntry.objects.filter(action="export", target="hazards").exists()


def test_the_enterprise_register_checks_codes_and_shows_contacts_by_role(client, world):
    sign_in(client, "hank")
    data = {
        "name": "东湖加油站",
        "credit_code": "91350100M000100Y44",
        "industry": "trade",
        "division": world.divisions.township.pk,
        "address": "东湖路1号",
        "supervising_unit": world.units.d1_dept.pk,
        "contact_name": "吴海涛",
        "contact_phone": "13700001111",
    }
    response = client.post(reverse("hazards:enterprise_new"), data)
    assert "校验位不正确" in response.content.decode() and not Enterprise.objects.exists()
    response = client.post(reverse("hazards:enterprise_new"), {**data, "credit_code": CREDIT_CODE.lower()})
    found = Enterprise.objects.get()
    assert found.credit_code == CREDIT_CODE
    page = client.get(response["Location"]).content.decode()
    assert "吴海涛" in page and "13700001111" in page
    assert AuditEntry.objects.filter(action="read_personal", target=f"enterprise:{found.pk}").exists()
    client.logout()
    sign_in(client, "sam")  # 督查员: masked
    page = client.get(response["Location"]).content.decode()
    assert "吴海涛" not in page and "137****1111" in page
    # A unit may not register an enterprise it would not see.
    client.logout()
    sign_in(client, "nora")
    response = client.post(reverse("hazards:enterprise_new"), {**data, "name": "另一家", "credit_code": ""})
    assert "不在您的工作范围内" in response.content.decode()


def _ledger(world, e):
    """Four hazards of 2026 in 东城区: one rectified on time, one late, one overdue, one major."""
    d = HazardDriver(world, start=at(2026, 9, 1))
    on_time = d.do(
        d.do(d.register(e.chem, found_on=date(2026, 9, 1)), "notify"), "request_acceptance", days=5
    )
    d.do(on_time, "accept", files=[photo()])
    late = d.do(d.register(e.site, found_on=date(2026, 9, 3)), "notify")
    late = d.do(late, "request_acceptance", days=40)
    d.do(late, "accept", files=[photo()])
    overdue = d.do(d.register(e.chem, found_on=date(2026, 10, 12)), "notify")
    major = d.do(
        d.do(
            d.register(e.site, level=Level.MAJOR, found_on=date(2026, 10, 20), title="深基坑支护变形"),
            "notify",
        ),
        "approve_plan",
    )
    services.list_for_supervision(
        major.pk, world.sam, requirement="限期治理", due_on=date(2027, 1, 31), now=d.now
    )
    HazardDriver(world).register(e.market, actor=world.nora, found_on=date(2026, 11, 2))  # 南山区
    return overdue


def test_statistics_count_the_records_of_the_users_territory(client, world, e):
    _ledger(world, e)
    sign_in(client, "dave")  # 东城区信访局: the district's territory
    response = client.get(reverse("hazards:statistics"), {"first": "2026-01-01", "last": "2026-11-23"})
    report = response.context["report"]
    t = report.total
    assert (t.found, t.major, t.rectified, t.on_time, t.overdue, t.major_open, t.listed) == (
        4,
        1,
        2,
        1,
        1,
        1,
        1,
    )
    assert (t.rate, t.on_time_rate) == (0.5, 0.5)
    (unit,) = report.by_unit
    assert (unit.label, unit.found) == (world.units.d1_dept.name, 4)
    industries = {f.label: (f.found, f.rectified, f.overdue) for f in report.by_industry}
    assert industries == {"制造业": (2, 1, 1), "建筑业": (2, 1, 0)}
    page = response.content.decode()
    assert "50.00%" in page and reverse("hazards:queue") in page
    # The city sees the 南山区 hazard too; a period before the records counts none.
    client.logout()
    sign_in(client, "sam")
    assert client.get(reverse("hazards:statistics")).context["report"].total.found == 5
    empty = client.get(reverse("hazards:statistics"), {"first": "2025-01-01", "last": "2025-12-31"})
    assert empty.context["report"].total.found == 0 and empty.context["report"].total.overdue == 1


def test_statistics_follow_every_change(world, e):
    overdue = _ledger(world, e)
    area = statistics.Area("东城区", units=frozenset([world.units.d1_dept.pk]))
    today = clock.today()
    before = statistics.report(area, date(2026, 1, 1), today, today).total
    d = HazardDriver(world)
    d.do(overdue, "request_acceptance")
    after = statistics.report(area, date(2026, 1, 1), today, today).total
    assert (before.overdue, after.overdue) == (1, 0)
    d.register(e.chem)
    assert statistics.report(area, date(2026, 1, 1), today, today).total.found == before.found + 1


def test_the_column_store_counts_as_a_plain_group_by_does(world, e):
    _ledger(world, e)
    keys = ("found", "major", "rectified", "on_time", "overdue", "major_open", "listed")
    today = clock.today()
    for username in ("ann", "dave", "hank", "nora"):
        area = statistics.area_of(world.users[username])
        for first, last in [(date(2026, 1, 1), today), (date(2026, 10, 1), date(2026, 10, 31))]:
            report = statistics.report(area, first, last, today)
            counted = {f.key: tuple(getattr(f, k) for k in keys) for f in report.by_unit}
            plain = {
                r["holder_unit"]: tuple(r[k] for k in keys)
                for r in statistics.plain_report(area, first, last, today)
                if any(r[k] for k in keys)
            }
            assert counted == plain, (username, first)
            assert tuple(getattr(report.total, k) for k in keys) == tuple(
                sum(v[i] for v in plain.values()) for i in range(len(keys))
            )
    assert statistics.report(statistics.area_of(world.users["nora"]), date(2026, 1, 1), today, today).by_unit


def test_analysts_get_figures_and_summaries_without_any_hazard_named(client, world, e):
    _ledger(world, e)
    sign_in(client, "ann")
    page = client.get(reverse("hazards:statistics"))
    assert page.status_code == 200 and page.context["report"].total.found == 5
    assert reverse("hazards:queue") + "?" not in page.content.decode()  # no drill-down to the list
    text = text_of_docx(client.get(reverse("hazards:summary"), {"kind": "annual", "period": "2026"}).content)
    assert "排查发现隐患5项" in text and "深基坑支护变形" not in text and "本期没有重大隐患" in text
    assert client.get(reverse("hazards:queue")).status_code == 403
    client.logout()
    sign_in(client, "audrey")
    assert client.get(reverse("hazards:statistics")).status_code == 403


def test_the_quarterly_summary_for_the_safety_committee(client, world, e):
    _ledger(world, e)
    sign_in(client, "sam")
    response = client.get(
        reverse("hazards:summary"), {"kind": "quarterly", "period": "2026Q4", "format": "docx"}
    )
    text = text_of_docx(response.content)
    assert text.startswith("关于2026年第4季度安全生产隐患排查治理情况的报告")
    assert "青溪市人民政府安全生产委员会办公室：" in text
    assert "共排查发现隐患3项，其中一般隐患2项、重大隐患1项" in text  # found 10月12日, 10月20日, 11月2日
    assert "深基坑支护变形" in text and world.units.d1_dept.name in text
    book = client.get(reverse("hazards:summary"), {"kind": "quarterly", "period": "2026Q4", "format": "xlsx"})
    sheets = load_workbook(io.BytesIO(b"".join(book.streaming_content)))
    assert sheets.sheetnames == ["合计", "按行业监管部门", "按行业", "重大隐患清单"]
    assert [c.value for c in sheets["合计"][2]][:5] == ["合计", 3, 2, 1, 0]
    for bad in ({"kind": "quarterly", "period": "2026Q5"}, {"kind": "monthly", "period": "2026"}):
        assert client.get(reverse("hazards:summary"), bad).status_code == 404


def test_the_pages_of_a_hazard_and_an_assessment_carry_supervisions_panel(client, world, e):
    from prevention import assessment_fields

    from xinfang.assessments import services as assessments
    from xinfang.supervision import reminders

    d = HazardDriver(world)
    h = d.do(d.register(e.chem), "notify")
    reminders.remind(world.sam, h, "请加快整改进度", now=d.now)
    a = assessments.register_assessment(world.hank, fields=assessment_fields(world), now=d.now)
    sign_in(client, "sam")
    page = client.get(reverse("hazards:detail", args=[h.pk])).content.decode()
    panel_url = reverse("supervision:case_panel", args=["hazard", h.pk])
    assert f'hx-get="{panel_url}"' in page and f"hazards/{h.pk}/oversee/remind" not in page
    panel = client.get(panel_url).content.decode()
    assert "请加快整改进度" in panel and f"?hazard={h.pk}" in panel  # the 督办 form picks the hazard
    assert client.get(reverse("hazards:oversee", args=[h.pk, "remind"])).status_code == 404
    page = client.get(reverse("assessments:detail", args=[a.pk])).content.decode()
    assert reverse("supervision:case_panel", args=["assessment", a.pk]) in page
    assert client.get(reverse("supervision:case_panel", args=["assessment", a.pk])).status_code == 200
    issue = client.get(reverse("supervision:issue") + f"?hazard={h.pk}").content.decode()
    assert h.display_code in issue and f'name="hazard" value="{h.pk}"' in issue
