"""The citizen is told by when, at every stage: the registration message, each SMS, the portal's
matter page and the written notices name the concrete date from the deadline engine; an extension
its new date and reason; a late step that it is late and has been 催办. Also the 不满意 rating that
starts a 回访, the written notice of another legal channel, and the display and help of the portal's
forms."""

import io
from datetime import timedelta

from conftest import PETITIONER, Driver
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from docx import Document
from test_portal import PNG, file, filing, replied_recently, track

from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.petitions.choices import Nature, Status
from xinfang.petitions.models import Matter
from xinfang.petitions.promises import cn_date
from xinfang.supervision.models import Reminder


def sms(matter, kind):
    notes = Notification.objects.filter(matter=matter, kind=kind, audience="petitioner")
    assert notes.count() == 1
    return notes.get().body


def docx_text(response) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)


def test_filing_sends_a_registration_message_with_the_code_and_dates(client, world):
    file(client, world)
    matter = Matter.objects.get()
    body = sms(matter, "register")
    assert matter.display_code in body
    assert f"信访部门应于{cn_date(matter.due_date)}前将您的信访事项转送、交办" in body
    assert "最迟于" in body and "前告知您是否受理" in body
    page = client.get("/portal/filed/").content.decode()
    assert f"应于{cn_date(matter.due_date)}前" in page and "15日内" not in page


def test_every_sms_names_the_date_the_next_step_is_due(world):
    d = Driver(world, start=clock.now() - timedelta(days=10))
    matter = d.to(Status.DISPATCHED)
    assert f"「东城区住房和城乡建设局」应于{cn_date(matter.due_date)}前告知您是否受理" in sms(
        matter, "assign"
    )
    matter = d.do(matter, "accept")
    assert f"应于{cn_date(matter.due_date)}前办结并向您出具书面处理意见" in sms(matter, "accept")
    before = matter.due_date
    matter = d.do(matter, "extend", days=0, note="需要现场测量")
    assert matter.due_date > before
    body = sms(matter, "extend")
    assert f"延长30日，「东城区住房和城乡建设局」应于{cn_date(matter.due_date)}前办结" in body
    assert "延期理由：需要现场测量" in body
    for body in Notification.objects.filter(matter=matter, audience="petitioner").values_list(
        "body", flat=True
    ):
        assert "日内" not in body  # a date, never a count of days


def test_the_matter_page_says_what_is_due_next_and_the_extension(client, world):
    d = Driver(world, start=clock.now() - timedelta(days=10))
    matter = d.do(d.to(Status.HANDLING), "extend", days=0, note="需要现场测量")
    track(client, matter)
    page = client.get(f"/portal/m/{matter.code}/").content.decode()
    assert f"「东城区住房和城乡建设局」应于{cn_date(matter.due_date)}前办结并向您出具书面处理意见。" in page
    assert "办理期限已延长30日，延期理由：需要现场测量。" in page
    assert f"延长后应于{cn_date(matter.due_date)}前办结并书面答复" in page  # the timeline's entry
    assert "已超过期限" not in page


def test_a_late_step_is_shown_late_with_the_reminders_sent(client, world):
    matter = Driver(world).to(Status.HANDLING)  # accepted in 2025: long past its deadline
    Reminder.objects.create(
        case_type="matter",
        case_id=matter.pk,
        unit=world.units.d1_dept,
        kind=Reminder.Kind.OVERDUE,
        step="handling",
        due_on=matter.due_date,
        at=clock.now() - timedelta(days=2),
    )
    track(client, matter)
    page = client.get(f"/portal/m/{matter.code}/").content.decode()
    assert f"<strong>已超过期限</strong>（应于{cn_date(matter.due_date)}前完成）" in page
    assert f"已对承办单位催办1次，最近一次在{cn_date(clock.today() - timedelta(days=2))}" in page


def test_notices_carry_the_dates(client, world):
    d = Driver(world, start=clock.now() - timedelta(days=10))
    matter = d.do(d.to(Status.HANDLING), "extend", days=0, note="需要现场测量")
    accepted = matter.events.get(action="accept").data["due"]
    track(client, matter)
    text = docx_text(client.get(f"/portal/m/{matter.code}/documents/acceptance.docx"))
    year, month, day = (int(x) for x in accepted.split("-"))
    assert f"本机关将于{year}年{month}月{day}日前办结" in text and "60日内" not in text
    text = docx_text(client.get(f"/portal/m/{matter.code}/documents/extension.docx"))
    assert "因需要现场测量" in text and f"本机关将于{cn_date(matter.due_date)}前办结" in text


def test_another_legal_channel_is_a_written_notice_to_download(client, world):
    matter = Driver(world, start=clock.now() - timedelta(days=3)).to(Status.REFERRED)
    assert "在网上信访下载" in sms(matter, "refer")
    track(client, matter)
    page = client.get(f"/portal/m/{matter.code}/").content.decode()
    assert "下载《信访事项依法通过其他途径解决告知书》" in page
    response = client.get(f"/portal/m/{matter.code}/documents/referral.docx")
    text = docx_text(response)
    assert "依法应当通过诉讼途径解决" in text and "属于民事纠纷，请向人民法院提起诉讼。" in text
    assert f"{PETITIONER['name']}：" in text


