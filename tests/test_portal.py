"""网上信访 through the test client: filing, tracking, the public timeline, rating, review windows,
withdrawal, attachments checked by content, duplicates merged without revealing the first filing, rate
limits and tracking lockouts, expired sessions."""

from datetime import timedelta

import pytest
from conftest import PETITIONER, Driver
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from xinfang.core import clock
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Matter
from xinfang.petitions.promises import cn_date
from xinfang.petitions.services import window_end

PDF = b"%PDF-1.4 scanned letter"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def filing(world, **overrides):
    data = {
        "name": PETITIONER["name"],
        "id_number": PETITIONER["id_number"],
        "phone": PETITIONER["phone"],
        "address": PETITIONER["address"],
        "division": world.divisions.village.pk,
        "nature": "appeal",
        "request_type": "complaint",
        "category": world.category.pk,
        "title": "小区物业擅自提高停车费",
        "content": "物业公司未经业主大会同意，把停车费由每月100元提高到200元。",
        "request": "恢复原收费标准。",
        "consent": "on",
    }
    data.update(overrides)
    return data


def file(client, world, files=(), **overrides):
    return client.post("/portal/file/", {**filing(world, **overrides), "files": list(files)})


def test_filing_registers_an_online_matter_at_the_local_bureau_and_shows_the_code(client, world):
    response = file(
        client, world, files=[SimpleUploadedFile("信.pdf", PDF), SimpleUploadedFile("照片.png", PNG)]
    )
    assert response.status_code == 302 and response["Location"] == "/portal/filed/"
    matter = Matter.objects.get()
    assert matter.channel == Channel.ONLINE and matter.status == Status.REGISTERED
    assert matter.registering_unit == world.units.d1_bureau  # the bureau of 东城区, where 湖滨社区 is
    assert matter.petitioners.get().phone == PETITIONER["phone"]
    assert sorted(a.content_type for a in matter.attachments.all()) == ["application/pdf", "image/png"]
    page = client.get("/portal/filed/").content.decode()
    assert matter.display_code in page and "手机号码的后4位" in page
    # Staff of the bureau find it in their queue, like any other matter.
    assert matter in Matter.objects.visible_to(world.dave)


def test_filing_needs_consent_and_valid_identity_and_keeps_the_input(client, world):
    body = file(client, world, consent="", id_number="110101199003071234").content.decode()
    assert "请阅读并同意个人信息保护告知后再提交" in body
    assert "身份证号码格式或校验位不正确" in body
    assert "小区物业擅自提高停车费" in body  # what was typed is still there
    assert not Matter.objects.exists()
    body = file(client, world, nature="accusation").content.decode()
    assert "检举控告请填写被反映的单位或人员" in body


def test_attachments_are_checked_by_content_not_by_name(client, world):
    fake = SimpleUploadedFile("扫描件.pdf", b"MZ\x90\x00 an executable")
    body = file(client, world, files=[fake]).content.decode()
    assert "不是图片或PDF文件" in body and not Matter.objects.exists()


def test_the_same_petition_sent_twice_is_merged(client, world):
    file(client, world)
    first = Matter.objects.get()
    response = file(client, world)
    assert response.status_code == 302
    assert Matter.objects.count() == 1
    page = client.get("/portal/filed/").content.decode()
    assert "您已提交过相同的信访事项" in page and first.display_code in page  # this browser filed it
    file(client, world, title="另一件事：路灯不亮")
    assert Matter.objects.count() == 2


def test_a_resubmission_from_another_browser_never_reveals_or_opens_the_first(client, world):
    world.units.d1_bureau.phone = "0571-87001234"
    world.units.d1_bureau.save()
    file(client, world)
    first = Matter.objects.get()
    other = Client()  # someone else who knows the phone, the title and the content
    response = file(other, world, name="王五", id_number="11010519491231002X")
    assert response.status_code == 302 and Matter.objects.count() == 1  # still not registered twice
    page = other.get(response["Location"]).content.decode()
    assert first.display_code not in page and first.code not in page
    assert "该信访事项已经收到" in page and "0571-87001234" in page
    assert other.get(f"/portal/m/{first.code}/")["Location"] == "/portal/track/"
    other.post(f"/portal/m/{first.code}/withdraw/", {"note": "冒名撤回", "version": first.version})
    assert other.get(f"/portal/m/{first.code}/documents/acceptance.docx")["Location"] == "/portal/track/"
    first.refresh_from_db()
    assert first.status == Status.REGISTERED


