"""Several servers sharing their state: Huey and the cache on Redis, rate limits counted in Redis by
two processes, files in an S3-compatible store (encrypted), the column store and the similar-matter
index published by the worker and loaded by the others, the replica router with read-your-writes,
periodic jobs once per period, health, readiness and metrics. Redis, the S3 server and PostgreSQL
are started by the tests themselves (tests/services.py) and skipped when not installed; the embedded
default (none of them) is what every other test runs on. The tests that start them are marked
`cluster`: scripts/test.sh runs those once, in its first SQLite run (they pass on the other days'
moved clock too, and do not depend on the database the suite runs on)."""

import io
import json
import time
from datetime import datetime

import pytest
from conftest import PETITIONER, Driver, inherited_path, matter_fields
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import HttpResponse
from django.test import RequestFactory
from huey import crontab
from huey.api import PeriodicTask
from huey.exceptions import CancelExecution
from services import django_script, postgres_pair, redis_server, s3_options, s3_server

from xinfang.analytics import snapshot
from xinfang.assist import similar_matters
from xinfang.core import crypto, dbrouter, encrypted_files, periodic, ratelimit
from xinfang.core.models import PeriodicRun, RateCounter
from xinfang.core.published import Published
from xinfang.petitions.models import Matter
from xinfang.petitions.services import register_matter


@pytest.fixture(scope="module")
def redis_url():
    yield from redis_server()


@pytest.fixture(scope="module")
def s3_endpoint():
    yield from s3_server()


@pytest.fixture(scope="module")
def pg_pair():
    yield from postgres_pair()