def test_unsatisfied_asks_why_and_starts_a_visit(client, world):
    matter = replied_recently(world)
    track(client, matter)
    page = client.get(f"/portal/m/{matter.code}/").content.decode()
    assert "不满意的原因" in page
    response = client.post(
        f"/portal/m/{matter.code}/rate/", {"rating": "unsatisfied", "version": matter.version}, follow=True
    )
    assert "请说明不满意的原因" in response.content.decode()
    matter.refresh_from_db()
    assert matter.rating == ""
    response = client.post(
        f"/portal/m/{matter.code}/rate/",
        {"rating": "unsatisfied", "reason": "收费仍未恢复", "version": matter.version},
        follow=True,
    )
    assert "将就您不满意的原因回访您" in response.content.decode()
    matter.refresh_from_db()
    assert matter.rating == "unsatisfied"
    event = matter.events.latest("pk")
    assert event.note == "收费仍未恢复" and event.data["visit"] is True
    visits = Notification.objects.filter(matter=matter, kind="visit", audience="staff")
    assert {n.recipient_user.unit for n in visits} == {world.units.d1_dept}
    assert all("不满意（原因：收费仍未恢复）" in n.body and "回访" in n.body for n in visits)


def test_the_filing_form_states_limits_groups_choices_and_lists_errors_at_the_top(client, world):
    page = client.get("/portal/file/").content.decode()
    assert "novalidate" in page and " required" not in page  # no browser bubbles in another language
    assert "最多5个，每个不超过10MB" in page
    assert f'<optgroup label="{world.category.parent.name}">' in page  # categories under their first level
    assert '<optgroup label="东城区">' in page and 'class="place-search"' in page
    assert 'aria-describedby="id_phone_help"' in page and 'inputmode="tel"' in page
    assert "选择文件" in page and "未选择文件" in page
    page = client.post("/portal/file/", {**filing(world), "title": "", "category": ""}).content.decode()
    summary = page[
        page.index('class="error-summary"') : page.index("</div>", page.index('class="error-summary"'))
    ]
    assert 'href="#id_category"' in summary and 'href="#id_title"' in summary
    assert 'aria-invalid="true"' in page and 'aria-describedby="id_title_error"' in page


def test_tracking_warns_before_the_last_tries_with_the_bureau_phone(client, world, settings):
    settings.XINFANG_PORTAL_TRACK_CODE_RATE = "5/h"
    world.units.d1_bureau.phone = "0571-12345678"
    world.units.d1_bureau.save()
    matter = Driver(world).register()
    page = client.get("/portal/track/").content.decode()
    assert 'inputmode="numeric"' in page
    first = track(client, matter, tail="0000").content.decode()
    assert "还可尝试" not in first and "0571-12345678" not in first
    track(client, matter, tail="0000")
    warned = track(client, matter, tail="0000").content.decode()
    assert "还可尝试2次" in warned and "0571-12345678" in warned


def test_an_expired_session_leads_back_to_the_portal(client, world):
    matter = Driver(world).register()
    for url in (f"/portal/m/{matter.code}/", f"/portal/m/{matter.code}/request/request_review/"):
        assert client.get(url)["Location"] == "/portal/track/"


def test_the_public_page_shows_counts_per_unit_and_no_accusation(client, world):
    d = Driver(world, start=clock.now() - timedelta(days=70))
    matter = d.to(Status.DISPATCHED)
    accusation = Driver(world, start=clock.now() - timedelta(days=70)).register(
        nature=Nature.ACCUSATION, title="举报某局长受贿"
    )
    month = matter.received_at.astimezone().date().replace(day=1)
    page = client.get(f"/portal/open/?month={month:%Y-%m}").content.decode()
    assert "东城区住房和城乡建设局" in page
    row = page[page.index('<th scope="row">东城区住房和城乡建设局</th>') :]
    assert row.startswith('<th scope="row">东城区住房和城乡建设局</th><td data-label="收到">1</td>')
    for secret in (matter.title, accusation.title, PETITIONER["name"], PETITIONER["phone"]):
        assert secret not in page
    assert "检举控告类事项依法保密" in page and "本月共收到检举控告类事项" not in page  # fewer than 5


def test_large_text_mode_is_remembered_in_a_cookie(client, world):
    response = client.post("/portal/display/", {"large": "1", "next": "/portal/track/"})
    assert response["Location"] == "/portal/track/" and response.cookies["portal_large"].value == "1"
    page = client.get("/portal/track/").content.decode()
    assert 'class="portal large"' in page and 'aria-pressed="true"' in page
    assert 'href="#main"' in page and 'id="main"' in page  # the skip link
    response = client.post("/portal/display/", {"large": "0", "next": "https://example.com/"})
    assert response["Location"] == "/portal/"  # never away from the portal
    assert 'class="portal"' in client.get("/portal/").content.decode()


def test_review_materials_state_their_limits(client, world):
    matter = replied_recently(world)
    track(client, matter)
    url = f"/portal/m/{matter.code}/request/request_review/"
    page = client.get(url).content.decode()
    assert "最多5个，每个不超过10MB" in page
    big = SimpleUploadedFile("大图.png", PNG + b"\0" * (10 * 1024 * 1024))
    page = client.post(
        url, {"version": matter.version, "reasons": "不服", "confirm": "on", "files": [big]}
    ).content.decode()
    assert "超过10MB" in page


def test_a_refused_form_is_explained_in_chinese_with_the_way_back_to_the_portal(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/portal/track/", {"code": "X", "phone_tail": "1234"})
    page = response.content.decode()
    assert response.status_code == 403 and "页面已过期，请重新操作" in page
    assert 'href="/portal/"' in page and "CSRF" not in page
