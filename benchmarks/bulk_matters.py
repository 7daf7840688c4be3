"""Loader for the benchmarks: the demo city and N matters, written through the product's write path.

    XINFANG_DATA_DIR=/tmp/xf-bench-x .venv/bin/python benchmarks/bulk_matters.py --matters 1000000 \\
        [--workers 2] [--batch 2000] [--seed 1] [--sessions FILE] [--sessions-per-account 4]

The database must be migrated (`xinfang migrate`). The loader builds the demo city (divisions, units,
accounts: xinfang.demo.city.build_city) and then runs the demo's generator (xinfang/demo/generate.py)
in `--workers` processes: every matter is registered and moved through the case kernel's engine —
the same transition functions, deadlines, events, links and encrypted petitioners as the pages — and
its plans are written in bulk sessions (xinfang/cases/plan.py) of `--batch` matters. Each process
writes its own range of matter ids and holds no database lock while it generates, so the processes
overlap; each flush is one transaction of bulk inserts (executemany on SQLite, COPY on PostgreSQL).

What the demo writes and the loader leaves out: notices (the outbox of a history is not part of any
measurement) and the audit log's one record per flush is kept. Afterwards the matter id sequence is
reset (PostgreSQL), PostgreSQL is VACUUM ANALYZEd as autovacuum would have done (SQLite gets no
statistics: the product never runs ANALYZE; --analyze yes to compare), a sample of matters is checked
for consistency, and — with --sessions — signed-in sessions are created for the benchmark accounts
(see BENCH_ACCOUNTS) and written to a JSON file for the locust scenario.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402

from xinfang.core import crypto  # noqa: E402
from xinfang.demo import DEFAULT_PASSWORD  # noqa: E402
from xinfang.demo.city import build_city, city_exists, load_city  # noqa: E402
from xinfang.demo.generate import BATCH, Generator  # noqa: E402
from xinfang.org.models import Role, User  # noqa: E402
from xinfang.petitions.choices import Status  # noqa: E402
from xinfang.petitions.models import Matter, MatterEvent, MatterUnit, Petitioner, id_number_hash, phone_hash  # noqa: E402
from xinfang.petitions.workflow import STEP_OF_STATUS  # noqa: E402

R = Role

# Accounts the locust scenario signs in as: registrars, dispatchers and handlers at city, district
# (and county) and township level, so that every scoping rule is exercised.
BENCH_ACCOUNTS = (
    "city_registrar",
    "city_dispatcher",
    "zhujian_handler",
    "renshe_handler",
    "district1_registrar",
    "district1_dispatcher",
    "district2_dispatcher",
    "district1_zhujian_handler",
    "district4_nongye_handler",
    "district1_town1_handler",
    "district2_town2_handler",
    "district4_town1_handler",
)


def reserved_ids(start: int):
    """The session's id allocator for one process: matters from `start` on (the ranges of the
    processes do not overlap)."""
    following = [start]

    def allocate(model):
        if model is not Matter:
            raise RuntimeError(f"no id range reserved for {model.__name__}")
        following[0] += 1
        return following[0] - 1

    return allocate


def write_range(worker: int, start: int, count: int, seed: int, batch: int) -> dict:
    """Generate and write `count` matters with ids from `start`, in bulk sessions of `batch`."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            # This loader connection only: a bigger page cache, no fsync (a throwaway benchmark
            # database), and fewer WAL checkpoints while the tables grow.
            cur.execute("PRAGMA cache_size = -1048576")
            cur.execute(f"PRAGMA synchronous = {os.environ.get('XF_BULK_SYNC', 'OFF')}")
            cur.execute(f"PRAGMA wal_autocheckpoint = {os.environ.get('XF_BULK_CKPT', '10000')}")
    generator = Generator(
        load_city(),
        matters=count,
        seed=seed * 1000 + worker,
        showcases=worker == 0,
        session_options={"transactional": False, "ids": reserved_ids(start), "keep_notices": False},
        batch=batch,
    )
    began = time.perf_counter()
    generator.run()
    connections.close_all()
    return {"matters": count, "seconds": time.perf_counter() - began, "statuses": generator.counts}


def _work(args):
    return write_range(*args)


