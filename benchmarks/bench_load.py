"""Load benchmark: page speed of the staff pages and the citizen portal with N matters, on SQLite
and on PostgreSQL.

    .venv/bin/python benchmarks/bench_load.py [--matters 1000000] [--db sqlite,postgres]
        [--users 20] [--run-time 120s] [--wait 0.5,2] [--workers 2] [--threads 4] [--smoke]

For each database, in its own fresh temporary XINFANG_DATA_DIR (/tmp/xf-bench-load-*):

1. PostgreSQL only: a throwaway PostgreSQL 15 cluster (initdb under /usr/lib/postgresql/15/bin in a
   temporary directory, owned by the `postgres` OS user when run as root, on a free loopback port), as
   scripts/test.sh does; it is stopped and removed at the end, whatever happens.
2. `xinfang migrate`, then benchmarks/bulk_matters.py: the demo city and N matters with their
   events, unit links and (encrypted) petitioners, plus signed-in sessions for the benchmark
   accounts. Its load time and rows/s are reported.
3. gunicorn serves the product on 127.0.0.1 (a free port) as `xinfang run` does (gthread workers),
   with XINFANG_TOTP_REQUIRED=false (the benchmark is about page speed, not sign-in), the portal's
   rate limits per address and per identity raised to PORTAL_RATE (every simulated citizen comes
   from 127.0.0.1) and no portal challenge (XINFANG_PORTAL_CHALLENGE unset).
4. locust (benchmarks/locustfile.py) runs headless, one process, a fixed number of users for a
   fixed time, four staff to one citizen: staff working their queues — 我的待办, 全部事项 with
   pages and filters, matter details — plus the sign-in page as a baseline under the same load;
   citizens on the portal (网上信访), each task a new visitor: the form pages, filing a petition
   (POST with CSRF, a new matter registered, its 查询码 read on /portal/filed/) and tracking one
   (查询码 and phone's last four digits → the matter's public timeline), for the citizens' own
   filings and for loaded matters sampled before the run (SEED_CODES).

It prints requests/s, p50/p95/p99 latency and errors per page type (the portal's included) and
overall, and checks the goal: 0 errors (any page) and p95 < 200 ms for the queue and detail pages at
1,000,000 matters (MET / MISSED); the portal's latencies are reported, not part of the goal. The exit
status is 0 even when the goal is missed; it is 1 only when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PY = sys.executable
PG_BIN = Path("/usr/lib/postgresql/15/bin")
GOAL_P95_MS = 200
GOAL_PAGES = ("queue", "detail")
GOAL_MATTERS = 1_000_000
BUSY_SHARE = 0.15  # CPU busy share of the idle machine above which other work skews the figures
PAGES = (
    ("queue", "我的待办 /matters/"),
    ("all", "全部事项 ?tab=all 翻页/筛选"),
    ("detail", "事项详情 /matters/<pk>/"),
    ("baseline", "基线 /login/"),
    ("portal_form", "群众表单 GET /portal/file/, track/"),
    ("portal_file", "群众写信 POST /portal/file/"),
    ("portal_track", "群众查询 POST /portal/track/"),
)
LABEL_WIDTH = 50  # terminal columns of the table's first column
# The citizen portal's limits for the bench server: every simulated citizen comes from 127.0.0.1.
PORTAL_RATE = "100000/h"
PORTAL_CODES = 200  # loaded matters whose 查询码 and phone tail the citizens track
DB_LABEL = {"sqlite": "SQLite (WAL)", "postgres": "PostgreSQL 15"}
# PostgreSQL settings: load with the test suite's no-fsync settings, then serve with durable ones.
PG_COMMON = (
    "-c shared_buffers=512MB -c max_connections=100 -c max_wal_size=4GB"
    # On 2 cores a parallel plan for one slow list filter takes both from every other request.
    " -c max_parallel_workers_per_gather=0"
)
PG_LOAD = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c checkpoint_timeout=30min"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine_busy(seconds: float = 3.0) -> float:
    """Share of all CPUs busy over `seconds` (from /proc/stat): other work on the machine while
    the benchmark's own server is idle makes the latencies worse than the product's."""
    try:

        def sample():
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            idle = fields[3] + fields[4]  # idle + iowait
            return sum(fields) - idle, sum(fields)

        busy0, total0 = sample()
        time.sleep(seconds)
        busy1, total1 = sample()
        return (busy1 - busy0) / max(1, total1 - total0)
    except (OSError, ValueError, IndexError):
        return 0.0


def run(cmd, env, log: Path, what: str, echo=None):
    """Run a step, its output to `log` (lines for which `echo` is true also to the terminal); on
    failure show the end of the log and stop."""
    with log.open("a", encoding="utf-8") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        for line in proc.stdout:
            out.write(line)
            if echo is not None and echo(line):
                print("  " + line.rstrip(), flush=True)
        proc.wait()
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchError(f"{what} 失败 / failed (exit {proc.returncode}):\n{tail}")


class BenchError(Exception):
    pass


# ---------------------------------------------------------------- PostgreSQL


class PostgresCluster:
    """A throwaway cluster in a temporary directory on a free loopback port (see scripts/test.sh)."""

    def __init__(self, bin_dir: Path = PG_BIN):
        if not (bin_dir / "initdb").exists():
            raise BenchError(
                f"找不到 PostgreSQL 15（{bin_dir}）/ PostgreSQL 15 not found: run scripts/setup.sh --test"
            )
        self.bin = bin_dir
        self.dir = None
        self.port = None
        self.password = secrets.token_hex(8)

    def _as_postgres(self, cmd):
        # PostgreSQL refuses to run as root: hand its commands to the `postgres` OS user.
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    def _pg(self, args, what):
        proc = subprocess.run(self._as_postgres(args), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            log = self.dir / "server.log"
            extra = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise BenchError(f"PostgreSQL {what} 失败 / failed:\n{proc.stdout}{proc.stderr}{extra}")
        return proc.stdout

    def start(self, options: str):
        self.dir = Path(tempfile.mkdtemp(prefix="xf-bench-pg-"))
        self.dir.chmod(0o700)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o644)
        self._pg(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.dir / "data"),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
            ],
            "initdb",
        )
        self._ctl("start", options)
        self._pg(
            [
                str(self.bin / "psql"),
                "-h",
                str(self.dir),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                f"CREATE ROLE xinfang LOGIN PASSWORD '{self.password}'",
                "-c",
                "CREATE DATABASE xinfang OWNER xinfang",
            ],
            "CREATE ROLE/DATABASE",
        )

    def _ctl(self, action, options=""):
        args = [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-t", "120"]
        if action in ("start", "restart"):
            args += ["-l", str(self.dir / "server.log"), "-o"]
            args.append(f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} {options}")
        else:
            args += ["-m", "fast"]
        self._pg([*args, action], f"pg_ctl {action}")

    def restart(self, options: str):
        self._ctl("restart", options)

    @property
    def url(self) -> str:
        return f"postgres://xinfang:{self.password}@127.0.0.1:{self.port}/xinfang"

    def version(self) -> str:
        out = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True)
        found = re.search(r"\d+\.\d+", out.stdout)
        return found.group(0) if found else "15"

    def remove(self):
        if self.dir is None:
            return
        if (self.dir / "data" / "postmaster.pid").exists():
            subprocess.run(
                self._as_postgres(
                    [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


# ---------------------------------------------------------------- the server


class Server:
    """gunicorn serving xinfang.wsgi as `xinfang run` starts it (gthread workers), own process group."""

    def __init__(self, env, log: Path, workers: int, threads: int):
        self.port = free_port()
        self.env, self.log, self.workers, self.threads = env, log, workers, threads
        self.proc = None

    def start(self):
        cmd = [
            PY,
            "-m",
            "gunicorn",
            "xinfang.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(self.threads),
            "--timeout",
            "120",
            "--no-control-socket",
        ]
        self.out = self.log.open("ab")
        self.proc = subprocess.Popen(
            cmd, env=self.env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT, process_group=0
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    "gunicorn 启动失败 / did not start:\n" + self.log.read_text(errors="replace")[-3000:]
                )
            try:
                status, _ = self.get("/login/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise BenchError("gunicorn 60 秒内未就绪 / not ready after 60 s")

    def get(self, path, session=None, timeout=120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Cookie": f"sessionid={session}"} if session else {}
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.proc = None


# ---------------------------------------------------------------- one database


def child_env(data_dir: Path, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")}
    env.update(
        XINFANG_ENV_FILE="/dev/null",  # never a developer's .env
        XINFANG_DATA_DIR=str(data_dir),
        XINFANG_TOTP_REQUIRED="false",
        XINFANG_SECRET_KEY="bench-" + secrets.token_hex(16),
        XINFANG_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="xinfang.settings",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["XINFANG_DATABASE_URL"] = database_url
    return env


SERVER_TROUBLE = (
    "WORKER TIMEOUT",
    "Traceback",
    "was sent SIGKILL",
    "exited with code",
    "Internal Server Error",
)


def server_errors(log: Path) -> list[str]:
    """Lines of the gunicorn log that mean a failed request or a dead worker."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    return [line for line in lines if any(t in line for t in SERVER_TROUBLE)]


