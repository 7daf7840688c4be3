"""One matter from registration to rating, clicked through in headless Chromium.

Uses Debian's /usr/bin/chromium through Playwright (no browser download)."""

import os
import shutil

import pytest
from conftest import PASSWORD, PETITIONER
from django.db import connections

from xinfang.core import clock
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter

CHROMIUM = os.environ.get("XINFANG_CHROMIUM", "/usr/bin/chromium")
# serialized_rollback: the flush after a transactional test must not lose the seeded categories.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"浏览器测试需要 Chromium（{CHROMIUM}）：请运行 scripts/setup.sh 安装 Debian 的 chromium 包"
        )
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page actions are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()
        # ORM calls made between page actions opened connections in Playwright's greenlet context,
        # which a later close_all() from elsewhere does not reach; open SQLite handles would make
        # the backup-restore tests see 'another process'.
        connections.close_all()


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/matters/**")


def act(page, base, matter, label, fill=None, check=None):
    page.goto(f"{base}/matters/{matter.pk}/")
    page.get_by_role("link", name=label, exact=True).click()
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    for selector in check or []:
        page.check(selector)
    page.get_by_role("button", name=f"确认{label}").click()
    page.wait_for_url(f"{base}/matters/{matter.pk}/")
    assert page.locator(".messages").inner_text().startswith("已")


def test_matter_from_registration_to_rating(world, live_server, browser):
    base = live_server.url
    errors = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # 登记员 registers a letter.
    login(page, base, "alice")
    page.goto(f"{base}/matters/register/")
    page.select_option("#id_channel", "letter")
    page.fill("#id_title", "小区电梯长期故障无人维修")
    page.fill("#id_content", "湖滨社区3栋电梯自今年5月起多次故障停运，物业以维修资金不足为由拖延。")
    page.fill("#id_request", "请求尽快修复电梯。")
    page.select_option("#id_nature", "appeal")
    page.select_option("#id_request_type", "complaint")
    page.select_option("#id_division", str(world.divisions.village.pk))
    page.select_option("#id_category", str(world.category.pk))
    page.fill("[name=p-0-name]", PETITIONER["name"])
    page.fill("[name=p-0-id_number]", PETITIONER["id_number"])
    page.fill("[name=p-0-phone]", PETITIONER["phone"])
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(f"{base}/matters/*/")
    matter = Matter.objects.get(title="小区电梯长期故障无人维修")
    assert matter.display_code in page.content()

    # 交办员 assigns it to 东城区住建局.
    login(page, base, "bob")
    page.goto(f"{base}/matters/{matter.pk}/")
    page.get_by_role("link", name="交办", exact=True).click()
    page.select_option("#id_unit", str(world.units.d1_dept.pk))
    page.fill("#id_note", "请依法处理并按期答复。")
    page.get_by_role("button", name="确认交办").click()
    page.wait_for_url(f"{base}/matters/{matter.pk}/")

    # 承办人 sees it in the queue, accepts it and drafts the reply.
    login(page, base, "hank")
    assert page.get_by_role("link", name="小区电梯长期故障无人维修").is_visible()
    act(page, base, matter, "受理")
    act(
        page,
        base,
        matter,
        "提交处理意见书",
        fill={
            "#id_text": "经查，物业已委托维保单位于十日内完成维修。",
            "#id_basis": "《物业管理条例》第五十五条",
        },
        check=["#id_outcome_0", "#id_resolution_0"],
    )

    # 单位负责人 approves and delivers it.
    login(page, base, "hope")
    act(page, base, matter, "审签并送达处理意见书")

    # 登记员 records the petitioner's rating.
    login(page, base, "alice")
    act(page, base, matter, "记录评价", check=["#id_rating_0"])

    matter.refresh_from_db()
    assert matter.status == Status.REPLIED
    assert matter.rating == "satisfied"
    assert list(matter.events.values_list("action", flat=True)) == [
        "register",
        "assign",
        "accept",
        "submit_reply",
        "approve_reply",
        "rate",
    ]
    page.goto(f"{base}/matters/{matter.pk}/")
    assert "满意" in page.inner_text("dl.facts")
    assert errors == []


