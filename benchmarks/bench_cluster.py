"""Cluster benchmark: several app servers behind nginx, one worker, PostgreSQL with a streaming
replica, Redis and an S3-compatible object store, all on loopback; an app server and the worker
are killed under load and must lose nothing.

    .venv/bin/python benchmarks/bench_cluster.py [--matters 20000] [--users 20] [--run-time 90s]
        [--workers 2] [--threads 4] [--smoke] [--keep] [--result FILE]

Started in a temporary directory (/tmp/xf-bench-cluster-*), each on a free loopback port:

* PostgreSQL 15 primary (loaded with benchmarks/bulk_matters.py, then served with fsync on) and a
  streaming replica made from it with pg_basebackup; dashboards, reports, exports and searches read
  from the replica (XINFANG_REPLICA_URL), connections pooled (XINFANG_DB_POOL);
* Redis (redis-server): the job queue, the cache and the rate-limit counters (XINFANG_REDIS_URL);
* the moto S3 server: attachments, imports, exports, the published column store and similar-matter
  index (XINFANG_S3_BUCKET); every app server has its own data directory;
* app servers: `xinfang run --role web`; one worker: `xinfang run --role worker`, its notices
  delivered by benchmarks/cluster_backend.py, which notes each one sent;
* nginx in front, with deploy/nginx/xinfang-proxy.conf included as it is in production.

Three runs of the load scenario of bench_load.py (benchmarks/locustfile.py) through nginx:
one app server; two app servers; two app servers with failures — app server 1 killed with
SIGKILL at 20 % of the run and restarted at 40 %, the worker killed at 55 % and restarted at 75 %.
The runs are printed side by side: requests, errors seen by the clients (after nginx's retries),
p50/p95 (--smoke, the CI size, makes only the third). On a 2-core machine every process shares the
same two cores, so a second app server adds processes, not capacity: the ratio shows the overhead
of the topology, not a speed-up.

After the run with failures (the queue drained, notices retried), the checks:

* every filing the clients saw succeed (the 查询码 the portal gave back) is in the primary;
* every notice queued is sent, and each exactly once (the backend's journal);
* the periodic deadline sweep (every minute here) ran at most once per minute, and in every minute
  the worker was up;
* `xinfang audit verify` passes;
* the error rate of the clients from the kill of the app server to 10 s after it answers again is
  below 0.1 %.

Exit status 0 when the benchmark ran (goals met or not, as the other benchmarks), 1 when it could not.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from base64 import b64encode
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_load  # noqa: E402 — the load scenario's helpers and PostgreSQL set-up
from bench_load import PY, ROOT, BenchError, PostgresCluster, free_port, run  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
GOAL_ERROR_RATE = 0.001
PG_REPLICATION = "-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on"


def inherited_path() -> list[str]:
    """The PYTHONPATH this benchmark was given (under libfaketime, scripts/faketime), for the
    processes it starts with a PYTHONPATH of their own."""
    return [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]


def missing_tools() -> list[str]:
    """What this machine lacks to run the benchmark (scripts/setup.sh --test installs it)."""
    missing = [name for name, path in (("nginx", NGINX), ("redis-server", REDIS)) if not Path(path).exists()]
    if not (bench_load.PG_BIN / "pg_basebackup").exists():
        missing.append("postgresql-15")
    # Looked up, not imported: importing locust monkey-patches the whole process (gevent).
    missing += [m for m in ("locust", "moto", "boto3", "redis") if importlib.util.find_spec(m) is None]
    return missing


# ---------------------------------------------------------------- services


class Replica(PostgresCluster):
    """A streaming replica of `primary` (pg_basebackup -R), on its own port."""

    def start_from(self, primary: PostgresCluster, options: str):
        self.dir = Path(tempfile.mkdtemp(prefix="xf-bench-replica-"))
        self.dir.chmod(0o700)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port, self.password = free_port(), primary.password
        conninfo = f"host=127.0.0.1 port={primary.port} user=postgres password={primary.password}"
        self._pg(
            [
                str(self.bin / "pg_basebackup"),
                "-d",
                conninfo,
                "-D",
                str(self.dir / "data"),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
            "pg_basebackup",
        )
        self._ctl("start", options)

    def caught_up(self, primary: PostgresCluster, timeout=60.0):
        import psycopg

        with psycopg.connect(primary.url.replace("postgres://", "postgresql://")) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
            while time.monotonic() < deadline:
                behind = conn.execute(
                    "SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn())", [target]
                ).fetchone()[0]
                if behind is not None and behind <= 0:
                    return
                time.sleep(0.2)
        raise BenchError("副本 60 秒内未追上主库 / the replica did not catch up")


class Process:
    """A child process of the benchmark with its log; `kill` ends it and all its descendants at once."""

    def __init__(self, name, cmd, env, log: Path):
        self.name, self.cmd, self.env, self.log = name, cmd, env, log
        self.proc = None

    def start(self):
        self.out = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT, process_group=0
        )

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tree(self) -> list[int]:
        """This process and every descendant, children first."""
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                parents[int(stat.parent.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
        found, frontier = [], [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            found.append(pid)
            frontier += [child for child, parent in parents.items() if parent == pid]
        return found[::-1]

    def kill(self):
        """SIGKILL to the whole tree in one pass: a machine losing power, not a shutdown."""
        for pid in self.tree():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc is not None:
            self.out.close()


def wait_http(url, timeout=60.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise BenchError(f"{what or url} {timeout:.0f} 秒内未就绪 / not ready")


def nginx_conf(work: Path, port: int, app_ports: list[int]) -> Path:
    """nginx's own configuration for the benchmark: the upstream and a plain-HTTP server that
    includes deploy/nginx/xinfang-proxy.conf, as production does."""
    (work / "nginx").mkdir(exist_ok=True)
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in app_ports)
    temp = work / "nginx"
    conf = temp / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 1;
pid {temp}/nginx.pid;
error_log {temp}/error.log warn;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 1024; }}
http {{
    access_log {temp}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    upstream xinfang_app {{
{servers}
        keepalive 32;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {ROOT}/deploy/nginx/xinfang-proxy.conf;
    }}
}}
""",
        encoding="utf-8",
    )
    return conf