def test_filing_is_rate_limited_per_address_and_per_identity(client, world, settings):
    settings.XINFANG_PORTAL_IDENTITY_RATE = "2/d"
    for i in range(2):
        assert file(client, world, title=f"第{i}件事").status_code == 302
    response = file(client, world, title="第三件事")
    assert response.status_code == 429 and "操作过于频繁" in response.content.decode()
    settings.XINFANG_PORTAL_FILE_RATE = "4/h"
    other = {"id_number": "11010519491231002X", "phone": "13900139000"}
    assert file(client, world, title="第四件事", **other).status_code == 302
    assert file(client, world, title="第五件事", **other).status_code == 429  # the address's 5th post
    assert Matter.objects.count() == 3


def track(client, matter, tail="8000"):
    return client.post("/portal/track/", {"code": matter.display_code.lower(), "phone_tail": tail})


def test_tracking_needs_the_code_and_the_phone_tail(client, world):
    matter = Driver(world).register()
    assert client.get(f"/portal/m/{matter.code}/")["Location"] == "/portal/track/"  # not without the check
    body = track(client, matter, tail="1234").content.decode()
    assert "查询码或手机号码后4位不正确" in body
    response = track(client, matter)
    assert response["Location"] == f"/portal/m/{matter.code}/"
    assert "办理过程" in client.get(response["Location"]).content.decode()


def wrong_tries(client, matter, n):
    return [track(client, matter, tail="0000") for _ in range(n)]


def test_wrong_tries_lock_one_code_not_the_address_and_say_so(client, world, settings):
    """A mistyped tail locks that code for this address after five tries, announced from three
    left, with until when and whom to call; the address can still track another petition."""
    settings.XINFANG_PORTAL_TRACK_CODE_RATE, settings.XINFANG_PORTAL_TRACK_RATE = "5/h", "30/h"
    world.units.city_bureau.phone = "0571-87000000"
    world.units.city_bureau.save()
    d = Driver(world)
    mistyped, wanted = d.register(), d.register(title="另一件事：路灯不亮")
    pages = [r.content.decode() for r in wrong_tries(client, mistyped, 5)]
    assert ["还可尝试" in p for p in pages[:2]] == [False, True]
    assert "还可尝试3次" in pages[1] and "还可尝试2次" in pages[2] and "还可尝试1次" in pages[3]
    assert "尝试次数已用完" in pages[4] and "0571-87000000" in pages[4] and "以后" in pages[4]
    refused = wrong_tries(client, mistyped, 30)
    assert {r.status_code for r in refused} == {429}
    page = refused[0].content.decode()
    assert "操作过于频繁" in page and "0571-87000000" in page and "分钟后" in page
    assert track(client, mistyped, tail="8000").status_code == 429  # locked, even with the right tail
    assert track(client, wanted)["Location"] == f"/portal/m/{wanted.code}/"  # not the other petition
    # Another address is not locked out of the mistyped one.
    assert track(Client(REMOTE_ADDR="198.51.100.9"), mistyped).status_code == 302


def test_wrong_tries_over_many_codes_lock_the_address(client, world, settings):
    settings.XINFANG_PORTAL_TRACK_CODE_RATE, settings.XINFANG_PORTAL_TRACK_RATE = "3/h", "8/h"
    d = Driver(world)
    matters = [d.register(title=f"第{i}件事") for i in range(5)]
    responses = [r for m in matters[:4] for r in wrong_tries(client, m, 2)]  # two tries on each code
    assert [r.status_code for r in responses] == [200] * 8
    assert "还可尝试1次" in responses[6].content.decode()  # the address's, fewer than the code's 2
    assert "尝试次数已用完" in responses[7].content.decode()
    assert track(client, matters[4]).status_code == 429  # the address is over its limit, for all codes
    assert track(Client(REMOTE_ADDR="198.51.100.9"), matters[4]).status_code == 302