def track_on(page, base, matter):
    page.goto(f"{base}/portal/track/")
    page.fill("#id_code", matter.display_code)
    page.fill("#id_phone_tail", PETITIONER["phone"][-4:])
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(f"{base}/portal/m/{matter.code}/")


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def test_earlier_matters_show_as_the_registrar_types_without_personal_data_in_any_url(
    world, live_server, browser, driver
):
    from playwright.sync_api import expect

    earlier = driver.register()
    base = live_server.url
    urls, errors = [], []
    page = browser.new_page()
    page.on("request", lambda request: urls.append(request.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "alice")
    page.goto(f"{base}/matters/register/")
    page.fill("[name=p-0-name]", PETITIONER["name"])
    page.fill("[name=p-0-id_number]", PETITIONER["id_number"])
    page.locator("[name=p-0-id_number]").dispatch_event("change")
    expect(page.locator("#earlier")).to_contain_text("以前反映过 1 件事项")
    expect(page.locator("#earlier")).to_contain_text(earlier.display_code)
    page.fill("[name=p-0-phone]", PETITIONER["phone"])
    page.locator("[name=p-0-phone]").dispatch_event("change")
    expect(page.locator("#earlier")).to_contain_text("以前反映过 1 件事项")
    assert any("/matters/earlier/" in url for url in urls)
    for url in urls:
        for value in (PETITIONER["id_number"], PETITIONER["phone"]):
            assert value not in url, url
    assert errors == []


def test_citizen_files_tracks_rates_and_asks_for_review_on_a_phone(world, live_server, browser):
    from conftest import Driver
    from test_portal import replied_recently

    base = live_server.url
    errors = []
    page = browser.new_context(**PHONE).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Filing, on a phone-sized screen.
    page.goto(f"{base}/portal/")
    page.get_by_role("link", name="我要写信").click()
    page.fill("#id_name", PETITIONER["name"])
    page.fill("#id_id_number", PETITIONER["id_number"])
    page.fill("#id_phone", PETITIONER["phone"])
    page.fill("#id_address", PETITIONER["address"])
    page.select_option("#id_division", str(world.divisions.village.pk))
    page.select_option("#id_nature", "appeal")
    page.select_option("#id_request_type", "complaint")
    page.select_option("#id_category", str(world.category.pk))
    page.fill("#id_title", "楼下餐馆油烟扰民")
    page.fill("#id_content", "湖滨社区2栋楼下餐馆油烟直排，已持续半年。")
    page.fill("#id_request", "请求督促安装油烟净化设备。")
    page.check("#id_consent")
    submit = page.get_by_role("button", name="提交")
    box = submit.bounding_box()
    assert box["width"] >= 300  # a full-width button, easy to tap
    submit.click()
    page.wait_for_url(f"{base}/portal/filed/")
    matter = Matter.objects.get(title="楼下餐馆油烟扰民")
    assert page.locator(".tracking-code").inner_text() == matter.display_code
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    # Tracking from a new browser with the code and the phone's last four digits.
    other = browser.new_context(**PHONE).new_page()
    track_on(other, base, matter)
    assert "已登记您的信访事项（网上）" in other.content()

    # A reply delivered three days ago: rate it and ask for 复查.
    recent = replied_recently(world)
    track_on(other, base, recent)
    assert "经调查，物业公司调价未经业主大会表决" in other.content()
    other.check("#id_rating_1")
    other.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in other.locator(".messages").inner_text()
    other.get_by_role("link", name="申请复查").click()
    other.fill("#id_reasons", "物业仍按新标准收费。")
    other.check("#id_confirm")
    other.get_by_role("button", name="确认提交复查申请").click()
    assert "复查申请已提交" in other.locator(".messages").inner_text()
    recent.refresh_from_db()
    assert recent.status == Status.REVIEW_REQUESTED and recent.rating == "basically"

    # A reply delivered long ago: the portal says the window has closed, and why.
    old = Driver(world).to(Status.REPLIED, title="早已答复的事项")
    track_on(other, base, old)
    text = other.content()
    assert "申请复查期限已于" in text and "自收到之日起30日内提出" in text
    assert other.get_by_role("link", name="申请复查").count() == 0
    assert errors == []


def test_dispatcher_imports_a_ledger_and_watches_the_progress(
    world, live_server, browser, settings, tmp_path
):
    """Upload, fix a column the guess missed, start, and see the bar reach the end while the worker
    (run here by the test, so the page has to poll for it) imports."""
    from huey.contrib.djhuey import HUEY
    from test_ledger_import import HEADER, row, write_xlsx

    from xinfang.ledger import jobs
    from xinfang.ledger.models import ImportJob

    settings.DATA_DIR = tmp_path / "data"
    header = [h if h != "案情" else "反映的问题" for h in HEADER]
    path = write_xlsx(
        tmp_path / "东城区台账.xlsx", [row(i, 承办单位="东城区信访局") for i in range(1, 4)], header
    )
    errors = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_server.url, "bob")
    page.get_by_role("link", name="台账导入").click()
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="上传并核对列").click()
    page.wait_for_url("**/map/")
    assert "共 14 列" in page.content() and "TZ-00003" in page.content()  # the header and first rows
    page.select_option("#id_content", label="第10列「反映的问题」")
    HUEY.immediate = False  # the job waits in the queue; the test is the worker
    try:
        page.get_by_role("button", name="开始导入").click()
        page.wait_for_selector("text=排队中")
    finally:
        HUEY.immediate = True
    job = ImportJob.objects.get()
    jobs.run(job.pk)
    page.wait_for_selector("text=新登记 3 件", timeout=10_000)  # htmx polls every 2 s
    assert "共 3 行" in page.content()  # counted by the job
    assert page.locator("progress").get_attribute("value") == "100"
    assert Matter.objects.filter(holder_unit=world.units.d1_bureau).count() == 3
    assert errors == []