def load(n: int, *, workers: int, batch: int, seed: int, analyze=None, progress=print) -> dict:
    started = time.perf_counter()
    if not city_exists():
        build_city(DEFAULT_PASSWORD)
    # Read (or, in a new data directory, create) the encryption keys once, before the workers fork:
    # each worker would otherwise create its own key file on first use, and encrypt with its own key.
    crypto.keyring()
    first = (Matter.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    workers = max(1, min(workers, n))
    shares = [n // workers + (1 if w < n % workers else 0) for w in range(workers)]
    starts = [first + sum(shares[:w]) for w in range(workers)]
    tasks = [(w, starts[w], shares[w], seed, batch) for w in range(workers) if shares[w]]
    totals = {"matters": 0, "statuses": {}, "worker_seconds": []}

    def add(result):
        totals["matters"] += result["matters"]
        totals["worker_seconds"].append(round(result["seconds"], 1))
        for k, v in result["statuses"].items():
            totals["statuses"][k] = totals["statuses"].get(k, 0) + v
        elapsed = time.perf_counter() - started
        progress(f"  {totals['matters']:>9,} / {n:,} 件事项 / matters  {elapsed:6.1f}s")

    if len(tasks) == 1:
        add(_work(tasks[0]))
    else:
        connections.close_all()  # no connection may cross the fork
        with multiprocessing.get_context("fork").Pool(len(tasks)) as pool:
            for result in pool.imap_unordered(_work, tasks):
                add(result)
    insert_seconds = time.perf_counter() - started
    finishing = time.perf_counter()
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Matter]):
                cur.execute(sql)
    if analyze is None:
        # As in a deployment that grew to this size: PostgreSQL's autovacuum has vacuumed and
        # analysed the tables (done here, so that it does not run during the measurement); SQLite
        # has no statistics, because nothing in the product runs ANALYZE.
        analyze = connection.vendor == "postgresql"
    if analyze:
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    totals["events"] = MatterEvent.objects.count()
    totals["units"] = MatterUnit.objects.count()
    totals["petitioners"] = Petitioner.objects.count()
    totals["analyzed"] = analyze
    totals["insert_seconds"] = insert_seconds
    totals["analyze_seconds"] = time.perf_counter() - finishing
    totals["seconds"] = time.perf_counter() - started
    return totals


# ---------------------------------------------------------------- checks and sessions


def check_sample(k: int = 300, seed: int = 7) -> list[str]:
    """Compare a sample of loaded matters with what the write path would have stored."""
    from xinfang.petitions.scoping import can_see

    problems = []
    ids = list(Matter.objects.values_list("id", flat=True).order_by("id"))
    rng = random.Random(seed)
    sample = rng.sample(ids, min(k, len(ids)))
    registrars = {u.unit_id: u for u in User.objects.filter(role=R.REGISTRAR)}
    for m in Matter.objects.filter(pk__in=sample).select_related("division", "holder_unit"):
        events = list(m.events.order_by("at", "id"))
        if m.version != len(events):
            problems.append(f"{m.pk}: version {m.version} != {len(events)} events")
        if not events or events[0].action != "register" or events[-1].to_status != m.status:
            problems.append(f"{m.pk}: history does not end in status {m.status}")
        if any(a.at > b.at for a, b in zip(events, events[1:], strict=False)):
            problems.append(f"{m.pk}: events out of order")
        units = set(m.unit_links.values_list("unit_id", flat=True))
        if m.registering_unit_id not in units or (m.handling_unit_id and m.handling_unit_id not in units):
            problems.append(f"{m.pk}: missing MatterUnit rows")
        step = STEP_OF_STATUS.get(m.status)
        if (step or "") != m.due_step or bool(step) != bool(m.due_date):
            problems.append(f"{m.pk}: due_step {m.due_step!r} does not fit status {m.status}")
        if not can_see(registrars[m.registering_unit_id], m):
            problems.append(f"{m.pk}: registering bureau cannot see it")
        for p in m.petitioners.all():
            if p.id_number_hash != id_number_hash(p.id_number) or p.phone_hash != phone_hash(p.phone):
                problems.append(f"{m.pk}: search hashes do not match")
    with connection.cursor() as cur:
        table = Petitioner._meta.db_table
        cur.execute(f"SELECT name, address FROM {table} WHERE matter_id = %s", [sample[0]])  # noqa: S608
        for name, address in cur.fetchall():
            if not (name.startswith("sm4gcm:") and address.startswith("sm4gcm:")):
                problems.append(f"{sample[0]}: petitioner stored as plain text")
    return problems


