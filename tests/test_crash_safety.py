"""Kill -9 in the middle of work, then show that nothing is half-written and queued work resumes.

Real processes against the test database (SQLite file, or the PostgreSQL cluster of the second pass):
a script running transitions, the web server (gunicorn) taking transition requests, a division
import, a matter 台账 import, and the Huey worker sending notifications. Reports do not exist yet;
they get the same test when they do.
"""

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import TEST_KEYRING, Driver, inherited_path
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from xinfang.audit import api as audit
from xinfang.audit.models import AuditEntry
from xinfang.core.models import Notification
from xinfang.org.models import Division
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TESTS = Path(__file__).resolve().parent
MATTERS = 40


def database_url():
    d = connection.settings_dict
    if connection.vendor == "sqlite":
        return "sqlite:///" + str(d["NAME"])
    user, password = urllib.parse.quote(d["USER"]), urllib.parse.quote(d["PASSWORD"])
    return f"postgres://{user}:{password}@{d['HOST']}:{d['PORT']}/{d['NAME']}"


@pytest.fixture
def child_env(tmp_path):
    key_file = tmp_path / "keys.json"
    key_file.write_text(TEST_KEYRING.to_json())
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="xinfang.settings",
        XINFANG_DATABASE_URL=database_url(),
        XINFANG_DATA_DIR=str(tmp_path / "data"),
        XINFANG_KEY_FILE=str(key_file),
        XINFANG_HUEY_DB=str(tmp_path / "huey.sqlite3"),
        XINFANG_HUEY_IMMEDIATE="false",
        XINFANG_TOTP_REQUIRED="false",
        XINFANG_NOTIFICATION_BACKEND="xinfang.core.notifications.ConsoleBackend",
        XINFANG_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(TESTS), str(TESTS.parent), *inherited_path()]),
    )
    return env


def start(args, env, **kw):
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kw
    )


def kill(proc):
    """SIGKILL the process and everything it started: no handler, no cleanup, no commit."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already gone
    proc.wait(timeout=30)


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def dispatched_matters(world, n=MATTERS):
    d = Driver(world)
    return [
        d.do(d.register(title=f"物业费上涨第{i}件"), "assign", unit=world.units.d1_dept) for i in range(n)
    ]


def assert_whole(matters):
    """Every matter is exactly at one of its committed states: status, version, events and audit agree."""
    connection.close()  # read what is on disk, not a connection opened before the kill
    for m in Matter.objects.filter(pk__in=[m.pk for m in matters]):
        events = list(m.events.order_by("pk"))
        # A dispatched matter has two events at version 2; each transition adds one of each.
        assert m.version == len(events), (m.pk, m.version, len(events))
        assert events[-1].to_status == m.status, m.pk
        changes = AuditEntry.objects.filter(action=AuditEntry.Action.CHANGE, target=f"matter:{m.pk}").count()
        assert changes == len(events), (m.pk, changes, len(events))
        if m.status != Status.DISPATCHED:
            assert m.due_date is not None and m.step_started_on is not None
    result = audit.verify()
    assert result.ok, result


def counts_by_status(matters):
    rows = Matter.objects.filter(pk__in=[m.pk for m in matters]).values_list("status", flat=True)
    return {s: list(rows).count(s) for s in set(rows)}


class Progress:
    """Collects a child's output lines in a thread, so the test can wait for progress."""

    def __init__(self, proc):
        self.lines = []
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)


def test_killing_a_process_mid_transition_leaves_every_matter_whole(world, child_env):
    matters = dispatched_matters(world)
    assert_whole(matters)
    for kill_after in (7, 23, 51):  # three kills at different points of the run
        proc = start([sys.executable, str(TESTS / "crash_child.py"), "transitions"], child_env)
        progress = Progress(proc)
        wait_for(lambda: len(progress.lines) >= kill_after, what="transitions")  # noqa: B023
        kill(proc)
        assert proc.returncode == -signal.SIGKILL  # killed while working, not finished
        assert_whole(matters)

    # Started again, the same work picks up where the killed process stopped.
    done = subprocess.run(
        [sys.executable, str(TESTS / "crash_child.py"), "transitions"],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert counts_by_status(matters) == {Status.REPLIED: MATTERS}
    assert_whole(matters)


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(env, port):
    proc = start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "xinfang.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
        ],
        env,
    )

    def up():
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5)
        except OSError:  # refused, reset or timed out: not serving yet
            return False
        return True

    try:
        wait_for(up, what="gunicorn")
    except AssertionError:
        kill(proc)  # never leave a server behind
        raise
    return proc