def server_env(env: dict) -> dict:
    """The gunicorn environment: the portal's limits per address and per identity raised, and no
    challenge, since all simulated citizens file and track from 127.0.0.1."""
    env = dict(
        env,
        XINFANG_PORTAL_FILE_RATE=PORTAL_RATE,
        XINFANG_PORTAL_IDENTITY_RATE=PORTAL_RATE,
        XINFANG_PORTAL_TRACK_RATE=PORTAL_RATE,
    )
    env.pop("XINFANG_PORTAL_CHALLENGE", None)
    return env


# Run with the product's settings after the load: a sample of loaded matters whose petitioner has a
# mobile number, as [查询码 as printed, phone's last 4 digits], for the citizens to track.
SEED_CODES = """
import json, random, sys
import django
django.setup()
from django.db.models import Max
from xinfang.petitions.models import Petitioner
top = Petitioner.objects.aggregate(m=Max("matter_id"))["m"] or 0
ids = random.Random(11).sample(range(1, top + 1), min(top, 3 * int(sys.argv[2])))
codes = [
    [p.matter.display_code, p.phone[-4:]]
    for p in Petitioner.objects.filter(matter_id__in=ids).select_related("matter").order_by("matter_id")
    if len(p.phone) == 11 and p.phone.startswith("1")
][: int(sys.argv[2])]
open(sys.argv[1], "w", encoding="utf-8").write(json.dumps(codes))
print(f"{len(codes)} tracking codes of loaded matters")
"""