# ---------------------------------------------------------------- the cluster


class Cluster:
    def __init__(self, args, work: Path):
        self.args, self.work = args, work
        self.primary = self.replica = None
        self.services: list[Process] = []
        self.apps: list[Process] = []
        self.worker = self.nginx = None
        self.app_ports = [free_port(), free_port()]
        self.nginx_port = free_port()

    # -- set-up

    def start(self):
        a, work = self.args, self.work
        print("  PostgreSQL 主库 / primary …", flush=True)
        self.primary = PostgresCluster()
        self.primary.start(f"{bench_load.PG_COMMON} {PG_REPLICATION} {bench_load.PG_LOAD}")
        redis_port, s3_port = free_port(), free_port()
        (work / "redis").mkdir()
        self.services.append(
            Process(
                "redis",
                [REDIS, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                 "--dir", str(work / "redis")],
                # redis-server cannot start under libfaketime (the test runs on other days): it
                # keeps the real time
                {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")},
                work / "redis.log",
            )
        )  # fmt: skip
        self.services.append(
            Process(
                "s3",
                [PY, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
                dict(os.environ),
                work / "s3.log",
            )
        )
        for service in self.services:
            service.start()
        wait_http(f"http://127.0.0.1:{s3_port}/", what="moto S3")
        self.env = self._env(redis_port, s3_port)
        self._bucket(s3_port)
        log = work / "setup.log"
        run([PY, "-m", "xinfang", "migrate", "-v", "0"], self._with(work / "setup"), log, "xinfang migrate")
        print(f"  批量写入 / bulk load {a.matters:,} matters …", flush=True)
        run(
            [PY, str(HERE / "bulk_matters.py"), "--matters", str(a.matters), "--workers", "2",
             "--sessions", str(work / "sessions.json"), "--sessions-per-account", str(max(1, -(-a.users // 12)))],
            self._with(work / "setup"),
            log,
            "bulk_matters.py",
        )  # fmt: skip
        run(
            [PY, "-c", bench_load.SEED_CODES, str(work / "portal_codes.json"), str(bench_load.PORTAL_CODES)],
            self._with(work / "setup"),
            log,
            "seed codes",
        )
        self.primary.restart(f"{bench_load.PG_COMMON} {PG_REPLICATION}")  # durable from here on
        print("  流复制副本 / streaming replica …", flush=True)
        self.replica = Replica()
        self.replica.start_from(self.primary, f"{bench_load.PG_COMMON} -c hot_standby=on")
        self.replica.caught_up(self.primary)
        self.env["XINFANG_REPLICA_URL"] = self.replica.url
        for n in (1, 2):
            run([PY, "-m", "xinfang", "collectstatic", "--noinput", "-v", "0"], self._with(work / f"app{n}"), log,
                "collectstatic")  # fmt: skip
        self.worker = Process(
            "worker",
            [PY, "-m", "xinfang", "run", "--role", "worker"],
            self._serving(
                work / "worker", PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE), *inherited_path()])
            ),
            work / "worker.log",
        )
        self.worker.start()
        self.apps = [
            Process(
                f"app{n}",
                [PY, "-m", "xinfang", "run", "--role", "web", "--port", str(port), "--workers", str(a.workers),
                 "--threads", str(a.threads), "--no-collectstatic"],
                self._serving(work / f"app{n}"),
                work / f"app{n}.log",
            )
            for n, port in zip((1, 2), self.app_ports, strict=True)
        ]  # fmt: skip
        self.wait_published()

    def _env(self, redis_port, s3_port) -> dict:
        env = bench_load.server_env(bench_load.child_env(self.work / "setup", self.primary.url))
        env.update(
            XINFANG_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            XINFANG_S3_BUCKET="xinfang",
            XINFANG_S3_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}",
            XINFANG_S3_REGION="us-east-1",
            XINFANG_S3_ACCESS_KEY="bench",
            XINFANG_S3_SECRET_KEY="bench",
            XINFANG_DATA_KEYS=f"b1:{b64encode(secrets.token_bytes(16)).decode()}",
            XINFANG_INDEX_KEY=b64encode(secrets.token_bytes(32)).decode(),
            XINFANG_LOG_FORMAT="json",
            XINFANG_LOG_LEVEL="INFO",
            XINFANG_TRUSTED_PROXIES="127.0.0.1",
            XINFANG_SWEEP_MINUTES="1",
            XINFANG_OUTBOX_RETRY_MINUTES="1",
            XINFANG_NOTIFICATION_LEASE_SECONDS="15",
            XINFANG_NOTIFICATION_BACKEND="cluster_backend.JournalBackend",
            XF_BENCH_NOTICES=str(self.work / "notices.journal"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        return env

    def _with(self, data_dir: Path, **extra) -> dict:
        data_dir.mkdir(exist_ok=True)
        return dict(self.env, XINFANG_DATA_DIR=str(data_dir), **extra)

    def _serving(self, data_dir: Path, **extra) -> dict:
        """The environment of an app server or the worker: pooled connections (the loader forks
        processes, which must not share a pool, so it goes without)."""
        return self._with(data_dir, XINFANG_DB_POOL="4", **extra)

    def _bucket(self, s3_port):
        import boto3

        boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{s3_port}",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(Bucket="xinfang")

    def wait_published(self, timeout=180.0):
        """The worker has published the column store (its first build) to the object store."""
        script = (
            "import django,sys; django.setup(); from xinfang.analytics import snapshot; "
            "sys.exit(0 if snapshot.STORE.pointer() else 1)"
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (
                subprocess.run([PY, "-c", script], env=self._with(self.work / "setup"), cwd=ROOT).returncode
                == 0
            ):
                return
            if not self.worker.alive():
                raise BenchError("后台任务退出 / the worker exited:\n" + tail(self.worker.log))
            time.sleep(2)
        raise BenchError("列存 3 分钟内未发布 / the column store was not published")

    # -- app servers and nginx

    def serve(self, count: int):
        """`count` app servers up and nginx in front of them."""
        for app, port in zip(self.apps[:count], self.app_ports, strict=False):
            if not app.alive():
                app.start()
                wait_http(f"http://127.0.0.1:{port}/readyz", 90, app.name)
        if self.nginx is not None:
            self.nginx.stop(signal.SIGQUIT)
        conf = nginx_conf(self.work, self.nginx_port, self.app_ports[:count])
        self.nginx = Process("nginx", [NGINX, "-c", str(conf), "-p", str(self.work / "nginx")], os.environ,
                             self.work / "nginx.log")  # fmt: skip
        self.nginx.start()
        wait_http(f"http://127.0.0.1:{self.nginx_port}/healthz", 30, "nginx")

    def restart(self, process: Process, port=None, ready=None):
        """Start ``process`` again without waiting; with ``port``, note in ``ready`` when it answers."""
        process.start()
        if port:

            def watch():
                wait_http(f"http://127.0.0.1:{port}/readyz", 120, process.name)
                ready.append(time.time())

            threading.Thread(target=watch, daemon=True).start()

    def stop(self):
        for p in [self.nginx, *self.apps]:
            if p is not None:
                p.stop()
        if self.worker is not None:
            self.worker.stop(signal.SIGINT, timeout=120)
        for p in self.services:
            p.stop()
        for cluster in (self.replica, self.primary):
            if cluster is not None:
                cluster.remove()


def tail(path: Path, size=3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""


# ---------------------------------------------------------------- load and failures


def locust(cluster: Cluster, name: str, run_time: str, events=()) -> dict:
    """The load scenario through nginx for `run_time`; `events` are (share of the run, what,
    function) done meanwhile, each noted with its time."""
    a, work = cluster.args, cluster.work
    prefix = work / f"locust-{name}"
    seconds = float(run_time.rstrip("s"))
    cmd = [
        PY, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "--users", str(a.users),
        "--spawn-rate", "20", "--run-time", run_time, "--host", f"http://127.0.0.1:{cluster.nginx_port}",
        "--csv", str(prefix), "--csv-full-history", "--only-summary", "--stop-timeout", "10",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    env = dict(
        cluster.env,
        XF_BENCH_SESSIONS=str(work / "sessions.json"),
        XF_BENCH_PORTAL_CODES=str(work / "portal_codes.json"),
        XF_BENCH_WAIT=a.wait,
        XF_BENCH_WRITES=str(work / "writes.txt"),
    )
    happened = []

    def act():
        started = time.time()
        for share, what, fn in events:
            time.sleep(max(0.0, started + share * seconds - time.time()))
            fn()
            happened.append((time.time(), what))
            print(f"    {time.strftime('%H:%M:%S')} {what}", flush=True)

    actor = threading.Thread(target=act, daemon=True)
    with (work / f"locust-{name}.log").open("ab") as out:
        load = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        actor.start()
        load.wait()
    actor.join(timeout=120)
    return read_stats(prefix) | {"events": happened}


def read_stats(prefix: Path) -> dict:
    rows = {}
    with Path(f"{prefix}_stats.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = row
    total = rows["Aggregated"]
    history = []
    with Path(f"{prefix}_stats_history.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Aggregated":
                history.append(
                    (int(row["Timestamp"]), int(row["Total Request Count"]), int(row["Total Failure Count"]))
                )
    failures = []
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with failures_file.open(newline="", encoding="utf-8") as f:
            failures = [f"{r['Name']}: {r['Error']} ×{r['Occurrences']}" for r in csv.DictReader(f)]
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"] or 0),
        "p95": float(total["95%"] or 0),
        "history": history,
        "failures": failures,
    }


def window(history, start: float, end: float) -> tuple[int, int]:
    """Requests and errors between two moments, from locust's cumulative history."""

    def at(moment):
        before = [h for h in history if h[0] <= moment]
        return before[-1][1:] if before else (0, 0)

    (r0, e0), (r1, e1) = at(start), at(end)
    return r1 - r0, e1 - e0


# ---------------------------------------------------------------- checks


CHECKS = """
import json, sys
import django
django.setup()
from django.db.models import Count
from xinfang.core.models import Notification, PeriodicRun
from xinfang.petitions.models import Matter
codes = [c.strip().replace("-", "") for c in open(sys.argv[1], encoding="utf-8") if c.strip()]
found = set(Matter.objects.filter(code__in=codes).values_list("code", flat=True))
journal = [int(x) for x in open(sys.argv[2], encoding="utf-8").read().split()] if sys.argv[2] else []
states = dict(Notification.objects.values_list("state").annotate(n=Count("id")))
sent = set(Notification.objects.filter(state="sent").values_list("id", flat=True))
sweeps = list(PeriodicRun.objects.filter(name="sweep_deadlines").values_list("slot", "finished_at", "error"))
print(json.dumps({
    "writes": len(codes), "writes_found": len(found & set(codes)), "missing": sorted(set(codes) - found)[:10],
    "notices": states, "journal": len(journal), "journal_distinct": len(set(journal)),
    "journal_not_sent": len(set(journal) - sent), "sent_not_journal": len(sent - set(journal)),
    "sweeps": [[s.timestamp(), f is not None, e] for s, f, e in sweeps],
}))
"""


def drain(cluster: Cluster, timeout=240.0) -> bool:
    """Wait until no notice is pending (the worker retries those a killed worker had claimed)."""
    script = (
        "import django,sys; django.setup(); from xinfang.core.models import Notification; "
        "sys.exit(1 if Notification.objects.filter(state='pending').exists() else 0)"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            subprocess.run([PY, "-c", script], env=cluster._with(cluster.work / "setup"), cwd=ROOT).returncode
            == 0
        ):
            return True
        time.sleep(5)
    return False


def checks(cluster: Cluster) -> dict:
    work = cluster.work
    env = cluster._with(work / "setup")
    drained = drain(cluster)
    journal = work / "notices.journal"
    out = subprocess.run(
        [PY, "-c", CHECKS, str(work / "writes.txt"), str(journal) if journal.exists() else ""],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise BenchError("检查失败 / checks failed:\n" + out.stderr[-3000:])
    found = json.loads(out.stdout.strip().splitlines()[-1])
    found["drained"] = drained
    audit = subprocess.run(
        [PY, "-m", "xinfang", "audit", "verify"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    found["audit_ok"] = audit.returncode == 0
    found["audit_output"] = (
        (audit.stdout + audit.stderr).strip().splitlines()[-1:] if audit.stdout or audit.stderr else []
    )
    return found


def sweep_minutes(sweeps, down: list[tuple[float, float]], first: float, last: float) -> dict:
    """Minutes of [first, last) with a sweep, and minutes the worker was up all along without one."""
    slots = sorted(int(s) for s, done, _e in sweeps)
    minutes = range(int(first // 60 * 60) + 60, int(last // 60 * 60), 60)
    up = [m for m in minutes if not any(a - 60 <= m <= b + 60 for a, b in down)]
    return {
        "runs": len(slots),
        "duplicates": len(slots) - len(set(slots)),
        "missed_while_up": [time.strftime("%H:%M", time.localtime(m)) for m in up if m not in set(slots)],
        "unfinished": sum(1 for _s, done, _e in sweeps if not done),
    }


# ---------------------------------------------------------------- report


def report(runs: dict, check: dict, kill: dict, args) -> bool:
    print()
    print(f"信访通集群基准 / cluster benchmark: {args.matters:,} matters, {args.users} users, "
          f"{args.run_time} per run, app servers {args.workers}×{args.threads} gthread, 1 worker, "
          f"{os.cpu_count()} CPU cores")  # fmt: skip
    header = f"{'':34}" + "".join(f"{name:>22}" for name in runs)
    print(header)
    for label, key, fmt in (
        ("requests", "requests", "{:,}"),
        ("requests/s", "rps", "{:.1f}"),
        ("errors seen by clients", "errors", "{:,}"),
        ("p50 ms", "p50", "{:.0f}"),
        ("p95 ms", "p95", "{:.0f}"),
    ):
        print(f"{label:34}" + "".join(f"{fmt.format(r[key]):>22}" for r in runs.values()))
    one, two = runs.get("1 app server"), runs.get("2 app servers")
    if one and two and one["rps"]:
        print(f"2 servers / 1 server, requests/s: {two['rps'] / one['rps']:.2f} "
              f"(on {os.cpu_count()} cores every server shares the same cores: this is overhead, not speed-up)")  # fmt: skip
    print()
    for name, r in runs.items():
        for failure in r["failures"][:8]:
            print(f"  {name}: {failure}")
    rate = kill["errors"] / kill["requests"] if kill["requests"] else 0.0
    sweeps = check["sweep"]
    goals = {
        "0 lost writes": check["writes_found"] == check["writes"] and check["writes"] > 0,
        "every notice sent": check["notices"].get("pending", 0) == 0 and check["drained"],
        "0 duplicate notices": check["journal"] == check["journal_distinct"] and check["journal_not_sent"] == 0
        and check["sent_not_journal"] == 0,
        "sweep once per minute": sweeps["duplicates"] == 0 and not sweeps["missed_while_up"] and sweeps["runs"] > 0,
        "audit verify": check["audit_ok"],
        "error rate < 0.1 % during the kill": rate < GOAL_ERROR_RATE,
    }  # fmt: skip
    print(f"writes the clients saw succeed: {check['writes']:,}, in the database: {check['writes_found']:,}"
          + (f" (missing: {check['missing']})" if check["missing"] else ""))  # fmt: skip
    print(f"notices: {check['notices']}; sent per the journal: {check['journal']:,} "
          f"({check['journal_distinct']:,} distinct, {check['journal_not_sent']} not marked sent, "
          f"{check['sent_not_journal']} marked sent but not in the journal)")  # fmt: skip
    print(f"deadline sweeps: {sweeps['runs']} runs, {sweeps['duplicates']} twice in one minute, "
          f"{sweeps['unfinished']} cut short by the kill, minutes missed while the worker was up: "
          f"{sweeps['missed_while_up'] or 'none'}")  # fmt: skip
    print(f"audit verify: {'ok' if check['audit_ok'] else 'FAILED'} {check['audit_output']}")
    print(f"during the kill (app server 1 down until 10 s after it answers again): {kill['requests']:,} requests, "
          f"{kill['errors']} errors, {rate:.3%}")  # fmt: skip
    for goal, ok in goals.items():
        print(f"  {'MET   ' if ok else 'MISSED'} {goal}")
    return all(goals.values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--matters", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--run-time", default="90s", help="each of the three runs, in seconds (e.g. 90s)")
    parser.add_argument("--wait", default="0.5,2", help="think time min,max seconds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app server")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI size: 1,500 matters, 8 users, only the 45 s run with the kills",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--result", help="write the figures and checks to this JSON file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.matters, args.users, args.run_time = 1500, 8, "45s"
    missing = missing_tools()
    if missing:
        print(f"缺少 / missing: {', '.join(missing)} (scripts/setup.sh --test)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="xf-bench-cluster-"))
    cluster = Cluster(args, work)
    try:
        cluster.start()
        runs = {}
        if not args.smoke:  # the smoke checks the kills only
            print(f"  一台应用服务器 / 1 app server, {args.run_time} …", flush=True)
            cluster.serve(1)
            runs["1 app server"] = locust(cluster, "one", args.run_time)
            print(f"  两台应用服务器 / 2 app servers, {args.run_time} …", flush=True)
        cluster.serve(2)
        if not args.smoke:
            runs["2 app servers"] = locust(cluster, "two", args.run_time)
        print(f"  两台，杀掉一台和后台任务 / 2 app servers, kills, {args.run_time} …", flush=True)
        (work / "writes.txt").write_text("", encoding="utf-8")  # the checks are about this run
        worker_down, app1_ready = [], []
        app1, worker = cluster.apps[0], cluster.worker
        events = [
            (0.2, "SIGKILL app server 1", app1.kill),
            (0.4, "restart app server 1", lambda: cluster.restart(app1, cluster.app_ports[0], app1_ready)),
            (0.55, "SIGKILL worker", lambda: (worker.kill(), worker_down.append([time.time(), None]))),
            (0.75, "restart worker", lambda: (worker.start(), worker_down[-1].__setitem__(1, time.time()))),
        ]
        started = time.time()
        runs["2 app servers, kills"] = failed = locust(cluster, "kills", args.run_time, events)
        ended = time.time()
        moments = {what: t for t, what in failed["events"]}
        back = app1_ready[0] if app1_ready else ended
        requests, errors = window(failed["history"], moments["SIGKILL app server 1"] - 1, back + 10)
        print(
            f"    app server 1 answered again {back - moments['restart app server 1']:.0f} s after its restart"
        )
        print("  检查 / checks …", flush=True)
        check = checks(cluster)
        check["sweep"] = sweep_minutes(check["sweeps"], [tuple(d) for d in worker_down], started, ended)
        ok = report(runs, check, {"requests": requests, "errors": errors}, args)
        if args.result:
            Path(args.result).write_text(
                json.dumps({"runs": {k: {kk: vv for kk, vv in v.items() if kk != "history"} for k, v in runs.items()},
                            "checks": check, "kill_window": {"requests": requests, "errors": errors}, "ok": ok},
                           ensure_ascii=False, indent=1), encoding="utf-8")  # fmt: skip
    except BenchError as exc:
        print(f"基准无法运行 / could not run: {exc}", file=sys.stderr)
        return 1
    finally:
        cluster.stop()
        if args.keep:
            print(f"  保留 / kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