def test_registrar_accepts_and_corrects_suggestions(world, live_server, browser, settings, tmp_path):
    """The intake panel fills the form in one click; a corrected suggestion is recorded as such."""
    from playwright.sync_api import expect

    from xinfang.assist import rules, similar_matters, training
    from xinfang.assist.models import Feedback

    settings.XINFANG_SIMILAR_DIR = tmp_path / "similar"
    similar_matters.INDEX.reset()
    training.forget_loaded()
    training.train("category", by="测试", use_corpus=True)
    world.units.housing.categories.set([world.category])
    rules.derive_rules(world.units.city_bureau)
    base = live_server.url
    errors = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    login(page, base, "alice")
    page.goto(f"{base}/matters/register/")
    page.select_option("#id_channel", "letter")
    page.fill("#id_title", "物业公司乱收停车费")
    page.fill("#id_content", "湖滨社区物业公司擅自把小区停车费从每月100元提高到300元，业主大会没有表决。")
    page.select_option("#id_nature", "appeal")
    page.select_option("#id_request_type", "complaint")
    page.fill("[name=p-0-name]", PETITIONER["name"])
    page.locator("#id_content").dispatch_event("change")
    category = page.locator("#assist-category")
    expect(category).to_contain_text("城乡建设／物业管理")  # waits for the panel of the full text
    # Accept the category in one click; the place is recognised from the text.
    category.get_by_role("button", name="采用").first.click()
    assert page.locator("#id_category").input_value() == str(world.category.pk)
    page.locator("#assist-place").get_by_role("button", name="采用").first.click()
    assert page.locator("#id_division").input_value() == str(world.divisions.village.pk)
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(f"{base}/matters/*/")
    accepted = Feedback.objects.get()
    assert accepted.accepted and accepted.chosen == str(world.category.pk)
    matter = accepted.matter

    # The dispatcher is offered the rule's unit, but corrects it.
    login(page, base, "bob")
    page.goto(f"{base}/matters/{matter.pk}/act/assign/")
    advice = page.locator("#assist-unit")
    assert "青溪市住房和城乡建设局" in advice.inner_text()
    advice.get_by_role("button", name="采用").first.click()
    assert page.locator("#id_unit").input_value() == str(world.units.housing.pk)
    page.select_option("#id_unit", str(world.units.d1_bureau.pk))
    page.get_by_role("button", name="确认交办").click()
    page.wait_for_url(f"{base}/matters/{matter.pk}/")
    corrected = Feedback.objects.get(kind="unit")
    assert not corrected.accepted and corrected.chosen == str(world.units.d1_bureau.pk)
    assert errors == []


