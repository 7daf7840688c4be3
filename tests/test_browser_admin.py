"""The administrator's journey in headless Chromium at desktop size: next year's holidays pasted from
the State Council's notice, previewed and marked complete; a deadline policy edited; a unit and a
user added. Every page is checked with the browser tests' page checks (axe-core, no English), and a
screenshot of each step is written to $XINFANG_SCREENSHOTS when it names a folder."""

from datetime import date

import pytest
from admin_fixtures import notice_for
from conftest import PASSWORD
from page_checks import check, watch
from test_browser import browser  # noqa: F401 — the Chromium fixture

from xinfang.core import clock
from xinfang.deadlines import service
from xinfang.deadlines.models import CalendarDay, PolicyRule, ScheduleYear
from xinfang.org.models import Role, Unit, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAMES = "陈静 王磊 刘洋 赵敏 周建国 孙丽 吴刚 郑华 冯涛 陈晨 褚明 卫东 蒋红 沈阳 韩梅 杨帆 朱琳 秦川 许诺 何平 吕娜".split()
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}


# Shown on purpose: account names, policy-set codes and, in the auditors' log, each target's code
# beside its Chinese name (the 对象 filter takes it), all in code type; the CSV format's names; IP.
ALLOWED = {"CSV", "UTF", "GBK", "IP", "national", "zhejiang"}
TARGET_CODES = {"deadlines", "scheduleyear", "policyset", "org", "unit", "user"}


@pytest.fixture
def shots(world):
    allowed = ALLOWED | TARGET_CODES | {*world.users, "chengguan"}
    taken = []

    def shoot(page, name):
        taken.append(name)
        problems = check(page, f"admin-{len(taken):02d}-{name}", allow=allowed)
        assert problems == [], problems

    return shoot


def test_administrator_enters_next_years_holidays_edits_a_policy_adds_a_unit_and_a_user(
    world,
    live_server,
    browser,  # noqa: F811 — the fixture imported above
    shots,
):
    base = live_server.url
    for user, name in zip(User.objects.order_by("pk"), NAMES, strict=False):
        user.full_name = name  # the test world's people are named by their usernames
        user.save(update_fields=["full_name"])
    year = clock.today().year + 1
    notice, days = notice_for(year)
    page = watch(browser.new_context(**DESKTOP)).new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base}/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/manage/")
    assert f"{year}年：年度日历未完整 — 期限按估算" in page.inner_text("main")
    shots(page, "overview")

    # Next year's holidays: paste the notice, preview, save and mark complete.
    page.get_by_role("link", name="录入全年节假日安排").first.click()
    page.get_by_role("button", name="预览").click()  # nothing filled in: the product's own message
    assert "请粘贴通知全文，或选择一个 CSV 文件。" in page.inner_text(".error-summary")
    shots(page, "import-empty")
    page.set_input_files("#id_csv_file", files=[{"name": "假期.csv", "mimeType": "text/csv", "buffer": b"x"}])
    assert page.inner_text(".file-names") == "已选择：假期.csv"
    page.set_input_files("#id_csv_file", files=[])
    assert page.inner_text(".file-names") == "未选择文件"
    page.fill("#id_text", notice)
    page.get_by_role("button", name="预览").click()
    page.wait_for_selector("table.month")
    assert page.locator("td.entered").count() == len(days)
    assert not CalendarDay.objects.exists()
    shots(page, "import-preview")
    page.get_by_role("button", name=f"保存并标记{year}年为完整").click()
    page.wait_for_url(f"{base}/manage/calendar/?year={year}")
    assert f"已保存{year}年的节假日安排" in page.inner_text(".messages")
    assert f"{year}年：年度日历完整" in page.inner_text("main")
    assert ScheduleYear.objects.filter(year=year).exists()
    assert dict(CalendarDay.objects.values_list("date", "is_workday")) == days
    shots(page, "calendar-complete")

    # A deadline policy: 全国默认's handling period from 60 to 45 days.
    page.get_by_role("navigation", name="系统管理").get_by_role("link", name="期限规则").click()
    shots(page, "policies")
    page.get_by_role("link", name="修改").first.click()
    page.fill("#id_rules-handling_days", "45")
    shots(page, "policy-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/manage/policies/")
    assert PolicyRule.objects.get(policy_set__name="national", step="handling").days == 45
    start = date(year, 3, 1)
    assert service.deadline_for("handling", start, "national").due.toordinal() - start.toordinal() in (
        45,
        46,
        47,
    )

    # A unit under 东城区人民政府, with its division.
    page.get_by_role("navigation", name="系统管理").get_by_role("link", name="单位").click()
    page.get_by_role("link", name="新增单位").click()
    page.get_by_role("button", name="保存").click()  # empty: the summary names each field
    summary = page.inner_text(".error-summary")
    assert "单位名称：这个字段是必填项。" in summary and "类型：这个字段是必填项。" in summary
    shots(page, "unit-errors")
    page.fill("#id_name", "东城区城市管理局")
    page.select_option("#id_kind", "department")
    page.select_option("#id_parent", str(world.units.d1_gov.pk))
    page.fill("#id_division_codes", "990101")
    page.locator("details.choices summary").click()
    page.get_by_label("城市管理执法").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/manage/units/")
    unit = Unit.objects.get(name="东城区城市管理局")
    assert unit.parent == world.units.d1_gov and [c.name for c in unit.categories.all()] == ["城市管理执法"]
    shots(page, "units")

    # A user of the new unit.
    page.get_by_role("navigation", name="系统管理").get_by_role("link", name="工作人员").click()
    page.get_by_role("link", name="新增工作人员").click()
    page.fill("#id_username", "chengguan1")
    page.fill("#id_full_name", "李晓红")
    page.select_option("#id_unit", str(unit.pk))
    page.select_option("#id_role", Role.HANDLER)
    page.fill("#id_password1", "Qingxi-Hedong-88")
    page.fill("#id_password2", "Qingxi-Hedong-88")
    shots(page, "user-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/manage/users/")
    assert User.objects.get(username="chengguan1").unit == unit
    shots(page, "users")

    # What was done, in the configuration-change record.
    page.get_by_role("navigation", name="系统管理").get_by_role("link", name="配置变更记录").click()
    text = page.inner_text("main")
    for expected in (
        "录入全年节假日安排并标记为完整",
        "办理并出具处理意见：60日 → 45日",
        "东城区城市管理局",
        "李晓红",
    ):
        assert expected in text, expected
    shots(page, "changes")

    # The auditor reads the same day in the full log, in Chinese.
    page.get_by_role("button", name="退出").click()
    page.goto(f"{base}/login/")
    page.fill("#id_username", "audrey")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/audit/")
    text = page.inner_text("main")
    assert "管理配置变更" in text and "操作类型：新增；数据类型：工作人员" in text
    shots(page, "auditor-log")
    assert errors == []