def test_an_expired_session_leads_back_to_the_portal_not_the_staff_login(client, world):
    matter = Driver(world).register()
    assert track(client, matter).status_code == 302
    assert client.get(f"/portal/m/{matter.code}/").status_code == 200
    Session.objects.all().delete()  # the session expired (idle timeout)
    response = client.get(f"/portal/m/{matter.code}/", follow=True)
    assert response.redirect_chain == [("/portal/track/", 302)]
    page = response.content.decode()
    assert "请输入查询码和手机号码后4位查询" in page and 'href="/"' not in page and "login" not in page
    response = client.post(
        f"/portal/m/{matter.code}/withdraw/", {"note": "已解决", "version": matter.version}
    )
    assert response["Location"] == "/portal/track/"
    matter.refresh_from_db()
    assert matter.status == Status.REGISTERED
    # A page that does not exist in the portal leads back to the portal too.
    assert track(client, matter).status_code == 302
    page = client.get(f"/portal/m/{matter.code}/documents/reply.docx").content.decode()
    assert "该事项尚未作出这份文书" in page and 'href="/portal/"' in page and 'href="/"' not in page


def test_timeline_shows_what_the_regulation_makes_public_and_nothing_internal(client, world):
    d = Driver(world)
    matter = d.to(Status.REPLIED)
    matter.events.filter(action="assign").update(note="内部交办意见：请注意信访人情绪")
    track(client, matter)
    page = client.get(f"/portal/m/{matter.code}/").content.decode()
    assert "已交办至「东城区住房和城乡建设局」办理" in page
    assert "「东城区住房和城乡建设局」已受理" in page
    assert "经调查，物业公司调价未经业主大会表决" in page and "《物业管理条例》第七条" in page
    assert "处理意见：支持" in page
    assert "内部交办意见" not in page  # staff notes stay inside
    assert "提交处理意见" not in page  # internal steps (submit for sign-off) are not listed
    for user in world.users.values():
        assert user.username not in page and (not user.full_name or user.full_name not in page)


def replied_recently(world, days_ago=3):
    """A matter whose reply was delivered a few days ago, so the 30-day windows are open today."""
    d = Driver(world, start=clock.now() - timedelta(days=days_ago + 20))
    matter = d.do(d.do(d.to(Status.DISPATCHED), "accept"), "submit_reply")
    d.now = clock.now()
    return d.do(matter, "approve_reply", days=0, delivered_on=clock.today() - timedelta(days=days_ago))


def test_rating_and_asking_for_review_inside_the_window(client, world):
    matter = replied_recently(world)
    track(client, matter)
    page = client.get(f"/portal/m/{matter.code}/").content.decode()
    assert "申请复查" in page and "第三十五条" in page
    client.post(f"/portal/m/{matter.code}/rate/", {"rating": "satisfied", "version": matter.version})
    matter.refresh_from_db()
    assert matter.rating == "satisfied"
    # One click opens the request, which says who decides and by when, before anything is sent.
    url = f"/portal/m/{matter.code}/request/request_review/"
    decide_by = window_end(matter, "review_decision", clock.today())
    page = client.get(url).content.decode()
    assert f"应于<strong>{cn_date(decide_by)}</strong>前作出复查意见" in page
    assert f"「{world.units.d1_gov}」" in page and matter.status == Status.REPLIED
    # Reasons are required, and so is the confirmation; the errors are listed at the top.
    page = client.post(url, {"version": matter.version}).content.decode()
    assert 'class="error-summary"' in page and 'href="#id_reasons"' in page
    assert "请填写申请理由" in page and "请勾选确认后再提交" in page
    page = client.post(url, {"version": matter.version, "reasons": "调价仍未恢复"}).content.decode()
    assert "请勾选确认后再提交" in page
    matter.refresh_from_db()
    assert matter.status == Status.REPLIED
    response = client.post(
        url,
        {
            "version": matter.version,
            "reasons": "物业至今未恢复原收费标准。",
            "confirm": "on",
            "files": [SimpleUploadedFile("收费通知.png", PNG)],
        },
        follow=True,
    )
    matter.refresh_from_db()
    assert matter.status == Status.REVIEW_REQUESTED and matter.holder_unit == world.units.d1_gov
    page = response.content.decode()
    promise = f"复查申请已提交。复查机关「{world.units.d1_gov}」应于{cn_date(matter.due_date)}前作出复查意见"
    assert promise in page
    assert "申请理由：物业至今未恢复原收费标准。" in page  # the petitioner's own words, back in the timeline
    event = matter.events.latest("pk")
    assert event.actor is None and event.note == "物业至今未恢复原收费标准。"
    assert [a.name for a in event.attachments.all()] == ["收费通知.png"]


