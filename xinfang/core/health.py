"""/healthz and /readyz.

/healthz: the process is alive and answers (no other check): for a supervisor that restarts it.
/readyz: the server can do its work: the database answers (and the replica, when there is one),
Redis answers when it is configured, the file storage can be listed, and what the worker publishes
is reported with its age (apps register their ages in AGES: the column store). 200 with
{"ok": true, ...} or 503 with what failed; a load balancer takes a server that is not ready out of
rotation.
"""

import time

from django.conf import settings
from django.core.files.storage import storages
from django.db import connections
from django.http import JsonResponse

# name → function returning how old the published data is, in seconds (None: none yet); apps register theirs
AGES = {}
MAX_AGE_FACTOR = 10  # stale when older than this many refresh intervals


def register_age(name, fn):
    AGES[name] = fn


def healthz(request):
    return JsonResponse({"ok": True})


def _database(alias):
    with connections[alias].cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return "ok"


def _redis():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _storage():
    # One cheap request (a HEAD for an object store), whatever the number of files stored.
    storages["default"].exists(".readyz")
    return "ok"


def checks() -> dict:
    """Each dependency's state: "ok" or what went wrong (in Chinese)."""
    found = {}
    probes = {"database": lambda: _database("default"), "storage": _storage}
    if "replica" in settings.DATABASES:
        probes["replica"] = lambda: _database("replica")
    if settings.REDIS_URL:
        probes["redis"] = _redis
    for name, probe in probes.items():
        try:
            found[name] = probe()
        except Exception as exc:  # noqa: BLE001 — any failure makes the server not ready; it is reported
            found[name] = f"不可用：{type(exc).__name__}: {exc}"
    return found


def ages() -> dict:
    """How old each published thing's data is (None: none yet), and whether it is stale."""
    limit = max(600, settings.XINFANG_SNAPSHOT_SECONDS * MAX_AGE_FACTOR)
    found = {}
    for name, age_of in AGES.items():
        try:
            age = age_of()
        except Exception as exc:  # noqa: BLE001 — reported, as for the dependencies
            found[name] = {"seconds": None, "state": f"无法读取：{type(exc).__name__}: {exc}"}
            continue
        state = "尚未生成" if age is None else ("ok" if age <= limit else f"已 {int(age)} 秒未更新")
        found[name] = {"seconds": None if age is None else round(age, 1), "state": state}
    return found


def readyz(request):
    """Ready when every dependency answers. A stale column store is reported, not counted: it means
    the worker is behind, and taking every web server out of rotation for it would stop all work."""
    started = time.perf_counter()
    found = checks()
    ok = all(v == "ok" for v in found.values())
    body = {
        "ok": ok,
        "checks": found,
        "published": ages(),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return JsonResponse(body, status=200 if ok else 503, json_dumps_params={"ensure_ascii": False})
