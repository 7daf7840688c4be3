"""A reference 12345 peer: what the hotline's side of docs/hotline-12345.md does, small enough to
read. It sends a 工单 in, and receives the 办理结果 back — checking each signature, taking each
message once (by its id) and answering 2xx only for what it took. The tests run it; an integrator
can run it by hand against a test system:

    python -m xinfang.api.hotline_peer receive --port 8311 --secret 共享密钥
    python -m xinfang.api.hotline_peer send --url http://127.0.0.1:8000 --token xft_… order.json

Plain Python (standard library and xinfang.api.hotline's signature functions).
"""

import argparse
import json
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .hotline import EVENT, SIGNATURE, TIMESTAMP, verify


def send_order(base_url: str, token: str, order: dict) -> tuple[int, dict]:
    """POST a 工单 to /api/v1/hotline/orders; (status, answer)."""
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api/v1/hotline/orders",
        data=json.dumps(order, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — the caller's URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Receiver:
    """An HTTP server on 127.0.0.1 that takes the 办理结果. `fail_next` answers the next N posts
    with 503 (to see the sender retry); `received` holds each message taken, once."""

    def __init__(self, secret: str, port: int = 0):
        self.secret = secret
        self.received = []  # messages taken, in the order they arrived
        self.seen = set()  # message ids taken
        self.refused = 0  # posts with a wrong or missing signature
        self.fail_next = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.thread = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/results"

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.take(self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return  # quiet: the tests read `received`

        return Handler

    def take(self, headers, body: bytes) -> int:
        if not verify(self.secret, headers.get(TIMESTAMP), body, headers.get(SIGNATURE)):
            with self.lock:
                self.refused += 1
            return 401
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503
            message = json.loads(body)
            if headers.get(EVENT) not in self.seen:  # a repeat is answered 200 and not taken twice
                self.seen.add(headers.get(EVENT))
                self.received.append(message)
        return 200


def main(argv=None):
    parser = argparse.ArgumentParser(description="12345热线参考实现：发送工单、接收办理结果")
    sub = parser.add_subparsers(dest="command", required=True)
    receive = sub.add_parser("receive", help="接收办理结果并打印")
    receive.add_argument("--port", type=int, default=8311)
    receive.add_argument("--secret", required=True)
    send = sub.add_parser("send", help="发送一张工单（JSON 文件）")
    send.add_argument("--url", required=True)
    send.add_argument("--token", required=True)
    send.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "send":
        with open(args.file, encoding="utf-8") as f:
            status, answer = send_order(args.url, args.token, json.load(f))
        print(status, json.dumps(answer, ensure_ascii=False))
        return 0 if status < 400 else 1
    with Receiver(args.secret, args.port) as receiver:
        print(f"接收地址：{receiver.url}", flush=True)
        shown = 0
        try:
            while True:
                threading.Event().wait(1)
                for message in receiver.received[shown:]:
                    print(json.dumps(message, ensure_ascii=False), flush=True)
                shown = len(receiver.received)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
