"""Dispute and grid event benchmark: the statistics page and the monthly 情况表 over 1,000,000
disputes and 1,000,000 grid events, beside a plain ORM GROUP BY in the same run.

    .venv/bin/python benchmarks/bench_disputes.py [--disputes 1000000] [--events 1000000] [--keep DIR] [--smoke]

Data: in DIR (a temporary one unless --keep) `xinfang migrate`, the demo city (its divisions,
units and accounts) with a grid per village, then the disputes and events written by
xinfang/core/bulk.py BulkInsert: screened (reported) over the last two years, every type, village,
grid, source and risk level, at every stage (older ones further along), with their event rows.
With --keep the database is reused on the next run.

Measured on that database, warm, as a district's 负责人 and as the city's leader: the statistics
page (GET /disputes/statistics/ for last month, through the Django test client: view, queries and
template) 20 times — p50 / p95 / max; the monthly 情况表 (.xlsx) and its 公文 summary (.docx) 3
times each; the grid event statistics page 10 times; and the plain ORM GROUP BY of last month's
disputes by type (`.values("type_top").annotate(Count)`) 20 times for comparison. The counts of the
page and of the GROUP BY must agree (MATCH). Each line gives wall-clock times and, in brackets, the
CPU time the process spent (what a call costs when the machine is shared). `--smoke`: 20,000 of
each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MARKER = "bench_disputes.json"
CHUNK = 20_000


def setup(data_dir: Path):
    os.environ["XINFANG_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    os.environ.setdefault("XINFANG_ENV_FILE", "/dev/null")
    import django

    django.setup()


def load(data_dir: Path, disputes: int, events: int) -> None:
    marker = data_dir / MARKER
    if marker.exists():
        print(f"沿用已有数据库 / reusing {data_dir}: {json.loads(marker.read_text())}", flush=True)
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "XINFANG_DATA_DIR": str(data_dir)}
    subprocess.run([PY, "-m", "xinfang", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, __file__, "--load-into", str(data_dir), "--disputes", str(disputes),
                    "--events", str(events)], cwd=ROOT, env=env, check=True)  # fmt: skip
    marker.write_text(json.dumps({"disputes": disputes, "events": events}))


def _load_rows(data_dir: Path, disputes: int, events: int) -> None:
    """In a subprocess: the demo city, grids and the rows."""
    setup(data_dir)
    from django.db import connection, transaction
    from django.utils import timezone

    from xinfang.core import clock
    from xinfang.core.bulk import BulkInsert
    from xinfang.demo.city import build_city
    from xinfang.disputes.choices import Outcome, Source, Status
    from xinfang.disputes.models import Dispute, DisputeEvent, DisputeType
    from xinfang.grid.choices import Kind
    from xinfang.grid.choices import Status as ES
    from xinfang.grid.models import Grid, GridEvent, GridEventLog
    from xinfang.org.models import Role, User

    t0 = time.perf_counter()
    city = build_city("bench-password-2025")
    with connection.cursor() as cur:
        cur.execute("PRAGMA synchronous = OFF") if connection.vendor == "sqlite" else None
    rng = random.Random(7)
    today = clock.today()
    villages = []
    for district in city.districts:
        for division, unit in district.townships:
            staff = User.objects.filter(unit=unit, role=Role.HANDLER).first()
            for place in division.children.all():
                g = Grid.objects.create(
                    code=f"{place.code}001", name=f"{place.name}第1网格", division=place, unit=unit
                )
                villages.append((place, unit, staff, g))
    leaves = list(DisputeType.objects.filter(parent__isnull=False))
    worker = User.objects.create(username="bench_grid", unit=villages[0][1], role=Role.GRID_WORKER)
    print(f"  城市和网格 / city and {len(villages)} grids ({time.perf_counter() - t0:.0f}s)", flush=True)
    stamp = timezone.now()
    sources = list(Source.values)
    span = 730

    def day_of(i, n):
        return today - timedelta(days=span - 1 - (i * span // n))

    def moment(day):
        return timezone.make_aware(datetime.combine(day, dtime(9 + rng.randint(0, 8), rng.randint(0, 59))))

    ins, log = BulkInsert(Dispute, with_pk=True), BulkInsert(DisputeEvent)
    for start in range(0, disputes, CHUNK):
        rows, logs = [], []
        for i in range(start, min(start + CHUNK, disputes)):
            place, unit, staff, g = villages[rng.randrange(len(villages))]
            t = leaves[rng.randrange(len(leaves))]
            day = day_of(i, disputes)
            age = (today - day).days
            stage = rng.random() * min(1.0, age / 60)
            status = (Status.REGISTERED if stage < 0.05 else Status.MEDIATING if stage < 0.35
                      else Status.RESOLVED if stage < 0.5 else Status.FOLLOWED_UP if stage < 0.6 else Status.CLOSED)  # fmt: skip
            outcome = "" if stage < 0.35 else (Outcome.SUCCESS if rng.random() < 0.85 else Outcome.FAILED)
            if outcome == Outcome.FAILED and status == Status.RESOLVED:
                status = Status.TRANSFERRED
            rows.append({
                "id": i + 1, "number": f"B{i + 1:012d}", "division_id": place.pk, "registered_by_id": staff.pk,
                "registering_unit_id": unit.pk, "holder_unit_id": unit.pk, "policy_set": "national",
                "created_at": stamp, "updated_at": stamp, "screened_on": day,
                "source": sources[rng.randrange(len(sources))], "dispute_type_id": t.pk, "type_top_id": t.parent_id,
                "grid_id": g.pk if rng.random() < 0.6 else None, "title": "欠薪纠纷", "summary": "基准测试数据",
                "headcount": rng.randint(2, 30), "status": status,
                "risk": "" if status == Status.REGISTERED else rng.choice(["general", "general", "larger", "major"]),
                "risk_reasons": [], "outcome": outcome, "outcome_on": day + timedelta(days=20) if outcome else None,
                "due_step": "dispute_resolve" if status == Status.MEDIATING else "",
                "due_date": day + timedelta(days=30) if status == Status.MEDIATING else None,
            })  # fmt: skip
            logs.append({"case_id": i + 1, "action": "register", "to_status": Status.REGISTERED, "at": moment(day),
                         "actor_id": staff.pk, "actor_unit_id": unit.pk, "data": {}})  # fmt: skip
        with transaction.atomic():
            ins.insert(rows)
            log.insert(logs)
        print(
            f"  矛盾纠纷 / disputes {min(start + CHUNK, disputes):,} ({time.perf_counter() - t0:.0f}s)",
            flush=True,
        )
    kinds = list(Kind.values)
    ins, log = BulkInsert(GridEvent, with_pk=True), BulkInsert(GridEventLog)
    for start in range(0, events, CHUNK):
        rows, logs = [], []
        for i in range(start, min(start + CHUNK, events)):
            place, unit, staff, g = villages[rng.randrange(len(villages))]
            day = day_of(i, events)
            at = moment(day)
            done = (today - day).days > 5
            rows.append({
                "id": i + 1, "number": f"E{i + 1:012d}", "division_id": place.pk, "registered_by_id": worker.pk,
                "registering_unit_id": unit.pk, "holder_unit_id": unit.pk, "centre_id": unit.pk,
                "handling_unit_id": unit.pk if done else None, "policy_set": "national", "created_at": stamp,
                "updated_at": stamp, "reported_by_id": worker.pk, "reported_at": at, "grid_id": g.pk,
                "kind": kinds[rng.randrange(len(kinds))], "title": "井盖缺失", "description": "基准测试数据",
                "status": ES.CLOSED if done else ES.REPORTED, "dispatched_on": day if done else None,
                "handled_on": day + timedelta(days=rng.randint(0, 6)) if done else None,
                "handled_in_time": (rng.random() < 0.9) if done else None, "verify_rounds": 1 if done else 0,
                "verify_failures": 1 if done and rng.random() < 0.1 else 0,
            })  # fmt: skip
            logs.append({"case_id": i + 1, "action": "register", "to_status": ES.REPORTED, "at": at,
                         "actor_id": worker.pk, "actor_unit_id": unit.pk, "data": {}})  # fmt: skip
        with transaction.atomic():
            ins.insert(rows)
            log.insert(logs)
        print(
            f"  网格事件 / events {min(start + CHUNK, events):,} ({time.perf_counter() - t0:.0f}s)",
            flush=True,
        )
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("ANALYZE")
    print(f"装载 / loaded in {time.perf_counter() - t0:.0f}s", flush=True)


def _times(fn, n):
    """Wall-clock milliseconds of n calls, each with the CPU milliseconds this process spent on it
    (SQLite runs in the process: on a machine shared with other work the CPU time shows what the
    call costs, the wall time what the machine gave it)."""
    out = []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        fn()
        out.append(((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000))
    return out


def _p95(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def _line(label, timed):
    ms, cpu = [w for w, _ in timed], [c for _, c in timed]
    p95 = _p95(ms)
    print(
        f"  {label:<44} p50 {statistics.median(ms):8.1f} ms   p95 {p95:8.1f} ms   max {max(ms):8.1f} ms"
        f"   (CPU p50 {statistics.median(cpu):7.1f} ms, p95 {_p95(cpu):7.1f} ms)",
        flush=True,
    )
    return p95


def measure(data_dir: Path) -> int:
    setup(data_dir)
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client

    from xinfang.core import clock
    from xinfang.disputes import stats
    from xinfang.disputes.models import Dispute
    from xinfang.grid.models import GridEvent
    from xinfang.org.models import User

    settings.ALLOWED_HOSTS = ["*"]
    settings.XINFANG_TOTP_REQUIRED = False
    today = clock.today()
    last_end = today.replace(day=1) - timedelta(days=1)
    first = last_end.replace(day=1)
    month = f"{first:%Y-%m}"
    print(f"数据 / data: {Dispute.objects.count():,} disputes, {GridEvent.objects.count():,} events; "
          f"period {first} … {last_end}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
          flush=True)  # fmt: skip
    failures = 0
    for username in ("city_leader", "district1_gov_head"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        url = f"/disputes/statistics/?from={first}&to={last_end}"
        assert client.get(url).status_code == 200
        print(f"{username}（{user.unit}）", flush=True)
        p95 = _line("统计页 / statistics page", _times(lambda c=client, u=url: c.get(u), 20))
        failures += p95 >= 300
        xlsx = _times(lambda c=client: c.get(f"/disputes/statistics/monthly.xlsx?month={month}"), 3)
        docx = _times(lambda c=client: c.get(f"/disputes/statistics/monthly.docx?month={month}"), 3)
        _line("月度情况表 .xlsx / monthly table", xlsx)
        _line("情况公文 .docx / monthly summary", docx)
        failures += max(w for w, _ in xlsx) >= 10_000
        _line("网格事件统计页 / grid statistics page",
              _times(lambda c=client: c.get(f"/grid/statistics/?from={first}&to={last_end}"), 10))  # fmt: skip
        qs = stats.base(user, first, last_end)
        orm = _times(lambda q=qs: list(q.order_by().values("type_top").annotate(n=Count("pk"))), 20)
        _line("ORM GROUP BY 纠纷大类 / plain ORM by type", orm)
        page = {r.key: r.screened for r in stats.report(user, first, last_end).by["type"]}
        plain = {r["type_top"]: r["n"] for r in qs.order_by().values("type_top").annotate(n=Count("pk"))}
        match = page == plain
        failures += not match
        print(
            f"  {'MATCH' if match else 'MISMATCH'}: {sum(plain.values()):,} disputes last month", flush=True
        )
    print(
        "通过 / PASS: statistics p95 < 300 ms, 情况表 < 10 s" if not failures else "未达标 / FAIL", flush=True
    )
    return 1 if failures else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disputes", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", help="data directory kept between runs")
    parser.add_argument("--smoke", action="store_true", help="20,000 of each (CI)")
    parser.add_argument("--load-into", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.disputes = args.events = 20_000
    if args.load_into:
        _load_rows(Path(args.load_into), args.disputes, args.events)
        return 0
    if args.measure:
        return measure(Path(args.measure))
    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-disputes-"))
    load(data_dir, args.disputes, args.events)
    env = {**os.environ, "XINFANG_DATA_DIR": str(data_dir)}
    return subprocess.run([PY, __file__, "--measure", str(data_dir)], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