@pytest.fixture
def on_s3(settings, s3_endpoint, tmp_path):
    """Every storage in the S3 server, under a prefix of its own for this test; each "server"
    keeps what it downloads in its own XINFANG_CACHE_DIR."""
    prefix = f"t{time.time_ns()}"
    settings.STORAGES = {
        "default": {
            "BACKEND": "xinfang.core.storage.EncryptedS3Storage",
            "OPTIONS": s3_options(s3_endpoint, f"{prefix}/media"),
        },
        "imports": {
            "BACKEND": "xinfang.core.storage.EncryptedS3Storage",
            "OPTIONS": s3_options(s3_endpoint, f"{prefix}/imports"),
        },
        "exports": {
            "BACKEND": "xinfang.core.storage.EncryptedS3Storage",
            "OPTIONS": s3_options(s3_endpoint, f"{prefix}/exports"),
        },
        "analytics": {
            "BACKEND": "xinfang.core.storage.S3Storage",
            "OPTIONS": s3_options(s3_endpoint, f"{prefix}/a"),
        },
        "similar": {
            "BACKEND": "xinfang.core.storage.S3Storage",
            "OPTIONS": s3_options(s3_endpoint, f"{prefix}/s"),
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.XINFANG_CACHE_DIR = tmp_path / "server-a"
    settings.XINFANG_PUBLISHED_CHECK_SECONDS = 0
    snapshot._loaded.clear()
    similar_matters.INDEX.reset()
    yield settings
    snapshot._loaded.clear()
    similar_matters.INDEX.reset()


# ---------------------------------------------------------------- Redis: queue, cache, rate limits


@pytest.mark.cluster
def test_huey_and_the_cache_are_shared_through_redis(redis_url):
    env = {"XINFANG_REDIS_URL": redis_url, "XINFANG_DATA_DIR": "/tmp"}
    queued = django_script(
        "from huey.contrib.djhuey import HUEY\n"
        "from django.core.cache import cache\n"
        "from xinfang.core.tasks import deliver_notifications\n"
        "deliver_notifications([])\n"
        "cache.set('shared-key', 'from process one', 60)\n"
        "print(type(HUEY).__name__, HUEY.pending_count())\n",
        env,
    )
    assert queued.split() == ["RedisHuey", "1"]
    taken = django_script(
        "from huey.contrib.djhuey import HUEY\n"
        "from django.core.cache import cache\n"
        "import xinfang.core.tasks\n"
        "task = HUEY.dequeue()\n"
        "HUEY.execute(task)\n"
        "print(task.name, HUEY.pending_count(), cache.get('shared-key'))\n",
        env,
    )
    assert taken.strip() == "deliver_notifications 0 from process one"


def test_without_redis_the_queue_is_sqlite_and_the_cache_a_folder():
    out = django_script(
        "from django.conf import settings\n"
        "from huey.contrib.djhuey import HUEY\n"
        "from xinfang.core import ratelimit\n"
        "print(type(HUEY).__name__, settings.CACHES['default']['BACKEND'].rsplit('.', 1)[1],"
        " type(ratelimit.counters()).__name__)\n",
        {"XINFANG_DATA_DIR": "/tmp"},
    )
    assert out.split() == ["SqliteHuey", "FileBasedCache", "DatabaseCounters"]


HITS = (
    "import json\n"
    "from xinfang.core import ratelimit\n"
    "print(json.dumps([ratelimit.hit('portal:1.2.3.4', '10/d').count for _ in range(8)]))\n"
)


@pytest.mark.cluster
@pytest.mark.django_db
def test_two_processes_count_into_one_redis_window(redis_url):
    import redis

    env = {"XINFANG_REDIS_URL": redis_url, "XINFANG_DATA_DIR": "/tmp"}
    first = json.loads(django_script(HITS, env))
    second = json.loads(django_script(HITS, env))
    # One counter for both: every count from 1 to 16 handed out once, so 10 allowed in all.
    assert sorted(first + second) == list(range(1, 17))
    assert sum(1 for c in first + second if c <= 10) == 10
    client = redis.Redis.from_url(redis_url)
    (key,) = client.keys("xinfang:rate:*portal:1.2.3.4")
    window_end = int(key.decode().split(":")[3])
    assert abs(client.ttl(key) - (window_end - time.time())) <= 2  # gone when the window ends
    assert not RateCounter.objects.exists()  # nothing in the database


@pytest.mark.cluster
def test_a_taken_back_redis_count_never_goes_below_zero(redis_url, settings):
    settings.REDIS_URL = redis_url
    attempt = ratelimit.Attempt([("track:code", "3/m")])
    assert attempt.allowed
    attempt.succeeded()
    attempt.succeeded()  # once too often: stays at zero
    again = ratelimit.Attempt([("track:code", "3/m")])
    assert again.hits[0].count == 1


# ---------------------------------------------------------------- files


@pytest.mark.cluster
def test_files_in_the_object_store_are_encrypted_and_read_back(on_s3):
    store = storages["imports"]
    name = store.save("ledger.csv", ContentFile(PETITIONER["id_number"].encode()))
    raw = store.raw(name)
    assert crypto.is_encrypted_bytes(raw) and PETITIONER["id_number"].encode() not in raw
    with store.open(name) as read:
        assert read.read() == PETITIONER["id_number"].encode()
    store.replace(name, b"second version")
    assert encrypted_files.plain(store.raw(name)) == b"second version"
    assert encrypted_files.key_counts(store) == {"test1": 1}


@pytest.mark.cluster
def test_attachments_and_exports_go_to_the_object_store(
    on_s3, world, client, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import load_workbook

    from xinfang.petitions.models import ExportJob

    letter = b"%PDF-1.4 a letter"
    matter = register_matter(
        world.alice,
        fields=matter_fields(world),
        petitioners=[dict(PETITIONER)],
        files=[SimpleUploadedFile("letter.pdf", letter, content_type="application/pdf")],
    )
    attachment = matter.attachments.get()
    assert storages["default"].exists(attachment.file.name)
    assert crypto.is_encrypted_bytes(storages["default"].raw(attachment.file.name))
    client.force_login(world.alice)
    assert b"".join(client.get(f"/matters/attachments/{attachment.pk}/").streaming_content) == letter
    on_s3.XINFANG_EXPORT_INLINE_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/matters/export/", {"tab": "all"})
    job = ExportJob.objects.get()
    assert storages["exports"].listdir("")[1] == [job.file_name]
    content = b"".join(client.get(f"/matters/exports/{job.pk}/download/").streaming_content)
    assert list(load_workbook(io.BytesIO(content)).active.values)[1][4] == PETITIONER["name"]


@pytest.mark.cluster
def test_every_kind_of_ledger_keeps_its_upload_and_errors_in_the_object_store(on_s3, world, tmp_path):
    """An .xls 台账 whose header the worker reads, and the enterprise register with a refused row:
    the uploads and the error workbook live in the "imports" storage, encrypted, none on disk."""
    from openpyxl import load_workbook
    from test_hazard_import import ENTERPRISE_HEADER, enterprise_row, xlsx
    from test_ledger_formats import ROWS, xls_bytes

    from xinfang.hazards.imports import ENTERPRISES
    from xinfang.ledger import jobs

    on_s3.DATA_DIR = tmp_path / "data"
    store = storages["imports"]
    job = jobs.new_job(world.alice, xls_bytes(ROWS), "台账.xls")
    assert jobs.reading(job) and store.listdir("")[1] == [job.stored_name]
    assert crypto.is_encrypted_bytes(store.raw(job.stored_name))
    job = jobs.read_header(job.pk)  # the worker reads the header from the object store
    assert job.header and not jobs.reading(job) and job.state == job.State.MAPPING
    job.mode, job.state = job.Mode.VALID, job.State.QUEUED
    job.save()
    done = jobs.run(job.pk)
    assert (done.written, done.error_count) == (2, 1)
    assert store.listdir("")[1] == [done.error_file]  # the upload is forgotten, the errors kept

    rows = [enterprise_row(), enterprise_row("错码公司", 统一社会信用代码="91350100M000100Y44")]
    hazard_job = jobs.new_job(world.hank, xlsx(ENTERPRISE_HEADER, rows), "企业.xlsx", ENTERPRISES)
    type(hazard_job).objects.filter(pk=hazard_job.pk).update(mode="valid", state="queued")
    hazard_job = jobs.run(hazard_job.pk, kind=ENTERPRISES)
    assert (hazard_job.written, hazard_job.error_count) == (1, 1)
    assert crypto.is_encrypted_bytes(store.raw(hazard_job.error_file))
    refused = list(load_workbook(io.BytesIO(jobs.content_of(hazard_job.error_file))).active.values)
    assert refused[1][0] == "错码公司"
    assert not (tmp_path / "data" / "imports").exists()


def test_a_local_storage_replaces_a_file_whole_and_lists_a_missing_folder_as_empty(settings, tmp_path):
    settings.DATA_DIR, settings.XINFANG_SHARED_DIR = tmp_path, None  # unset: the data directory
    store = storages["exports"]
    assert store.listdir("") == ([], [])
    store.replace("pointer.json", b"one")
    store.replace("pointer.json", b"two")
    assert store.listdir("")[1] == ["pointer.json"]  # no leftover temporary file
    assert encrypted_files.plain((tmp_path / "exports" / "pointer.json").read_bytes()) == b"two"


# ---------------------------------------------------------------- published data


@pytest.mark.cluster
def test_a_published_version_is_downloaded_once_per_server_and_old_ones_pruned(on_s3, tmp_path):
    store = Published("analytics")
    versions = []
    for n in range(3):
        with store.staging() as folder:
            (folder / "data.txt").write_text(f"version {n}")
            versions.append(store.publish(folder, {"n": n}))
    pointer = store.pointer()
    assert pointer["generation"] == versions[-1] and pointer["n"] == 2
    assert (store.folder(pointer) / "data.txt").read_text() == "version 2"
    on_s3.XINFANG_CACHE_DIR = tmp_path / "server-b"  # another app server
    assert (store.folder(store.pointer()) / "data.txt").read_text() == "version 2"
    kept = sorted(d for d in store.storage.listdir("")[0] if d.startswith("gen-"))
    assert kept == versions[1:]  # the current version and the one before it


@pytest.mark.cluster
def test_the_worker_publishes_the_column_store_and_another_server_loads_it(on_s3, world, tmp_path):
    driver = Driver(world)
    first = driver.register()
    built = snapshot.refresh()
    assert built["kind"] == "full" and built["matters"] == 1
    on_s3.XINFANG_CACHE_DIR = tmp_path / "server-b"
    snapshot._loaded.clear()
    frame = snapshot.current()
    assert list(frame.columns["id"]) == [first.pk]
    assert (tmp_path / "server-b" / "analytics" / built["generation"] / "id.npy").exists()


def test_the_column_store_is_brought_up_to_date_with_the_changed_matters_only(world, settings, monkeypatch):
    driver = Driver(world)
    old, changed = driver.register(), driver.register()
    assert snapshot.refresh()["kind"] == "full"
    driver.do(changed, "assign", unit=world.units.d1_dept)
    new = driver.register()
    result = snapshot.refresh()
    assert result["kind"] == "incremental" and result["matters"] == 3
    frame = snapshot.current()
    ids = list(frame.columns["id"])
    assert sorted(ids) == sorted([old.pk, changed.pk, new.pk])
    status = frame.statuses[int(frame.columns["status"][ids.index(changed.pk)])][0]
    assert status == Matter.objects.get(pk=changed.pk).status == "dispatched"
    # A new unit moves positions in the units tree: the next build is whole again.
    from xinfang.org.models import Unit

    Unit.objects.create(name="新设单位", kind=world.units.d1_dept.kind, parent=world.units.d1_gov)
    assert snapshot.refresh()["kind"] == "full"
    assert snapshot.refresh()["kind"] == "incremental"
    # A column read differently (a new version of the code): whole again, or the rows not changed
    # since would keep the old reading.
    read = snapshot.columns

    def changed_reading():
        return [snapshot.Column(c.name, "0", c.dtype, c.tree) if c.name == "repeat" else c for c in read()]

    with monkeypatch.context() as patch:
        patch.setattr(snapshot, "columns", changed_reading)
        assert snapshot.refresh()["kind"] == "full"
    assert snapshot.refresh()["kind"] == "full"  # back to the current reading
    settings.XINFANG_SNAPSHOT_FULL_MINUTES = 0
    assert snapshot.refresh()["kind"] == "full"  # and after XINFANG_SNAPSHOT_FULL_MINUTES


def test_an_app_server_never_builds_the_column_store_itself(settings, world, monkeypatch):
    settings.XINFANG_WEB_BUILDS = False
    asked = []
    monkeypatch.setattr("xinfang.analytics.tasks.build_snapshot", lambda: asked.append(True))
    with pytest.raises(snapshot.NotReady):
        snapshot.ensure()
    assert asked == [True] and snapshot.current() is None  # the worker was asked; nothing built here


@pytest.mark.cluster
def test_the_similar_index_is_published_and_loaded_by_another_server(on_s3, world, tmp_path):
    driver = Driver(world)
    first = driver.register()
    on_s3.XINFANG_WEB_BUILDS = False
    with pytest.raises(similar_matters.IndexNotReady):
        similar_matters.INDEX.catch_up()  # an app server does not index the database itself
    similar_matters.save_snapshot()  # the worker
    published = similar_matters.STORE.pointer()
    assert published["max_id"] == first.pk
    on_s3.XINFANG_CACHE_DIR = tmp_path / "server-b"
    other = similar_matters.MatterIndex()
    second = driver.register()
    index = other.catch_up()
    assert first.pk in index and second.pk in index  # loaded, then caught up from the database
    assert other.version == published["generation"]


# ---------------------------------------------------------------- the replica router


def _request(method="GET", path="/analytics/", cookies=None, **params):
    factory = RequestFactory()
    request = getattr(factory, method.lower())(path, params)
    request.COOKIES.update(cookies or {})
    return request


def test_the_router_sends_reads_to_the_replica_only_where_asked(settings):
    """(Reads inside a transaction of the primary: on a real replica, in the test below.)"""
    router = dbrouter.ReplicaRouter()
    assert dbrouter.read_alias() == "default"
    with dbrouter.replica_reads():
        assert dbrouter.read_alias() == "default"  # no replica configured: the embedded default
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}
    assert router.db_for_read(Matter) == "default"
    with dbrouter.replica_reads():
        assert router.db_for_read(Matter) == "replica"
        from django.contrib.sessions.models import Session

        assert router.db_for_read(Session) == "default"
    assert router.db_for_write(Matter) == "default"
    assert router.allow_migrate("default", "petitions") and not router.allow_migrate("replica", "petitions")


def test_dashboards_exports_and_searches_want_the_replica_unless_the_user_just_wrote(settings):
    assert dbrouter.wants_replica(_request(path="/analytics/"))
    assert dbrouter.wants_replica(_request(path="/matters/export/"))
    assert dbrouter.wants_replica(_request(path="/matters/", q="电梯"))
    assert not dbrouter.wants_replica(_request(path="/matters/"))
    assert not dbrouter.wants_replica(_request(method="POST", path="/analytics/"))
    later = str(int(time.time()) + 10)
    assert not dbrouter.wants_replica(_request(path="/analytics/", cookies={dbrouter.COOKIE: later}))
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}
    seen = []

    def view(request):
        seen.append(dbrouter.read_alias())
        return HttpResponse(status=302 if request.method == "POST" else 200)

    middleware = dbrouter.ReadYourWritesMiddleware(view)
    middleware(_request(path="/analytics/"))
    written = middleware(_request(method="POST", path="/matters/1/act/accept/"))
    assert seen == ["replica", "default"]
    until = float(written.cookies[dbrouter.COOKIE].value)
    assert time.time() < until <= time.time() + settings.XINFANG_READ_YOUR_WRITES_SECONDS
    middleware(
        _request(path="/analytics/", cookies={dbrouter.COOKIE: written.cookies[dbrouter.COOKIE].value})
    )
    assert seen[-1] == "default"  # the page after the write reads the primary


ROUTED = """
import json, time
from django.db import connections, transaction
from xinfang.core import dbrouter
from xinfang.core.models import RateCounter
with connections["default"].schema_editor() as editor:
    editor.create_model(RateCounter)
RateCounter.objects.create(key="before", window_start=0, window_end=1)
deadline = time.monotonic() + 30
while True:
    try:
        with dbrouter.replica_reads():
            if RateCounter.objects.filter(key="before").exists():
                break
    except Exception:
        connections["replica"].close()
    assert time.monotonic() < deadline, "the replica never caught up"
    time.sleep(0.2)
with connections["replica"].cursor() as cur:
    cur.execute("SELECT pg_wal_replay_pause()")
RateCounter.objects.create(key="after", window_start=0, window_end=1)
keys = lambda: sorted(RateCounter.objects.values_list("key", flat=True))
with dbrouter.replica_reads():
    replica = keys()
    with transaction.atomic():
        in_transaction = keys()
print(json.dumps({"replica": replica, "primary": keys(), "in_transaction": in_transaction}))
"""


@pytest.mark.cluster
def test_reads_go_to_a_real_streaming_replica_and_writes_to_the_primary(pg_pair):
    primary, replica = pg_pair
    out = django_script(
        ROUTED, {"XINFANG_DATABASE_URL": primary, "XINFANG_REPLICA_URL": replica, "XINFANG_DATA_DIR": "/tmp"}
    )
    found = json.loads(out.strip().splitlines()[-1])
    # Replay paused: the replica has not seen the second row; the primary and transactions have.
    assert found == {
        "replica": ["before"],
        "primary": ["after", "before"],
        "in_transaction": ["after", "before"],
    }


# ---------------------------------------------------------------- periodic jobs, health, metrics


def _periodic(schedule):
    """A queued copy of a periodic job named sweep_deadlines that runs on ``schedule``."""
    return type("sweep_deadlines", (PeriodicTask,), {"validate_datetime": lambda self, dt: schedule(dt)})()


@pytest.mark.django_db
def test_a_periodic_job_runs_once_per_period_whichever_worker_takes_it(monkeypatch):
    every_quarter = crontab(minute="*/15")
    task = _periodic(every_quarter)
    slot = periodic.slot_of(task, datetime(2026, 11, 23, 2, 29, 40))
    assert slot.isoformat() == "2026-11-23T02:15:00+00:00"
    monkeypatch.setattr(periodic.HUEY, "_get_timestamp", lambda: datetime(2026, 11, 23, 2, 29, 40))
    periodic.claim(task)  # the first worker
    with pytest.raises(CancelExecution):
        periodic.claim(_periodic(every_quarter))  # another worker, same period
    periodic.record(task, None, None)
    run = PeriodicRun.objects.get()
    assert (
        run.finished_at is not None and run.error == "" and periodic.last_finished("sweep_deadlines") == slot
    )


@pytest.mark.django_db
def test_health_readiness_and_metrics(client, settings):
    assert client.get("/healthz").json() == {"ok": True}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "storage": "ok"}
    assert ready.json()["published"]["snapshot"]["state"] == "尚未生成"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nobody listens there
    down = client.get("/readyz")
    assert down.status_code == 503 and down.json()["checks"]["redis"].startswith("不可用")
    settings.REDIS_URL = ""
    metrics = client.get("/metrics").content.decode()
    for name in (
        'xinfang_requests_total{method="GET",status="200",view="healthz"}',
        "xinfang_queue_depth",
        "xinfang_job_failures_total",
        "xinfang_deadline_sweep_lag_seconds -1.0",
        "xinfang_snapshot_age_seconds -1.0",
        "xinfang_request_seconds_bucket",
    ):
        assert name in metrics, name
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    snapshot.refresh()
    published = client.get("/readyz").json()["published"]["snapshot"]
    assert published["state"] == "ok" and 0 <= published["seconds"] < 60  # how old its data is


