"""Notification backends: e-mail to staff, SMS to petitioners through an HTTP gateway (a real local
HTTP server stands in for the carrier's), and the routing backend that combines them."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from xinfang.core.models import Notification
from xinfang.core.notifications import HttpSmsGateway, NotDeliverable, SmsBackend, deliver
from xinfang.petitions.choices import Status
from xinfang.petitions.promises import cn_date


class FakeGateway(ThreadingHTTPServer):
    """Accepts POSTs like an SMS gateway and remembers them; answers `status`."""

    def __init__(self):
        self.received, self.status = [], 200

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805 — the server is `self` here
                length = int(handler.headers["Content-Length"])
                self.received.append(
                    {"auth": handler.headers["Authorization"], **json.loads(handler.rfile.read(length))}
                )
                handler.send_response(self.status)
                handler.end_headers()
                handler.wfile.write(b'{"id": "1"}')

            def log_message(handler, *args):  # noqa: N805
                return

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/send"


@pytest.fixture
def gateway(settings):
    server = FakeGateway()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.XINFANG_SMS_GATEWAY_URL = server.url
    settings.XINFANG_SMS_GATEWAY_KEY = "gateway-key"
    settings.XINFANG_NOTIFICATION_BACKEND = "xinfang.core.notifications.RoutingBackend"
    yield server
    server.shutdown()
    server.server_close()


def test_routing_backend_mails_staff_and_texts_petitioners(
    driver, gateway, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level("INFO", logger="xinfang.notifications")
    w = driver.w
    w.hank.email = "hank@example.gov.cn"
    w.hank.save()
    people = [
        {"name": "张三", "id_number": "", "phone": "13800138000", "address": ""},
        {"name": "李四", "id_number": "", "phone": "", "address": "青溪市东城区湖滨路1号"},
    ]
    with django_capture_on_commit_callbacks(execute=True):  # delivery is queued after commit
        matter = driver.to(Status.DISPATCHED, petitioners=people)  # notifies 东城区住建局's staff
    assert [m.to for m in mail.outbox] == [["hank@example.gov.cn"]]
    assert "【信访通】待办" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        matter = driver.do(matter, "accept")  # tells the petitioners
    texts = [r for r in gateway.received if "」受理，" in r["text"]]
    assert [(r["phone"], r["sign"], r["auth"]) for r in texts] == [
        ("13800138000", "信访通", "Bearer gateway-key")
    ]
    assert f"应于{cn_date(matter.due_date)}前办结" in texts[0]["text"]
    # 李四 has no mobile number: logged for a written notice, not lost.
    assert "转书面送达" in caplog.text
    assert not Notification.objects.exclude(state=Notification.State.SENT).exists()
    # hope has no e-mail address: also handed to the written-notice log, not retried forever.
    assert Notification.objects.filter(recipient_user=w.hope, state=Notification.State.SENT).exists()


def test_gateway_failure_leaves_the_notice_pending_for_retry(
    driver, gateway, django_capture_on_commit_callbacks
):
    gateway.status = 503
    matter = driver.to(Status.DISPATCHED)
    with django_capture_on_commit_callbacks(execute=True):
        driver.do(matter, "accept")
    sms = Notification.objects.get(audience="petitioner", kind="accept")
    assert sms.state == Notification.State.PENDING and sms.attempts == 1
    assert "短信网关返回 503" in sms.error and sms.claimed_at is None
    gateway.status = 200
    deliver([sms.pk])
    sms.refresh_from_db()
    assert sms.state == Notification.State.SENT and sms.attempts == 2


def test_sms_backend_needs_a_mobile_number_and_a_configured_gateway(settings):
    note = Notification(
        audience="petitioner", recipient_contact="青溪市东城区湖滨路1号", subject="s", body="b"
    )
    settings.XINFANG_SMS_GATEWAY_URL = ""
    with pytest.raises(NotDeliverable, match="没有手机号码"):
        SmsBackend(HttpSmsGateway()).send(note)
    note.recipient_contact = "138-0013-8000"
    with pytest.raises(NotDeliverable, match="没有配置短信网关"):
        SmsBackend(HttpSmsGateway()).send(note)