def warm_up(server: Server, sessions: list[dict]):
    """One round of every account's pages and of the portal's forms (templates compiled, caches
    filled), and a check that the sessions are signed in: a redirect to /login/ here would make
    every number meaningless."""
    for path in ("/portal/file/", "/portal/track/"):
        status, _body = server.get(path)
        if status != 200:
            raise BenchError(f"GET {path} → HTTP {status}")
    seen = set()
    for s in sessions:
        if s["username"] in seen:
            continue
        seen.add(s["username"])
        for path in ("/matters/", "/matters/?tab=all"):
            status, _body = server.get(path, s["session"])
            if status != 200:
                raise BenchError(
                    f"{s['username']} GET {path} → HTTP {status}（会话无效？/ session not signed in?）"
                )


def run_locust(server: Server, env, work: Path, args) -> dict:
    prefix = work / "locust"
    cmd = [
        PY,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--host",
        server.url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
        "--reset-stats",
    ]
    locust_env = dict(
        env,
        XF_BENCH_SESSIONS=str(work / "sessions.json"),
        XF_BENCH_PORTAL_CODES=str(work / "portal_codes.json"),
        XF_BENCH_WAIT=args.wait,
    )
    log = work / "locust.log"
    busy_before = machine_busy()
    with log.open("ab") as out:
        # locust exits 1 when any request failed; the failures are reported from its CSV instead.
        subprocess.run(cmd, env=locust_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False)
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise BenchError(
            "locust 没有输出统计 / locust wrote no statistics:\n" + log.read_text(errors="replace")[-3000:]
        )
    rows = {}
    with stats_file.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = "overall" if row["Name"] == "Aggregated" else row["Name"]
            rows[name] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
    failures = []
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with failures_file.open(newline="", encoding="utf-8") as f:
            failures = [f"{r['Name']}: {r['Error']} ×{r['Occurrences']}" for r in csv.DictReader(f)]
    return {
        "pages": rows,
        "failures": failures,
        "busy_before": busy_before,
    }


