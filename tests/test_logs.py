"""No log line holds a query string: gunicorn's access and error logs of `xinfang run`, and Django's."""

import io
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from conftest import inherited_path

from xinfang.core.logs import redact
from xinfang.core.management.commands.run import web_command

NAME, ID_NUMBER, PHONE = "蔺晓霁", "110101198506123458", "15627384910"


def forms_of(value: str) -> list[str]:
    """A value as it can appear in a log: itself, percent-encoded, and its UTF-8 bytes read as
    Latin-1 (how gunicorn quotes a raw request line)."""
    return [value, urllib.parse.quote(value), value.encode().decode("latin-1")]


def test_redact_keeps_paths_and_drops_queries():
    line = f'127.0.0.1 "GET /matters/?q={NAME}&tab=all HTTP/1.1" 200 "http://x.cn/portal/?id={ID_NUMBER}"'
    assert redact(line) == '127.0.0.1 "GET /matters/ HTTP/1.1" 200 "http://x.cn/portal/"'
    assert redact("Not Found: /portal/m/ABC/") == "Not Found: /portal/m/ABC/"
    assert redact("为什么？/a/b 没有问号") == "为什么？/a/b 没有问号"


def test_django_log_records_lose_query_strings_whichever_logger_writes_them():
    """The development server's request lines (django.server) and exception texts included."""
    handler = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("django.server").warning(
            '"%s" %s %s', f"GET /matters/earlier/?p-0-id_number={ID_NUMBER} HTTP/1.1", 405, 0
        )
        try:
            raise ValueError(f"bad request /portal/track/?phone={PHONE}")
        except ValueError:
            logging.getLogger("xinfang.petitions").exception("处理失败：/matters/?q=%s", NAME)
    finally:
        handler.setStream(previous)
    written = stream.getvalue()
    assert "GET /matters/earlier/ HTTP/1.1" in written and "bad request /portal/track/" in written
    assert "处理失败：/matters/" in written
    for value in (NAME, ID_NUMBER, PHONE):
        assert value not in written


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start listening")


def test_gunicorn_of_xinfang_run_logs_paths_without_query_strings(tmp_path):
    port = _free_port()
    env = dict(
        os.environ,
        XINFANG_DATA_DIR=str(tmp_path / "data"),
        XINFANG_ENV_FILE="/dev/null",
        DJANGO_SETTINGS_MODULE="xinfang.settings",
        PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), *inherited_path()]),
        PYTHONUNBUFFERED="1",
    )
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        web = subprocess.Popen(web_command(f"127.0.0.1:{port}", 1, 2), env=env, stdout=stdout, stderr=stderr)
        try:
            _wait_listening(port, web)
            base = f"http://127.0.0.1:{port}"
            query = urllib.parse.urlencode({"name": NAME, "id_number": ID_NUMBER, "phone": PHONE})
            referer = f"{base}/matters/?" + urllib.parse.urlencode({"q": NAME})
            request = urllib.request.Request(f"{base}/portal/?{query}", headers={"Referer": referer})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
            # A request line gunicorn refuses (a name typed in without percent-encoding): its error
            # log quotes the line.
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                raw.sendall(f"GET /portal/track/?phone={PHONE}&name={NAME} HTTP/1.1\r\n\r\n".encode())
                raw.recv(4096)
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=60)
    logged = out.read_text(encoding="utf-8", errors="replace") + err.read_text(
        encoding="utf-8", errors="replace"
    )
    assert '"GET /portal/ HTTP/1.1" 200' in logged, logged
    assert f'"{base}/matters/"' in logged  # the referring page, without its query
    assert "Invalid HTTP request line: 'GET /portal/track/ HTTP/1.1'" in logged
    for value in (NAME, ID_NUMBER, PHONE):
        for form in forms_of(value):
            assert form not in logged, (form, logged)
