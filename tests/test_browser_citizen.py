"""The citizen's journey in headless Chromium at phone and desktop sizes — file, track, read the
reply, rate, ask for review, read the public figures, switch to large text — and the main staff
pages as they are, each page checked with axe-core and for English words (tests/page_checks.py).

Set XINFANG_SCREENSHOTS to a folder to keep a screenshot of every page."""

import re

import pytest
from conftest import PETITIONER, Driver
from page_checks import check, watch
from test_browser import PHONE, browser, login, track_on  # noqa: F401 (browser is a fixture)
from test_portal import PDF, PNG, replied_recently

from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter
from xinfang.petitions.promises import cn_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The desktop browser speaks English: nothing of it may show through the product's pages.
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


def opened(browser, size, errors):  # noqa: F811
    page = watch(browser.new_context(**SIZES[size])).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_citizen_journey_is_accessible_and_in_chinese(world, live_server, browser, size):  # noqa: F811
    base, problems, errors = live_server.url, [], []
    page = opened(browser, size, errors)

    page.goto(f"{base}/portal/")
    problems += check(page, f"{size}-portal")
    page.get_by_role("link", name="我要写信").click()
    problems += check(page, f"{size}-file")

    # Sent empty: the product's own messages, listed at the top, each a link to its field.
    page.get_by_role("button", name="提交", exact=True).click()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and page.evaluate("document.activeElement.id") == "error-summary"
    assert "请修改以下" in summary.inner_text()
    problems += check(page, f"{size}-file-errors")
    summary.get_by_role("link", name=re.compile("^标题")).click()
    assert page.evaluate("document.activeElement.id") == "id_title"

    page.fill("#id_name", PETITIONER["name"])
    page.fill("#id_id_number", PETITIONER["id_number"])
    page.fill("#id_phone", PETITIONER["phone"])
    page.fill("#id_address", PETITIONER["address"])
    page.fill("#id_division_search", "湖滨")  # one place matches: it is chosen
    assert page.input_value("#id_division") == str(world.divisions.village.pk)
    page.select_option("#id_nature", "appeal")
    page.select_option("#id_request_type", "complaint")
    page.select_option("#id_category", str(world.category.pk))
    page.fill("#id_title", "楼下餐馆油烟扰民")
    page.fill("#id_content", "湖滨社区2栋楼下餐馆油烟直排，已持续半年。")
    page.fill("#id_request", "请求督促安装油烟净化设备。")
    page.set_input_files("#id_files", [{"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG}])
    assert page.inner_text("#id_files ~ .file-names") == "已选择：现场照片.png"
    page.check("#id_consent")
    problems += check(page, f"{size}-file-filled")
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url(f"{base}/portal/filed/")
    matter = Matter.objects.get(title="楼下餐馆油烟扰民")
    assert f"应于{cn_date(matter.due_date)}前" in page.inner_text(".promise")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    problems += check(page, f"{size}-filed")

    # Tracking from another browser: a wrong tail first, then the right one.
    other = opened(browser, size, errors)
    other.goto(f"{base}/portal/track/")
    other.fill("#id_code", matter.display_code)
    other.fill("#id_phone_tail", "0000")
    other.get_by_role("button", name="查询").click()
    assert "查询码或手机号码后4位不正确" in other.inner_text("#error-summary")
    problems += check(other, f"{size}-track-wrong")
    track_on(other, base, matter)
    assert f"应于{cn_date(matter.due_date)}前" in other.inner_text("#next-step")
    problems += check(other, f"{size}-matter-registered")

    # A reply delivered three days ago: read it, rate it 不满意 (which asks why), ask for 复查.
    recent = replied_recently(world)
    track_on(other, base, recent)
    assert "经调查，物业公司调价未经业主大会表决" in other.inner_text("main")
    problems += check(other, f"{size}-matter-replied")
    other.check("#id_rating_2")
    other.get_by_role("button", name="提交评价").click()
    assert "请说明不满意的原因" in other.locator(".messages").inner_text()
    other.check("#id_rating_2")
    other.fill("#id_reason", "收费标准至今没有恢复。")
    other.get_by_role("button", name="提交评价").click()
    assert "回访" in other.locator(".messages").inner_text()
    problems += check(other, f"{size}-matter-rated")
    other.get_by_role("link", name="申请复查").click()
    other.wait_for_url(f"{base}/portal/m/{recent.code}/request/request_review/")
    problems += check(other, f"{size}-request-review")
    other.get_by_role("button", name="确认提交复查申请").click()
    assert "请填写申请理由" in other.inner_text("#error-summary")
    other.fill("#id_reasons", "物业至今未恢复原收费标准，处理意见没有落实。")
    other.set_input_files(
        "#id_files", [{"name": "收费通知.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    other.check("#id_confirm")
    other.get_by_role("button", name="确认提交复查申请").click()
    other.wait_for_url(f"{base}/portal/m/{recent.code}/")
    recent.refresh_from_db()
    assert recent.status == Status.REVIEW_REQUESTED and recent.rating == "unsatisfied"
    assert f"应于{cn_date(recent.due_date)}前作出复查意见" in other.inner_text("#next-step")
    problems += check(other, f"{size}-matter-review")

    # The public figures, and the large-text, high-contrast display (remembered).
    other.get_by_role("link", name="信访公开").first.click()
    problems += check(other, f"{size}-public")
    other.get_by_role("button", name="大字模式：关").click()
    other.goto(f"{base}/portal/m/{recent.code}/")
    assert "large" in other.evaluate("document.body.className")
    problems += check(other, f"{size}-matter-large")

    # The skip link is the first stop of the keyboard and leads to the content.
    other.keyboard.press("Tab")
    assert other.evaluate("document.activeElement.textContent") == "跳到主要内容"
    other.keyboard.press("Enter")
    assert other.evaluate("document.activeElement.id") == "main"

    assert problems == []
    assert errors == []


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_main_staff_pages_are_accessible_and_in_chinese(world, live_server, browser, size):  # noqa: F811
    base, problems, errors = live_server.url, [], []
    matter = Driver(world).to(Status.HANDLING)
    page = opened(browser, size, errors)
    page.goto(f"{base}/login/")
    problems += check(page, f"{size}-staff-login")
    login(page, base, "hank")
    # The test's users have no full names: the header shows their user names.
    problems += check(page, f"{size}-staff-queue", allow={"hank"})
    page.goto(f"{base}/matters/{matter.pk}/")
    problems += check(page, f"{size}-staff-matter", allow={"hank", "alice", "bob"})
    login(page, base, "sam")
    page.goto(f"{base}/analytics/")
    problems += check(page, f"{size}-staff-dashboard", allow={"sam"})
    assert problems == []
    assert errors == []