def create_sessions(usernames, per_account: int) -> list[dict]:
    """Signed-in sessions, as django.contrib.auth.login leaves them (no second factor: the bench
    server runs with XINFANG_TOTP_REQUIRED=false)."""
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore
    users = {u.username: u for u in User.objects.filter(username__in=usernames).select_related("unit")}
    missing = [name for name in usernames if name not in users]
    if missing:
        raise SystemExit(f"演示城市中没有这些账号 / unknown accounts: {', '.join(missing)}")
    sessions = []
    for i in range(per_account):
        for name in usernames:
            user = users[name]
            s = store()
            s[SESSION_KEY] = user._meta.pk.value_to_string(user)
            s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            s[HASH_SESSION_KEY] = user.get_session_auth_hash()
            s.create()
            sessions.append(
                {
                    "username": name,
                    "role": user.role,
                    "unit": user.unit.name,
                    "session": s.session_key,
                    "copy": i,
                }
            )
    return sessions


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matters", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="loader processes (default 2)")
    parser.add_argument("--batch", type=int, default=BATCH, help="matters per bulk session")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sessions", help="write signed-in sessions of the benchmark accounts to this JSON file"
    )
    parser.add_argument("--sessions-per-account", type=int, default=4)
    parser.add_argument("--accounts", default=",".join(BENCH_ACCOUNTS), help="comma-separated usernames")
    parser.add_argument("--result", help="write the load figures to this JSON file")
    parser.add_argument("--no-check", action="store_true", help="skip the consistency check of a sample")
    parser.add_argument(
        "--analyze",
        choices=["auto", "yes", "no"],
        default="auto",
        help="run ANALYZE afterwards (auto: on PostgreSQL, as autovacuum would; not on SQLite)",
    )
    args = parser.parse_args(argv)

    vendor = connection.vendor
    print(
        f"批量写入 {args.matters:,} 件事项 / bulk loading {args.matters:,} matters into {vendor} …",
        flush=True,
    )
    totals = load(
        args.matters,
        workers=args.workers,
        batch=args.batch,
        seed=args.seed,
        analyze={"auto": None, "yes": True, "no": False}[args.analyze],
        progress=lambda line: print(line, flush=True),
    )
    rows = totals["matters"] + totals["events"] + totals["units"] + totals["petitioners"]
    totals["rows"] = rows
    totals["vendor"] = vendor
    print(
        f"写入完成 / loaded: {totals['matters']:,} matters, {totals['events']:,} events, "
        f"{totals['units']:,} matter-unit links, {totals['petitioners']:,} petitioners = {rows:,} rows "
        f"in {totals['seconds']:.1f}s (inserts {totals['insert_seconds']:.1f}s, "
        f"{'(VACUUM) ANALYZE' if totals['analyzed'] else 'no ANALYZE'} {totals['analyze_seconds']:.1f}s; "
        f"processes {totals['worker_seconds']} s) → {totals['matters'] / totals['seconds']:,.0f} matters/s, "
        f"{rows / totals['seconds']:,.0f} rows/s"
    )
    order = [s.value for s in Status]
    print(
        "状态分布 / statuses: "
        + ", ".join(
            f"{Status(s).label} {totals['statuses'][s]:,}" for s in order if totals["statuses"].get(s)
        )
    )
    if not args.no_check:
        problems = check_sample()
        totals["check_problems"] = problems
        if problems:
            print("!!! 一致性检查发现问题 / consistency problems:\n  " + "\n  ".join(problems[:20]))
        else:
            print(
                "一致性检查通过 / sample of 300 matters consistent (version, history, links, deadlines, hashes)"
            )
    if args.sessions:
        usernames = [u.strip() for u in args.accounts.split(",") if u.strip()]
        sessions = create_sessions(usernames, args.sessions_per_account)
        Path(args.sessions).write_text(json.dumps(sessions, ensure_ascii=False, indent=1), encoding="utf-8")
        print(
            f"已为 {len(usernames)} 个账号创建 {len(sessions)} 个会话 / sessions written to {args.sessions}"
        )
    if args.result:
        Path(args.result).write_text(json.dumps(totals, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if totals.get("check_problems") else 0


if __name__ == "__main__":
    sys.exit(main())
