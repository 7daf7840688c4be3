"""The staff's main journeys at desktop size, clicked through in headless Chromium: the registrar
(a walk-in's receipt, a scanned letter read by OCR), the unit head (待审签 first, the draft beside
the notice), the leader (the cockpit, a 批示 with the searchable unit picker) and the analyst (the
三率 and their drill-down, the scores, the report's period picker). Each page is photographed to
XINFANG_SCREENSHOTS when it is set (else to the test's temporary directory)."""

import os
from datetime import date
from pathlib import Path

import pytest
from conftest import PASSWORD, PETITIONER
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

from benchmarks.bench_ocr import FONTS, LETTERS, scanned
from xinfang.analytics import snapshot
from xinfang.intelligence import ocr
from xinfang.petitions.choices import Status
from xinfang.supervision import supervisions
from xinfang.supervision.models import Supervision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("XINFANG_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page, name):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return shot


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/login/" not in url)


def desktop(browser):  # noqa: F811
    page = browser.new_context(**DESKTOP).new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return page, errors


def test_registrar_walk_in_receipt_and_a_scanned_letter(world, live_server, browser, shots, tmp_path):  # noqa: F811
    base = live_server.url
    page, errors = desktop(browser)
    login(page, base, "alice")
    page.goto(f"{base}/matters/register/")
    rows = page.locator(".petitioner-row")
    assert rows.count() == 6 and page.locator(".petitioner-row:visible").count() == 1
    page.get_by_role("button", name="添加一位信访人").click()
    assert page.locator(".petitioner-row:visible").count() == 2
    page.select_option("#id_channel", "visit")
    page.fill("#id_title", "小区电梯长期故障无人维修")
    page.fill("#id_content", "湖滨社区3栋电梯自今年5月起多次故障停运，物业以维修资金不足为由拖延。")
    page.select_option("#id_nature", "appeal")
    page.select_option("#id_request_type", "complaint")
    page.select_option("#id_division", str(world.divisions.village.pk))
    page.select_option("#id_category", str(world.category.pk))
    page.fill("[name=p-0-name]", PETITIONER["name"])
    page.fill("[name=p-0-phone]", PETITIONER["phone"])
    shots(page, "registrar-1-form")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url("**/receipt/")
    assert "信访事项登记回执" in page.content() and page.locator("#receipt-code").inner_text()
    assert page.locator("img[alt='网上信访查询页面的二维码']").evaluate("img => img.naturalWidth") > 0
    shots(page, "registrar-2-receipt")

    if not ocr.available():
        pytest.skip("tesseract-ocr is installed by scripts/setup.sh")
    letter = tmp_path / "来信.png"
    letter.write_bytes(scanned(LETTERS[0], FONTS["宋体（Noto Serif CJK）"], seed=2))
    page.goto(f"{base}/assist/letters/")
    page.set_input_files("#id_scan", str(letter))
    page.get_by_role("button", name="上传并识别").click()
    page.locator("#id_text").wait_for(timeout=60000)
    assert "湖滨社区" in page.locator("#id_text").input_value()
    shots(page, "registrar-3-letter")
    page.get_by_role("button", name="用此内容登记").click()
    page.wait_for_url("**/matters/register/?letter=*")
    assert "湖滨社区" in page.locator("#id_content").input_value()
    page.locator("#assist-place").wait_for()
    shots(page, "registrar-4-register-from-letter")
    assert errors == []


def test_unit_head_signs_from_the_top_of_the_list(world, live_server, browser, shots, driver):  # noqa: F811
    base = live_server.url
    handling = driver.to(Status.HANDLING)
    driver.tick(10)
    waiting = driver.to(Status.REPLY_PENDING)
    supervisions.issue(
        world.sam,
        kind=Supervision.Kind.SUPERVISE,
        cases=[handling],
        level="red",
        reasons=["overdue"],
        text="请于期限内办结。",
        due_on=date(2026, 12, 10),
    )
    page, errors = desktop(browser)
    login(page, base, "hope")
    first = page.locator("#queue-table tbody tr").first
    assert waiting.display_code in first.inner_text() and "答复待审签" in first.inner_text()
    assert page.locator("span.level.red", has_text="红牌督办").count() == 1
    shots(page, "head-1-queue")
    page.goto(f"{base}/matters/{waiting.pk}/act/approve_reply/")
    assert "信访事项处理意见书" in page.inner_text("#notice-preview")
    assert "经调查" in page.inner_text("#draft-reply")
    shots(page, "head-2-signing")
    assert errors == []


def test_leader_lands_on_the_cockpit_and_writes_an_instruction(world, live_server, browser, shots, driver):  # noqa: F811
    base = live_server.url
    matter = driver.to(Status.HANDLING)
    snapshot.refresh()
    page, errors = desktop(browser)
    login(page, base, "leo")
    assert page.url.endswith("/analytics/cockpit/")
    page.wait_for_function("[...document.querySelectorAll('[data-chart]')].every(b => b.dataset.rendered)")
    shots(page, "leader-1-cockpit")
    page.goto(f"{base}/supervision/new/?matter={matter.pk}")
    assert page.locator("text=督办等级").count() == 0
    page.fill(".picker-search", "住建")
    visible = page.locator("#id_units option:not([hidden])")
    assert visible.all_inner_texts() == [
        "青溪市住房和城乡建设局",
        "东城区住房和城乡建设局",
        "南山区住房和城乡建设局",
    ]
    visible.first.click()
    assert "已选：" in page.inner_text(".picker-chosen")
    page.fill("#id_text", "请市住建局牵头，督促物业公司恢复原收费标准。")
    page.fill("#id_due_on", "2026-12-10")
    shots(page, "leader-2-instruction")
    page.get_by_role("button", name="签发").click()
    page.wait_for_url("**/supervision/*/")
    assert "领导批示" in page.content()
    assert errors == []


def test_analyst_reads_the_three_rates_scores_and_report(world, live_server, browser, shots, driver):  # noqa: F811
    base = live_server.url
    driver.to(Status.REPLIED)
    driver.to(Status.HANDLING)
    snapshot.refresh()
    page, errors = desktop(browser)
    login(page, base, "ann")
    page.goto(f"{base}/analytics/?first=2025-01-01&last=2025-12-31")
    page.wait_for_function("[...document.querySelectorAll('[data-chart]')].every(b => b.dataset.rendered)")
    assert "按期办结率" in page.inner_text("#three-rates")
    shots(page, "analyst-1-dashboard")
    page.locator("#three-rates a").nth(1).click()
    page.wait_for_url("**/analytics/rates/**")
    assert "东城区住房和城乡建设局" in page.inner_text("#rate-units")
    shots(page, "analyst-2-rates")
    page.goto(f"{base}/supervision/scores/?start=2025-01-01&end=2025-12-31")
    assert page.input_value("#id_start") == "2025年1月1日"  # shown in 年月日 whatever the link wrote
    shots(page, "analyst-3-scores")
    page.goto(f"{base}/analytics/report/")
    page.select_option("#id_kind", "quarterly")
    assert page.locator("#id_period").input_value().startswith("2026Q")
    shots(page, "analyst-4-report")
    assert errors == []