def staff_session(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def post_accept(port, session_key, matter, results):
    csrf = secrets.token_hex(16)  # 32 characters, the form of an unmasked CSRF secret
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/matters/{matter.pk}/act/accept/",
        data=urllib.parse.urlencode({"version": matter.version, "note": "受理"}).encode(),
        headers={"Cookie": f"sessionid={session_key}; csrftoken={csrf}", "X-CSRFToken": csrf},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            results.append((matter.pk, response.status))
    except urllib.error.HTTPError as exc:
        results.append((matter.pk, exc.code))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        results.append((matter.pk, "connection lost"))


def accept_all(port, session_key, matters, results):
    threads = [
        threading.Thread(
            target=lambda chunk=matters[i::4]: [post_accept(port, session_key, m, results) for m in chunk]
        )
        for i in range(4)
    ]
    for t in threads:
        t.start()
    return threads


def test_killing_the_web_server_mid_request_leaves_every_matter_whole(world, child_env):
    matters = dispatched_matters(world)
    session_key = staff_session(world.hank)
    port = free_port()
    web = start_web(child_env, port)
    results = []
    threads = accept_all(port, session_key, matters, results)
    wait_for(lambda: sum(1 for _, status in results if status == 200) >= 8, what="accepted requests")
    kill(web)
    for t in threads:
        t.join(timeout=60)
    assert_whole(matters)
    accepted = counts_by_status(matters).get(Status.HANDLING, 0)
    assert 8 <= accepted < MATTERS  # the kill came in the middle of the run

    # A new server takes the rest; nothing from before the kill is applied twice.
    web = start_web(child_env, port)
    try:
        results.clear()
        left = list(Matter.objects.filter(pk__in=[m.pk for m in matters], status=Status.DISPATCHED))
        for t in accept_all(port, session_key, left, results):
            t.join(timeout=120)
    finally:
        kill(web)
    assert {status for _, status in results} == {200}
    assert counts_by_status(matters) == {Status.HANDLING: MATTERS}
    assert_whole(matters)


def test_killing_an_import_mid_way_writes_nothing_and_a_rerun_imports_all(world, child_env, tmp_path):
    """Division import is all-or-nothing; the matter import of the Excel 台账 gets the same test."""
    rows = ["代码,名称,上级代码", "980000000000,测试省,"]
    for county in range(1, 21):
        rows.append(f"98{county:02d}00000000,测试市{county},980000000000")
        for town in range(1, 100):
            code = f"98{county:02d}{town:02d}000000"
            rows.append(f"{code},测试县{county}-{town},98{county:02d}00000000")
            for village in range(1, 30):
                rows.append(
                    f"98{county:02d}{town:02d}{village:03d}000,测试镇{county}-{town}-{village},{code}"
                )
    big = tmp_path / "divisions.csv"
    big.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = Division.objects.count()
    command = [sys.executable, "-m", "xinfang", "import_divisions", str(big)]
    killed = 0
    full = before + len(rows) - 1
    for seconds in (0.5, 1.5, 3.0, 5.0):
        proc = start(command, child_env)
        time.sleep(seconds)
        kill(proc)
        connection.close()
        count = Division.objects.count()
        # All or nothing: a kill after the commit (even while the process exits) leaves everything.
        assert count in {before, full}, f"killed after {seconds}s with {count - before} rows written"
        if count == full:
            break
        killed += 1
    assert killed >= 2
    done = subprocess.run(command, env=child_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert Division.objects.count() == before + len(rows) - 1


def test_killing_a_matter_import_leaves_whole_chunks_and_the_job_resumes(
    world, child_env, tmp_path, settings
):
    """The 台账 import writes chunk by chunk; after a kill the job's counters match the database,
    every matter written is complete, and resuming (or importing the file again) finishes it once."""
    from test_ledger_import import row, write_xlsx

    from xinfang.ledger import jobs
    from xinfang.ledger.models import ImportJob

    total = 5 * jobs.CHUNK
    units = ["", "青溪市住房和城乡建设局", "东城区信访局"]
    path = write_xlsx(tmp_path / "台账.xlsx", [row(i, 承办单位=units[i % 3]) for i in range(1, total + 1)])
    command = [sys.executable, "-m", "xinfang", "import", "matters", str(path), "--user", "bob"]
    proc = start(command, child_env)

    def written():
        connection.close()
        return ImportJob.objects.filter(written__gt=0).exists()

    wait_for(written, timeout=120, what="the first chunk")
    kill(proc)
    connection.close()
    job = ImportJob.objects.get()
    matters = Matter.objects.filter(registering_unit=world.units.city_bureau)
    assert job.state == ImportJob.State.WRITING and 0 < job.written < total
    assert matters.count() == job.written and job.written % jobs.CHUNK == 0
    for m in matters.prefetch_related("events", "petitioners", "unit_links"):
        actions = [e.action for e in m.events.all()]
        assert actions[0] == "register" and len(actions) == (1 if m.status == Status.REGISTERED else 2), m.pk
        assert len(m.petitioners.all()) == 1 and m.unit_links.count() == (
            1 if m.status == Status.REGISTERED else 2
        )
    audited = AuditEntry.objects.filter(target=f"import:{job.pk}")
    assert sorted(pk for e in audited for pk in e.detail["matters"]) == sorted(
        matters.values_list("pk", flat=True)
    )
    assert audit.verify().ok

    # The worker resumes a job whose claim has lapsed; the rows written are skipped by their key.
    settings.DATA_DIR = tmp_path / "data"  # where the killed command kept the upload
    settings.XINFANG_SHARED_DIR = None
    settings.XINFANG_IMPORT_LEASE_SECONDS = 0
    resumed = jobs.run(job.pk)
    assert resumed.state == ImportJob.State.DONE
    assert (resumed.skipped, resumed.written) == (job.written, total - job.written)
    assert matters.count() == total
    assert matters.values("ledger_number").distinct().count() == total
    again = subprocess.run(command, env=child_env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"新登记0件；此前已导入、本次跳过{total}行" in again.stdout
    assert matters.count() == total


def test_killing_the_worker_mid_delivery_loses_no_notification(world, child_env, tmp_path):
    notes = Notification.objects.bulk_create(
        Notification(
            audience="staff", recipient_user=world.hank, kind="test", subject=f"第{i}条", body="正文"
        )
        for i in range(30)
    )
    sent_log = tmp_path / "sent.log"
    sent_log.touch()
    child_env.update(
        XINFANG_NOTIFICATION_BACKEND="crash_child.SlowFileBackend",
        CRASH_SENT_LOG=str(sent_log),
        XINFANG_NOTIFICATION_LEASE_SECONDS="2",
    )
    worker_cmd = [sys.executable, "-m", "xinfang", "run_huey", "--workers", "2"]

    def sent_lines():
        return [int(x) for x in sent_log.read_text().split()]

    worker = start(worker_cmd, child_env)
    wait_for(lambda: len(sent_lines()) >= 6, what="first sends")
    kill(worker)
    connection.close()
    sent_ids = set(sent_lines())
    recorded = set(Notification.objects.filter(state="sent").values_list("pk", flat=True))
    assert recorded <= sent_ids  # nothing is marked sent that was not sent
    assert len(sent_ids - recorded) <= 2  # at most one in flight per worker thread
    assert len(recorded) < len(notes)  # the kill came in the middle

    # A restarted worker resumes the outbox at start-up, without waiting for the periodic retry;
    # the rows the dead worker had claimed are free again once their lease (2 s here) has run out.
    time.sleep(2.5)
    worker = start(worker_cmd, child_env)
    try:
        wait_for(
            lambda: Notification.objects.filter(state="sent").count() == len(notes),
            timeout=90,
            what="all sent",
        )
    finally:
        kill(worker)
    lines = sent_lines()
    assert set(lines) == {n.pk for n in notes}
    # At least once: only a row that was in flight at the kill can have gone out twice.
    twice = {pk for pk in set(lines) if lines.count(pk) > 1}
    assert twice <= sent_ids - recorded
