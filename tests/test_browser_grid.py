"""A grid worker files an event from a phone with a photo taken on the spot (shrunk in the
browser before it is sent); the centre accepts and dispatches it, the unit reports what it did, the
grid worker confirms on the spot with a photo, and the centre closes it — clicked through in
headless Chromium (Debian's, through Playwright)."""

import struct
import zlib
from io import BytesIO

import pytest
from conftest import PASSWORD
from disputes_helpers import grid
from PIL import ExifTags, Image
from test_browser import PHONE, browser  # noqa: F401 — the browser fixture

from xinfang.grid.choices import Status
from xinfang.grid.models import GridEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def png_bytes() -> bytes:
    """A real 2×2 PNG, as a phone's camera would send (smaller)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xc0\x30\x30" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))  # fmt: skip


def big_photo() -> bytes:
    """A JPEG as large as a phone's camera writes, with its GPS position."""
    picture = Image.merge("RGB", [Image.effect_noise((3000, 2000), 40 + 10 * i) for i in range(3)])
    exif = Image.Exif()
    exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (30.0, 15.0, 1.5), 3: "E", 4: (120.0, 10.0, 2.0)}
    out = BytesIO()
    picture.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def sign_in(page, base, username, landing):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}{landing}**")


def act(page, base, event, label, fill=None, select=None, check=None, photo=False):
    page.goto(f"{base}/grid/events/{event.pk}/")
    page.get_by_role("link", name=label, exact=True).click()
    for selector, value in (select or {}).items():
        page.select_option(selector, value)
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    for selector in check or []:
        page.check(selector)
    if photo:
        page.set_input_files(
            "#id_photos", files=[{"name": "核查.png", "mimeType": "image/png", "buffer": png_bytes()}]
        )
    page.get_by_role("button", name=f"确认{label}").click()
    page.wait_for_url(f"{base}/grid/events/{event.pk}/")
    assert page.locator(".messages").inner_text().startswith("已")


def test_grid_worker_reports_on_a_phone_and_the_centre_closes_after_verification(world, live_server, browser):  # noqa: F811
    base = live_server.url
    g = grid(world)
    errors = []
    phone = browser.new_context(**PHONE).new_page()
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    # Filing, on a phone-sized screen, with a photo from the camera.
    sign_in(phone, base, "gwen", "/grid/mine/")
    phone.get_by_role("link", name="上报新事件").click()
    photos = phone.locator("#id_photos")
    assert photos.get_attribute("accept") == "image/*" and photos.get_attribute("capture") is not None
    assert phone.locator("#id_grid").input_value() == str(g.pk)  # their grid is chosen already
    phone.select_option("#id_kind", "safety")
    phone.fill("#id_title", "湖滨路3号井盖缺失")
    phone.fill("#id_description", "湖滨路3号门口井盖缺失，晚上有行人险些跌落。")
    phone.fill("#id_headcount", "1")
    # A phone's photo, 3000×2000 and over a megabyte, is shrunk in the browser before it is sent.
    taken = big_photo()
    assert len(taken) > 1024 * 1024
    phone.set_input_files(
        "#id_photos", files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": taken}]
    )
    phone.wait_for_selector("#id_photos-status:has-text('照片已压缩')")
    submit = phone.get_by_role("button", name="上报")
    assert submit.bounding_box()["width"] >= 300  # full width, easy to tap
    submit.click()
    phone.wait_for_url(f"{base}/grid/mine/")
    event = GridEvent.objects.get(title="湖滨路3号井盖缺失")
    assert event.number in phone.locator(".messages").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    sent = event.photos.get()
    with sent.file.open("rb") as f:
        stored = Image.open(BytesIO(f.read()))
    # 1600 pixels: redrawn by the browser (the server alone would keep 2560).
    assert (sent.content_type, stored.size, sent.name) == ("image/jpeg", (1600, 1067), "现场.jpg")
    assert sent.size < len(taken) // 2 and dict(stored.getexif()) == {}

    # The centre (东湖街道办) accepts it and dispatches it to 东城区住建局.
    desk = browser.new_context(locale="zh-CN").new_page()
    sign_in(desk, base, "tina", "/matters/")
    act(desk, base, event, "受理")
    act(desk, base, event, "分拨", select={"#id_unit": str(world.units.d1_dept.pk)})
    # The unit reports what it did.
    unit = browser.new_context(locale="zh-CN").new_page()
    sign_in(unit, base, "hank", "/matters/")
    act(unit, base, event, "处置反馈", fill={"#id_note": "已补装井盖并设置警示标志。"})

    # The grid worker sees it waiting for them and confirms on the spot with a photo.
    phone.goto(f"{base}/grid/mine/")
    assert "请到现场核查" in phone.content()
    act(phone, base, event, "现场核查（上报人）", check=["#id_passed_0"], photo=True)
    assert phone.locator("#event-status").inner_text() == "核查通过"

    # The centre closes it.
    act(desk, base, event, "结案")
    event.refresh_from_db()
    assert event.status == Status.CLOSED
    assert event.photos.count() == 2
    assert list(event.events.values_list("action", flat=True)) == [
        "register",
        "accept",
        "dispatch",
        "handle",
        "confirm",
        "close",
    ]
    phone.goto(f"{base}/grid/events/{event.pk}/")
    assert "已结案" in phone.locator("#event-status").inner_text()
    assert errors == []