def test_supervisor_issues_red_card_the_unit_answers_and_it_is_closed(world, live_server, browser, driver):
    from datetime import timedelta

    from xinfang.supervision.models import Supervision

    base = live_server.url
    errors = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    matter = driver.to(Status.HANDLING)
    due = clock.today() + timedelta(days=7)

    # 督查员 issues a 红牌督办 from the matter's page.
    login(page, base, "sam")
    page.goto(f"{base}/matters/{matter.pk}/")
    page.get_by_role("link", name="督办／批示").click()
    page.check("#id_level_3")  # 红牌督办
    page.check("#id_reasons_0")  # 超期未办结
    page.fill("#id_text", "该事项久拖未决，请主要负责人亲自督办，五日内拿出化解方案。")
    page.fill("#id_due_on", due.isoformat())
    page.get_by_role("button", name="签发").click()
    page.wait_for_url(f"{base}/supervision/*/")
    sup = Supervision.objects.get()
    assert sup.level == "red" and "红牌督办" in page.inner_text("h1")
    page.goto(f"{base}/supervision/{sup.pk}/print/")
    assert "信访事项督办单" in page.inner_text("h1") and sup.number in page.content()

    # The unit head of 东城区住建局 finds it on the board and answers.
    login(page, base, "hope")
    page.goto(f"{base}/supervision/")
    page.locator("#to-answer").get_by_role("link", name=sup.number).click()
    page.fill("#answer-form textarea", "已约谈物业公司，停车费恢复为每月100元，并书面答复信访人。")
    page.get_by_role("button", name="提交反馈").click()
    page.wait_for_url(f"{base}/supervision/{sup.pk}/")
    assert page.locator(".messages").inner_text().startswith("已反馈")
    assert page.inner_text("#sup-state") == "已反馈待审核"

    # The supervisor accepts the answer and closes it.
    login(page, base, "sam")
    page.goto(f"{base}/supervision/{sup.pk}/")
    page.fill("#close-note", "反馈属实，同意办结。")
    page.get_by_role("button", name="认可反馈，办结督办").click()
    page.wait_for_url(f"{base}/supervision/{sup.pk}/")
    assert page.inner_text("#sup-state") == "已办结"
    sup.refresh_from_db()
    assert sup.state == Supervision.State.CLOSED
    assert list(sup.events.values_list("action", flat=True)) == ["issue", "answer", "close"]

    # A backlog campaign over this matter shows its burn-down chart (ECharts under the page's CSP).
    page.goto(f"{base}/supervision/campaigns/")
    page.fill("#id_target_date", (clock.today() + timedelta(days=30)).isoformat())
    page.fill("#id_codes", matter.display_code)
    page.get_by_role("button", name="冻结清单").click()
    page.wait_for_url(f"{base}/supervision/campaigns/*/")
    page.locator("#burndown canvas").wait_for()
    assert "积案 1 件" in page.inner_text("#campaign-summary")
    assert errors == []


def test_dashboard_draws_its_charts_and_drills_down(world, live_server, browser, driver):
    from datetime import timedelta

    from xinfang.analytics import snapshot
    from xinfang.petitions.choices import Channel

    base = live_server.url
    errors = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    today = clock.today()
    driver.now = clock.now() - timedelta(hours=2)
    letters = [driver.register() for _ in range(3)]
    south = [driver.register(channel=Channel.ONLINE, division=world.divisions.d2) for _ in range(2)]
    snapshot.refresh()

    login(page, base, "sam")
    page.goto(f"{base}/analytics/?first={today.replace(day=1)}&last={today}")
    charts = page.locator("[data-chart]")
    assert charts.count() >= 8
    page.wait_for_function("[...document.querySelectorAll('[data-chart]')].every(b => b.dataset.rendered)")
    assert page.locator("[data-chart] canvas").count() == charts.count()
    assert errors == []

    # A block of the division treemap narrows the dashboard to that district.
    page.locator("[data-chart=division]").scroll_into_view_if_needed()
    box = page.locator("[data-chart=division]").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**division=**")
    summary = page.locator("#panel-summary tbody tr").first.inner_text()
    district = "东城区" if "东城区" in page.inner_text(".muted >> nth=0") else "南山区"
    assert summary.split()[1] == ("3" if district == "东城区" else "2")

    # The 来信 count of the channel table lists exactly those matters.
    page.goto(f"{base}/analytics/?first={today.replace(day=1)}&last={today}")
    panel = page.locator("#panel-channel")
    panel.locator("summary").click()
    panel.locator("tbody tr", has_text="来信").get_by_role("link", name="3", exact=True).click()
    page.wait_for_url(f"{base}/matters/?**channel=letter**")
    listed = page.inner_text("#queue-table")
    assert all(m.display_code in listed for m in letters)
    assert not any(m.display_code in listed for m in south)
    assert errors == []
