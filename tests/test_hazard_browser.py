"""An inspector accepts a rectification with photos, clicked through in headless Chromium; the
petition that reported the hazard then shows it, with the sentence its reply can cite."""

import pytest
from prevention import PNG, HazardDriver, enterprises
from test_browser import CHROMIUM, browser, login  # noqa: F401 — the fixture and helpers of the browser tests

from xinfang.hazards.choices import PhotoStage, Status
from xinfang.hazards.models import Hazard
from xinfang.petitions.choices import Status as MatterStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_inspector_accepts_a_rectification_with_photos(world, live_server, browser, driver, tmp_path):  # noqa: F811
    matter = driver.to(MatterStatus.HANDLING)
    d = HazardDriver(world)
    hazard = d.register(enterprises(world).chem, petition=matter, source="petition")
    hazard = d.do(d.do(hazard, "notify"), "request_acceptance")
    photos = []
    for name in ("整改后-东侧.png", "整改后-西侧.png"):
        (tmp_path / name).write_bytes(PNG)
        photos.append(str(tmp_path / name))
    errors = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    login(page, base, "hank")
    page.get_by_role("link", name="隐患排查").click()
    page.get_by_role("link", name=hazard.title).click()
    assert "待验收" in page.content()

    # Without photos of the result the acceptance is refused, with the reason on the form.
    page.get_by_role("link", name="验收合格", exact=True).click()
    page.fill("#id_note", "经现场复查，防爆灯已全部更换，符合要求。")
    page.get_by_role("button", name="确认验收合格").click()
    assert "验收合格须上传整改后的现场照片" in page.locator("#form-errors").inner_text()
    assert Hazard.objects.get(pk=hazard.pk).status == Status.ACCEPTANCE_PENDING

    page.fill("#id_note", "经现场复查，防爆灯已全部更换，符合要求。")
    page.set_input_files("#id_files", photos)
    page.get_by_role("button", name="确认验收合格").click()
    page.wait_for_url(f"{base}/hazards/{hazard.pk}/")
    assert page.locator(".messages").inner_text() == "已验收合格。"
    assert "验收合格" in page.locator(".status").first.inner_text()
    assert (
        page.locator("#photos li").count() == 2 and "整改后-东侧.png" in page.locator("#photos").inner_text()
    )
    hazard = Hazard.objects.get(pk=hazard.pk)
    assert hazard.status == Status.ACCEPTED and hazard.rectified_on_time is True
    assert sorted(hazard.photos.values_list("stage", flat=True)) == [PhotoStage.AFTER, PhotoStage.AFTER]

    # The photo opens in the browser; the petition's page shows the hazard and the citation.
    with page.expect_navigation():
        page.locator("#photos a").first.click()
    page.go_back()
    page.goto(f"{base}/matters/{matter.pk}/")
    page.wait_for_selector("#hazards textarea")  # loaded by htmx from the hazard ledger
    assert "验收合格" in page.locator("#hazards textarea").input_value()
    assert errors == []