def test_behind_a_trusted_proxy_the_client_address_is_the_proxys_word(client, settings):
    from xinfang.core.middleware import TrustedProxyMiddleware

    seen = []

    def view(request):
        seen.append(request.META["REMOTE_ADDR"])
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_X_REAL_IP="203.0.113.9")
    TrustedProxyMiddleware(view)(request)
    settings.XINFANG_TRUSTED_PROXIES = ["127.0.0.1"]
    TrustedProxyMiddleware(view)(RequestFactory().get("/", HTTP_X_REAL_IP="203.0.113.9"))
    TrustedProxyMiddleware(view)(RequestFactory().get("/", HTTP_X_REAL_IP="not an address"))
    assert seen == ["127.0.0.1", "203.0.113.9", "127.0.0.1"]


@pytest.mark.cluster
def test_an_app_server_stopped_mid_request_answers_it_first_and_logs_it_as_json(tmp_path):
    """`xinfang run --role web` on SIGTERM: the request in flight is answered, then it exits.
    The slow request is /readyz asking a "Redis" that accepts the connection and never answers
    (its 2 s timeout)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import threading
    import urllib.error
    import urllib.request
    from pathlib import Path

    from services import free_port

    silent = socket.create_server(("127.0.0.1", 0))  # accepts, reads nothing, never answers
    port = free_port()
    env = dict(
        {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")},
        XINFANG_ENV_FILE="/dev/null",
        XINFANG_DATA_DIR=str(tmp_path),
        XINFANG_REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
        XINFANG_LOG_FORMAT="json",
        DJANGO_SETTINGS_MODULE="xinfang.settings",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), *inherited_path()]),
    )
    log = tmp_path / "web.log"
    argv = [sys.executable, "-m", "xinfang", "run", "--role", "web", "--port", str(port), "--workers", "1",
            "--threads", "2", "--no-collectstatic"]  # fmt: skip
    with log.open("wb") as out:
        web = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        answered = {}

        def ask():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/readyz", headers={"X-Request-ID": "slow-request-0001"}
            )
            try:
                urllib.request.urlopen(request, timeout=60)
            except urllib.error.HTTPError as refused:
                answered["status"] = refused.code
                answered["body"] = json.loads(refused.read())

        try:
            deadline = time.monotonic() + 60
            while "信访通已启动" not in log.read_text(errors="replace"):  # listening
                assert web.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
            asking = threading.Thread(target=ask)
            asking.start()
            silent.settimeout(120)
            held, _ = silent.accept()  # the request is in the view, waiting for "Redis" to answer
            web.send_signal(signal.SIGTERM)
            asking.join(timeout=60)
            assert web.wait(timeout=60) == 0
            held.close()
        finally:
            if web.poll() is None:
                web.kill()
                web.wait()
            silent.close()
    assert answered["status"] == 503 and answered["body"]["checks"]["redis"].startswith("不可用")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    (access,) = [e for e in lines if e["logger"] == "xinfang.request"]
    assert access["message"].startswith("GET /readyz 503") and access["request_id"] == "slow-request-0001"
    (django,) = [e for e in lines if e["logger"] == "django.request"]  # logged after the middleware
    assert django["message"] == "Service Unavailable: /readyz" and django["request_id"] == "slow-request-0001"