def test_outside_the_window_the_portal_says_so_and_why(client, world):
    matter = Driver(world).to(Status.REPLIED)  # delivered in 2025: the window closed long ago
    track(client, matter)
    page = client.get(f"/portal/m/{matter.code}/").content.decode()
    assert "申请复查期限已于" in page and "自收到之日起30日内提出" in page
    assert f"/portal/m/{matter.code}/request/request_review/" not in page
    response = client.get(f"/portal/m/{matter.code}/request/request_review/", follow=True)
    assert "已超过期限（第三十五条）" in response.content.decode()
    matter.refresh_from_db()
    assert matter.status == Status.REPLIED


def test_withdrawal_needs_a_reason_and_closes_the_matter(client, world):
    matter = Driver(world).register()
    track(client, matter)
    response = client.post(f"/portal/m/{matter.code}/withdraw/", {"note": ""}, follow=True)
    assert "请填写撤回原因" in response.content.decode()
    client.post(f"/portal/m/{matter.code}/withdraw/", {"note": "已与物业协商解决", "version": matter.version})
    matter.refresh_from_db()
    assert matter.status == Status.WITHDRAWN
    assert "撤回说明：已与物业协商解决" in client.get(f"/portal/m/{matter.code}/").content.decode()


def test_another_browser_cannot_act_on_a_matter_it_has_not_tracked(client, world):
    matter = Driver(world).register()
    response = client.post(f"/portal/m/{matter.code}/withdraw/", {"note": "冒名撤回"})
    assert response["Location"] == "/portal/track/"
    matter.refresh_from_db()
    assert matter.status == Status.REGISTERED


@pytest.mark.parametrize("url", ["/portal/", "/portal/file/", "/portal/track/"])
def test_portal_pages_are_chinese_and_need_no_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 200 and 'lang="zh-Hans"' in response.content.decode()
    assert ' style="' not in response.content.decode()


class SixTimesSeven:
    """A challenge as a deployment would plug one in (XINFANG_PORTAL_CHALLENGE)."""

    def render(self, request):
        from django.utils.safestring import mark_safe

        return mark_safe('<div class="field"><label>6×7=<input name="answer"></label></div>')  # noqa: S308

    def verify(self, request):
        return request.POST.get("answer") == "42"


def test_a_plugged_in_challenge_is_shown_and_checked(client, world, settings):
    settings.XINFANG_PORTAL_CHALLENGE = "test_portal.SixTimesSeven"
    assert 'name="answer"' in client.get("/portal/file/").content.decode()
    response = client.post("/portal/file/", {**filing(world), "answer": "41"})
    assert "验证未通过" in response.content.decode() and not Matter.objects.exists()
    assert client.post("/portal/file/", {**filing(world), "answer": "42"}).status_code == 302
    assert Matter.objects.count() == 1


def test_pages_with_a_matter_or_personal_data_are_not_stored_by_browsers_or_proxies(client, world):
    """A shared computer's browser cache or a proxy must not keep a petitioner's matter, code or
    documents: every such page says Cache-Control: no-store (signed-in staff pages say it too)."""

    def no_store(response):
        return "no-store" in response.get("Cache-Control", "")

    retyped = file(client, world, consent="")  # the form comes back with what was typed
    assert retyped.status_code == 200 and PETITIONER["phone"] in retyped.content.decode()
    assert no_store(retyped)
    file(client, world)
    filed = client.get("/portal/filed/")
    assert filed.status_code == 200 and no_store(filed)

    matter = Driver(world).to(Status.REPLIED)
    visitor = Client()
    wrong = visitor.post("/portal/track/", {"code": matter.display_code, "phone_tail": "0000"})
    assert wrong.status_code == 200 and no_store(wrong)  # the code typed is on the page again
    assert track(visitor, matter).status_code == 302
    page = visitor.get(f"/portal/m/{matter.code}/")
    assert page.status_code == 200 and matter.display_code in page.content.decode() and no_store(page)
    reply = visitor.get(f"/portal/m/{matter.code}/documents/reply.docx")
    assert reply.status_code == 200 and reply["Content-Type"].startswith("application/vnd.openxml")
    assert no_store(reply)
    missing = visitor.get(f"/portal/m/{matter.code}/documents/rereview.docx")
    assert missing.status_code == 404 and no_store(missing)
