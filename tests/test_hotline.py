"""The 12345 hotline both ways (docs/hotline-12345.md): 工单 in, idempotent; 办理结果 back as signed
webhooks to the reference receiver (xinfang/api/hotline_peer.py) over real HTTP, in order, retried
with back-off; dead letters a person sees and sends again."""

from datetime import date, timedelta

import pytest
from conftest import Driver, at, sign_in
from test_api import token_for

from xinfang.api import hotline
from xinfang.api.hotline_peer import Receiver, send_order
from xinfang.api.models import HotlineMessage, HotlineOrder
from xinfang.audit.models import AuditEntry
from xinfang.core import clock
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Matter

SECRET = "测试密钥-12345"

ORDER = {
    "number": "GD20261123000123",
    "received_at": "2026-11-23T09:30:00+08:00",
    "caller": {"name": "李明", "phone": "13800138000"},
    "place": {"address": "湖滨路12号", "division_code": "990101001001"},
    "content": "小区电梯频繁故障，物业不维修。",
    "category": "城乡建设/物业管理",
    "request_type": "投诉",
    "deadline": "2026-12-03T18:00:00+08:00",
}


def take(client, token, order=None):
    return client.post(
        "/api/v1/hotline/orders",
        order or ORDER,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
def intake(world):
    return token_for(world.alice, ["intake"])[1]


def test_a_work_order_becomes_a_matter_once(client, world, intake):
    first = take(client, intake)
    assert first.status_code == 201, first.content
    matter = Matter.objects.get(code=first.json()["matter_code"])
    assert matter.channel == Channel.HOTLINE_12345 and matter.get_channel_display() == "12345热线"
    assert matter.upper_reference == "GD20261123000123" and matter.upper_due_date == date(2026, 12, 3)
    assert matter.division == world.divisions.village and matter.category == world.category
    assert matter.petitioners.get().phone == "13800138000"
    assert matter.due_date <= date(2026, 12, 3)  # the hotline's deadline governs when it is earlier

    again = take(client, intake)
    assert again.status_code == 200 and again.json() == {**first.json(), "duplicate": True}
    assert Matter.objects.count() == 1 and HotlineOrder.objects.count() == 1
    changed = take(client, intake, {**ORDER, "content": "另一件事"})
    assert changed.status_code == 409 and "内容与这次不同" in changed.json()["detail"]


def test_a_work_order_is_checked(client, world, intake):
    assert take(client, intake, {**ORDER, "number": "有空格 的编号"}).status_code == 422
    missing = take(client, intake, {k: v for k, v in ORDER.items() if k != "content"})
    assert missing.status_code == 422 and "content" in missing.json()["errors"]
    bad_phone = take(client, intake, {**ORDER, "caller": {"name": "李明", "phone": "123"}})
    assert (
        bad_phone.status_code == 422 and "电话号码格式不正确" in bad_phone.json()["errors"]["caller.phone"][0]
    )
    nowhere = take(client, intake, {**ORDER, "place": {"division_code": "990199999999"}})
    assert nowhere.status_code == 422 and "place.division_code" in nowhere.json()["errors"]
    assert take(client, token_for(world.alice, ["read"])[1]).status_code == 403
    assert take(client, "xft_wrong_token").status_code == 401
    assert not Matter.objects.exists()


def test_an_unknown_category_is_other_and_the_address_places_it(client, world, intake):
    order = {**ORDER, "category": "城市管理/井盖", "place": {"address": "东城区西岭镇"}}
    matter = Matter.objects.get(code=take(client, intake, order).json()["matter_code"])
    assert str(matter.category) == "其他／其他" and "热线分类：城市管理/井盖" in matter.content
    assert matter.division == world.divisions.other_township


def answered(client, world, intake):
    matter = Matter.objects.get(code=take(client, intake).json()["matter_code"])
    driver = Driver(world, start=at(2026, 11, 23, 11))
    for action in ("assign", "accept", "submit_reply", "approve_reply"):
        matter = driver.do(matter, action)
    return driver.do(matter, "rate", rating="satisfied")


def test_results_go_back_signed_in_order_and_once(client, world, intake, settings):
    with Receiver(SECRET) as receiver:
        settings.XINFANG_HOTLINE_WEBHOOK_URL, settings.XINFANG_HOTLINE_SECRET = receiver.url, SECRET
        matter = answered(client, world, intake)
        assert hotline.collect() == 5  # register, assign, accept, approve_reply, rate (not the draft)
        assert hotline.collect() == 0
        assert hotline.deliver_due()["sent"] == 5
        got = receiver.received
    assert [m["action"] for m in got] == ["register", "assign", "accept", "approve_reply", "rate"]
    assert {m["number"] for m in got} == {"GD20261123000123"} and got[-1]["matter_code"] == matter.code
    assert (
        got[3]["kind"] == "reply" and got[3]["reply"]["outcome_label"] == "支持" and got[3]["reply"]["text"]
    )
    assert got[4]["kind"] == "callback" and got[4]["callback"] == {
        "rating": "satisfied",
        "rating_label": "满意",
    }
    assert got[1]["status_label"] == "待受理" and got[1]["unit"] == world.units.city_bureau.name
    assert "13800138000" not in str(got) and "李明" not in str(got)  # the hotline has the caller already
    assert HotlineMessage.objects.filter(state=HotlineMessage.State.SENT).count() == 5


def test_a_wrong_secret_is_refused_by_the_receiver(client, world, intake, settings):
    with Receiver(SECRET) as receiver:
        settings.XINFANG_HOTLINE_WEBHOOK_URL, settings.XINFANG_HOTLINE_SECRET = receiver.url, "别的密钥"
        take(client, intake)
        hotline.collect()
        assert hotline.deliver_due()["failed"] == 1
        assert receiver.refused == 1 and receiver.received == []
    assert "401" in HotlineMessage.objects.get().last_error


def test_failures_are_retried_with_back_off_and_later_messages_wait(client, world, intake, settings):
    with Receiver(SECRET) as receiver:
        settings.XINFANG_HOTLINE_WEBHOOK_URL, settings.XINFANG_HOTLINE_SECRET = receiver.url, SECRET
        answered(client, world, intake)
        hotline.collect()
        receiver.fail_next = 2
        start = clock.now()
        assert hotline.deliver_due(start) == {"sent": 0, "failed": 1, "dead": 0, "waiting": 4}
        first = HotlineMessage.objects.order_by("id").first()
        assert first.attempts == 1 and first.next_attempt_at == start + timedelta(seconds=60)
        assert hotline.deliver_due(start + timedelta(seconds=30))["sent"] == 0  # not due yet
        hotline.deliver_due(start + timedelta(seconds=61))
        first.refresh_from_db()
        assert first.attempts == 2 and first.next_attempt_at == start + timedelta(seconds=61 + 120)
        assert hotline.deliver_due(start + timedelta(seconds=200))["sent"] == 5
        assert [m["action"] for m in receiver.received][:2] == ["register", "assign"]


def test_dead_letters_are_listed_and_sent_again_by_a_person(client, world, intake, settings):
    settings.XINFANG_HOTLINE_MAX_ATTEMPTS = 2
    with Receiver(SECRET) as receiver:
        settings.XINFANG_HOTLINE_WEBHOOK_URL, settings.XINFANG_HOTLINE_SECRET = receiver.url, SECRET
        take(client, intake)
        hotline.collect()
        receiver.fail_next = 10
        now = clock.now()
        hotline.deliver_due(now)
        assert hotline.deliver_due(now + timedelta(minutes=2))["dead"] == 1
        dead = HotlineMessage.objects.get()
        assert dead.state == HotlineMessage.State.DEAD
        assert hotline.deliver_due(now + timedelta(days=1))["sent"] == 0  # it waits for a person

        sign_in(client, "bob")
        page = client.get("/integrations/12345/").content.decode()
        assert "GD20261123000123" in page and "重新发送" in page and "对方返回 HTTP 503" in page
        receiver.fail_next = 0
        response = client.post(f"/integrations/12345/{dead.pk}/replay/")
        assert response.status_code == 302
        dead.refresh_from_db()
        assert dead.state == HotlineMessage.State.PENDING and dead.replayed_by == world.bob
        assert AuditEntry.objects.filter(target=f"hotline:{dead.pk}").exists()
        assert hotline.deliver_due()["sent"] == 1
        assert len(receiver.received) == 1


def test_the_dead_letter_page_is_for_those_who_handle_the_matters(client, world, intake, settings):
    settings.XINFANG_HOTLINE_MAX_ATTEMPTS = 1
    settings.XINFANG_HOTLINE_WEBHOOK_URL, settings.XINFANG_HOTLINE_SECRET = "http://127.0.0.1:9/none", SECRET
    take(client, intake)
    hotline.collect()
    hotline.deliver_due()
    dead = HotlineMessage.objects.get(state=HotlineMessage.State.DEAD)
    sign_in(client, "ann")  # an analyst
    assert client.get("/integrations/12345/").status_code == 403
    client.logout()
    sign_in(client, "nick")  # 南山区信访局: not their matter
    assert "GD20261123000123" not in client.get("/integrations/12345/").content.decode()
    assert client.post(f"/integrations/12345/{dead.pk}/replay/").status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reference_sender_over_http(live_server, world):
    token = token_for(world.alice, ["intake"])[1]
    status, answer = send_order(live_server.url, token, ORDER)
    assert status == 201 and answer["duplicate"] is False
    status, again = send_order(live_server.url, token, ORDER)
    assert status == 200 and again["matter_code"] == answer["matter_code"]
    assert Matter.objects.get().status == Status.REGISTERED