def bench_one(db: str, args) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="xf-bench-load-"))
    work = data_dir / "bench"
    work.mkdir()
    cluster = server = None
    result = {"db": db, "matters": args.matters}
    try:
        database_url = None
        if db == "postgres":
            cluster = PostgresCluster()
            print(f"  启动 PostgreSQL {cluster.version()} 临时集群 / throwaway cluster …", flush=True)
            cluster.start(f"{PG_COMMON} {PG_LOAD}")
            database_url = cluster.url
            result["version"] = cluster.version()
        env = child_env(data_dir, database_url)
        log = work / "setup.log"
        t = time.perf_counter()
        run([PY, "-m", "xinfang", "migrate", "-v", "0"], env, log, "xinfang migrate")
        result["migrate_seconds"] = time.perf_counter() - t
        print(
            f"  migrate {result['migrate_seconds']:.1f}s; 批量写入 / bulk load {args.matters:,} matters …",
            flush=True,
        )
        load_cmd = [
            PY,
            str(HERE / "bulk_matters.py"),
            "--matters",
            str(args.matters),
            "--workers",
            str(args.load_workers),
            "--sessions",
            str(work / "sessions.json"),
            "--sessions-per-account",
            str(max(1, -(-args.users // 12))),
            "--result",
            str(work / "load.json"),
        ]
        shown = ("写入完成", "状态分布", "一致性", "!!!", "    ")  # progress lines start with spaces
        run(load_cmd, env, log, "bulk_matters.py", echo=lambda line: line.startswith(shown))
        result["load"] = json.loads((work / "load.json").read_text(encoding="utf-8"))
        run(
            [PY, "-c", SEED_CODES, str(work / "portal_codes.json"), str(PORTAL_CODES)], env, log, "seed codes"
        )
        if cluster is not None:
            cluster.restart(PG_COMMON)  # serve with fsync and synchronous commit on
        sessions = json.loads((work / "sessions.json").read_text(encoding="utf-8"))
        server = Server(server_env(env), work / "gunicorn.log", args.workers, args.threads)
        server.start()
        warm_up(server, sessions)
        print(
            f"  gunicorn {server.url} ({args.workers} workers × {args.threads} threads); "
            f"locust {args.users} users, {args.run_time} …",
            flush=True,
        )
        result.update(run_locust(server, env, work, args))
    finally:
        if server is not None:
            server.stop()
            result["server_errors"] = server_errors(server.log)
            result["busy_after"] = machine_busy()  # with the benchmark's own server stopped
        if cluster is not None:
            cluster.remove()
        if args.keep:
            print(f"  保留数据目录 / kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return result


# ---------------------------------------------------------------- report


def goal_status(result) -> tuple[bool, list[str]]:
    pages = result["pages"]
    reasons = []
    for name in GOAL_PAGES:
        row = pages.get(name)
        if row is None or row["requests"] == 0:
            reasons.append(f"{name}: no requests")
            continue
        if row["p95"] >= GOAL_P95_MS:
            reasons.append(f"{name} p95 {row['p95']:.0f} ms ≥ {GOAL_P95_MS} ms")
    errors = pages.get("overall", {}).get("errors", 0)
    if errors:
        reasons.append(f"{errors} errors")
    if result.get("server_errors"):
        reasons.append(f"{len(result['server_errors'])} server errors in the gunicorn log")
    return not reasons, reasons


def report(result, args):
    db = result["db"]
    load = result["load"]
    label = f"PostgreSQL {result['version']}" if result.get("version") else DB_LABEL[db]
    print()
    print(f"=== {label} · {result['matters']:,} 件事项 / matters ===")
    print(
        f"批量写入 / load: {load['seconds']:.1f} s for {load['rows']:,} rows "
        f"({load['matters'] / load['seconds']:,.0f} matters/s, {load['rows'] / load['seconds']:,.0f} rows/s); "
        f"migrate {result['migrate_seconds']:.1f} s"
    )
    print(
        f"负载 / load test: {args.users} users, wait {args.wait} s, {args.run_time}, "
        f"gunicorn {args.workers}×{args.threads} gthread, 1 locust process"
    )
    header = f"{_pad('页面 / page', LABEL_WIDTH)} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}"
    print(header)
    print("-" * _width(header))
    pages = result["pages"]
    for name, title in (*PAGES, ("overall", "合计 / overall")):
        row = pages.get(name)
        if row is None:
            continue
        label = f"{name:<12} {title}"
        print(
            f"{_pad(label, LABEL_WIDTH)} {row['requests']:>9,} {row['rps']:>7.1f} {row['p50']:>7.0f} "
            f"{row['p95']:>7.0f} {row['p99']:>7.0f} {row['errors']:>7,}"
        )
    for line in result.get("failures", [])[:10]:
        print(f"  ! {line}")
    for line in result.get("server_errors", [])[:10]:
        print(f"  ! gunicorn: {line}")
    before, after = result.get("busy_before", 0), result.get("busy_after", 0)
    busy = max(before, after) > BUSY_SHARE
    print(
        f"其他进程的 CPU 占用 / CPU busy without load: {before:.0%} before the run, {after:.0%} after it"
        + (
            "  !!! 其他进程在占用 CPU，数字偏高 / other processes were using the CPU: figures are too high"
            if busy
            else ""
        )
    )
    met, reasons = goal_status(result)
    scope = (
        ""
        if result["matters"] >= GOAL_MATTERS
        else f"（目标针对 {GOAL_MATTERS:,} 件 / goal is defined at 1,000,000）"
    )
    verdict = "MET 达成" if met else "MISSED 未达成"
    print(
        f"目标 / goal: 0 errors and p95 < {GOAL_P95_MS} ms for queue and detail → {verdict}"
        + (f" ({'; '.join(reasons)})" if reasons else "")
        + scope
    )


def _width(text: str) -> int:
    """Terminal columns of `text`: CJK characters take two."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--matters", type=int, default=GOAL_MATTERS, help="matters to load (default 1,000,000)"
    )
    parser.add_argument("--smoke", action="store_true", help="CI size: 5,000 matters, 15 s per database")
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (default)")
    parser.add_argument(
        "--users", type=int, default=20, help="simulated users, 4 staff to 1 citizen (default 20)"
    )
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument(
        "--run-time", default="120s", help="locust run time per database, e.g. 60s, 5m (default 120s)"
    )
    parser.add_argument("--wait", default="0.5,2", help="think time between a user's requests, s (min,max)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as xinfang run)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--load-workers", type=int, default=2, help="bulk loader processes (default 2)")
    parser.add_argument("--json", help="also write all figures to this JSON file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data directories (PostgreSQL is removed)"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.matters = 5000 if args.matters == GOAL_MATTERS else args.matters
        args.run_time = "15s" if args.run_time == "120s" else args.run_time
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    unknown = [d for d in dbs if d not in DB_LABEL]
    if unknown or not dbs:
        parser.error(f"--db: sqlite and/or postgres, not {', '.join(unknown) or 'nothing'}")

    print(
        f"负载测试 / load benchmark: {args.matters:,} matters on {', '.join(DB_LABEL[d] for d in dbs)}; "
        f"{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}",
        flush=True,
    )
    results, failed = [], False
    for db in dbs:
        print(f"\n--> {DB_LABEL[db]}", flush=True)
        try:
            results.append(bench_one(db, args))
        except BenchError as exc:
            print(f"!!! {DB_LABEL[db]}: {exc}", file=sys.stderr, flush=True)
            failed = True
    for result in results:
        report(result, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print()
    for result in results:
        met, _ = goal_status(result)
        print(f"{DB_LABEL[result['db']]:<16} {'MET' if met else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
