"""Dashboard benchmark: panel latencies from the column store (xinfang.analytics) at N and N×scale
matters, beside the same counts by a plain ORM GROUP BY on the database, measured in the same run.

    .venv/bin/python benchmarks/bench_dashboard.py [--matters 1000000] [--scale 10] [--keep DIR]
        [--smoke] [--orm-repeats 1]

Data: in DIR (a temporary one unless --keep) `xinfang migrate` and benchmarks/bulk_matters.py load
N matters (the demo city, two years of receipts, every matter's story up to today). For the
larger size the database is copied to DIR-xK and every matter is copied K−1 more times in SQL
with new ids and tracking codes and the same receipt dates: a city K times as busy (events are not
copied: no panel reads them). With --keep both databases are reused on the next run.

For each size, in a subprocess on that database: `xinfang analytics refresh` (seconds, peak RSS,
size on disk), then every panel of the dashboard (its figures laid out as the page's table and
chart) for 2 periods (a month, a year) × 6 filters
(none; channel; first-level category; district; handling unit; all four) — each call 5 times,
warm — and the same breakdowns as ORM GROUP BY queries (filter on the period and the dimensions,
`.values(dimension).annotate(Count)` for the period, 同比 and 环比) once each. The counts of both
must agree (MATCH). Printed: p50 / p95 / max per panel for the column store, and per breakdown for
the ORM, for each size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PY = sys.executable
MARKER = "bench_dashboard.json"


def load(data_dir: Path, matters: int) -> None:
    marker = data_dir / MARKER
    if marker.exists():
        print(
            f"沿用已有数据库 / reusing {data_dir}: {json.loads(marker.read_text())['matters']:,} matters",
            flush=True,
        )
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "XINFANG_DATA_DIR": str(data_dir)}
    subprocess.run([PY, "-m", "xinfang", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    t = time.perf_counter()
    subprocess.run(
        [PY, str(HERE / "bulk_matters.py"), "--matters", str(matters), "--no-check"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"装载 / loaded {matters:,} matters in {time.perf_counter() - t:.0f}s", flush=True)
    marker.write_text(json.dumps({"matters": matters}))


def replicate(source: Path, target: Path, scale: int) -> None:
    """target: source's database with every matter copied scale−1 more times."""
    marker = target / MARKER
    if marker.exists():
        print(
            f"沿用已有数据库 / reusing {target}: {json.loads(marker.read_text())['matters']:,} matters",
            flush=True,
        )
        return
    t = time.perf_counter()
    shutil.rmtree(target, ignore_errors=False) if target.exists() else None
    target.mkdir(parents=True)
    for name in ("keys.json",):
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    with sqlite3.connect(source / "xinfang.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(source / "xinfang.sqlite3", target / "xinfang.sqlite3")
    db = sqlite3.connect(target / "xinfang.sqlite3")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    cols = [r[1] for r in db.execute("PRAGMA table_info(petitions_matter)") if r[1] not in ("id", "code")]
    top = db.execute("SELECT max(id) FROM petitions_matter").fetchone()[0]
    listed = ", ".join(cols)
    for k in range(1, scale):
        db.execute(
            f"INSERT INTO petitions_matter (id, code, {listed}) "
            f"SELECT id + {k} * {top}, printf('R%d%010d', {k}, id), {listed} FROM petitions_matter WHERE id <= {top}"
        )
        db.commit()
        print(f"  复制 / copy {k}/{scale - 1} ({time.perf_counter() - t:.0f}s)", flush=True)
    n = db.execute("SELECT count(*) FROM petitions_matter").fetchone()[0]
    db.close()
    marker.write_text(json.dumps({"matters": n}))
    print(f"扩充 / replicated to {n:,} matters in {time.perf_counter() - t:.0f}s", flush=True)


# ------------------------------------------------------------------------ measuring (subprocess)


def measure(data_dir: Path, repeats: int, orm_repeats: int) -> dict:
    os.environ["XINFANG_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from django.db.models import Count, Q, Sum
    from django.utils import timezone

    from xinfang.analytics import display, panels, snapshot
    from xinfang.analytics.panels import Period, Selection
    from xinfang.core import clock
    from xinfang.org.models import Division, Unit
    from xinfang.petitions.models import Category, Matter

    t = time.perf_counter()
    built = snapshot.refresh()
    build_s = time.perf_counter() - t
    build_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    folder = snapshot.root() / built["generation"]
    disk = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
    frame = snapshot.current()
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    periods = {
        "month": Period(last_month_end.replace(day=1), last_month_end),
        "year": Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }
    city = Division.objects.filter(level=2).order_by("code").first()
    district = Division.objects.filter(level=3).order_by("code").first()
    category = Category.objects.filter(parent__isnull=True).order_by("order", "id").first()
    unit = Unit.objects.get(
        pk=Matter.objects.filter(handling_unit__isnull=False).values_list("handling_unit", flat=True)[:1][0]
    )
    channel = "online"
    filters = {
        "none": {},
        "channel": {"channel": channel},
        "category": {"category": category},
        "district": {"division": district},
        "unit": {"unit": unit},
        "all four": {"channel": channel, "category": category, "division": district, "unit": unit},
    }
    pos = {
        "categories": frame.categories.position(),
        "divisions": frame.divisions.position(),
        "units": frame.units.position(),
    }
    channel_code = [c for c, _ in frame.channels].index(channel)

    def selection(period, f):
        return Selection(
            frame=frame,
            period=period,
            today=today,
            channel=channel_code if "channel" in f else None,
            category=pos["categories"][f["category"].pk] if "category" in f else None,
            division=pos["divisions"][(f.get("division") or city).pk],
            unit=pos["units"][f["unit"].pk] if "unit" in f else None,
            visible=Matter.objects.all(),
        )

    names = display.DASHBOARD
    timings = {n: [] for n in names}
    for period in periods.values():
        for f in filters.values():
            sc = selection(period, f)
            for n in names:
                display.table(n, sc)  # warm
                for _ in range(repeats):
                    t = time.perf_counter()
                    display.table(n, sc)  # the panel's figures, laid out as the page shows them
                    timings[n].append(time.perf_counter() - t)

    def orm_rows(period, f, dim):
        qs = Matter.objects.filter(
            received_at__gte=clock.local_datetime(period.first),
            received_at__lt=clock.local_datetime(period.last + timedelta(days=1)),
            division__path__startswith=(f.get("division") or city).path,
        )
        if "channel" in f:
            qs = qs.filter(channel=f["channel"])
        if "category" in f:
            qs = qs.filter(Q(category=f["category"]) | Q(category__parent=f["category"]))
        if "unit" in f:
            u = f["unit"]
            qs = qs.filter(Q(handling_unit=u) | Q(handling_unit__isnull=True, holder_unit=u))
        return dict(qs.values(dim).annotate(n=Count("id"), heads=Sum("headcount")).values_list(dim, "n"))

    orm_dims = {
        "by_channel": "channel",
        "by_nature": "nature",
        "by_category": "category__parent__name",
        "by_unit": "handling_unit",
    }
    orm_times = {n: [] for n in orm_dims}
    mismatches = []
    for pname, period in periods.items():
        for fname, f in filters.items():
            for n, dim in orm_dims.items():
                for _ in range(orm_repeats):
                    t = time.perf_counter()
                    now = orm_rows(period, f, dim)
                    orm_rows(period.last_year(), f, dim)
                    orm_rows(period.previous(), f, dim)
                    orm_times[n].append(time.perf_counter() - t)
                if n == "by_channel" and orm_repeats:
                    ours = {r.key: r.count for r in panels.by_channel(selection(period, f)).rows if r.count}
                    theirs = {k: v for k, v in now.items() if v}
                    if ours != theirs:
                        mismatches.append((pname, fname, ours, theirs))

    def stats(values):
        if not values:
            return None
        ms = sorted(v * 1000 for v in values)
        return {
            "p50": statistics.median(ms),
            "p95": ms[max(0, int(len(ms) * 0.95) - 1)],
            "max": ms[-1],
            "n": len(ms),
        }

    return {
        "matters": len(frame),
        "build_s": build_s,
        "build_rss_mib": build_rss,
        "disk_mib": disk,
        "frame": {n: stats(v) for n, v in timings.items()},
        "orm": {n: stats(v) for n, v in orm_times.items() if v},
        "mismatches": [str(m) for m in mismatches],
    }


def run_measure(data_dir: Path, args) -> dict:
    out = subprocess.run(
        [
            PY,
            __file__,
            "--measure",
            str(data_dir),
            "--repeats",
            str(args.repeats),
            "--orm-repeats",
            str(args.orm_repeats),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"measure failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(size: dict) -> None:
    print(
        f"\n== {size['matters']:,} 件事项 / matters ==  列存生成 / snapshot build {size['build_s']:.1f}s, "
        f"peak RSS {size['build_rss_mib']:.0f} MiB, on disk {size['disk_mib']:.0f} MiB"
    )
    print(f"{'panel':20s} {'column store p50/p95/max ms':>30s}   {'ORM GROUP BY p50/p95/max ms':>30s}")
    for name, s in size["frame"].items():
        orm = size["orm"].get(name)
        right = f"{orm['p50']:9.1f} {orm['p95']:9.1f} {orm['max']:9.1f}" if orm else f"{'—':>29s}"
        print(f"{name:20s} {s['p50']:9.1f} {s['p95']:9.1f} {s['max']:9.1f}    {right}")
    worst = max(s["p95"] for s in size["frame"].values())
    orm_worst = max((s["p95"] for s in size["orm"].values()), default=0)
    print(
        f"最慢面板 p95 / worst panel p95: column store {worst:.1f} ms, ORM GROUP BY {orm_worst:.1f} ms "
        f"({orm_worst / worst:.0f}×); target < 500 ms: {'MET' if worst < 500 else 'MISSED'}"
    )
    print(
        "计数一致 / counts: "
        + ("MATCH" if not size["mismatches"] else "MISMATCH " + "; ".join(size["mismatches"][:3]))
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--matters", type=int, default=1_000_000)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--keep", help="keep (and reuse) the databases in this directory")
    parser.add_argument("--smoke", action="store_true", help="20,000 matters ×2: a quick check")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--orm-repeats", type=int, default=1, help="0: column store only")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(Path(args.measure), args.repeats, args.orm_repeats)))
        return 0
    if args.smoke:
        args.matters, args.scale = 20_000, 2
    print(
        f"负载 / load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)",
        flush=True,
    )
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xf-bench-dash-"))
    small = base / f"n{args.matters}"
    try:
        load(small, args.matters)
        sizes = [run_measure(small, args)]
        report(sizes[0])
        if args.scale > 1:
            big = base / f"n{args.matters}x{args.scale}"
            replicate(small, big, args.scale)
            sizes.append(run_measure(big, args))
            report(sizes[-1])
    finally:
        if not args.keep:
            shutil.rmtree(base)
    return 1 if any(s["mismatches"] for s in sizes) else 0


if __name__ == "__main__":
    sys.exit(main())
