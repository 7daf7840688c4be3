"""Unit scoring benchmark: every unit's score for a year over N matters, from the GROUP BY counts of
`xinfang.supervision.score_counts`, next to the same counts taken by per-matter Python loops in the same run.

    .venv/bin/python benchmarks/bench_scoring.py [--matters 1000000] [--year YYYY] [--smoke]
        [--keep DIR] [--load-workers 2] [--seed 1]

In a fresh XINFANG_DATA_DIR under /tmp (SQLite; XINFANG_DATABASE_URL is ignored): `xinfang migrate`,
then benchmarks/bulk_matters.py's `load()` writes the demo city and N matters with their events
(which carry the step, deadline, responsible unit and on-time flag that scoring counts), ratings
and rating windows. The loader writes neither repeat petitions nor 领导包案, so this script adds
them, seeded: `repeat_of` on about 3 % of the matters, each pointing to an earlier matter of the
same category and division (bulk UPDATE), and CaseOwnership rows for about 0.5 % of the handled
matters (bulk_create; the leader of the handling unit's government, the handling unit responsible,
nine in ten resolved within three months).

Then, for the year (default: the last full calendar year the data covers):

* group: `score_counts.unit_counts(start, end, today)` for all units, then `scorecard.score` for each
  with `score_counts.active_weights()` — run twice, the first run on whatever the page cache holds;
* loops: the same Counts from every Matter, MatterEvent and CaseOwnership row streamed into Python
  (`values_list(...).iterator()`, no WHERE, no GROUP BY) and tested one at a time against the
  definitions in the docstring of score_counts.py, then scored the same way.

The two {unit: Counts} must be equal (MATCH; otherwise the first differences are listed and the
exit status is 1). Printed: seconds, units scored, queries, rows read and peak RSS per method, the
speed-up, the top and bottom 5 of the ranking, and the drill-down `matters_behind(part, unit, ...)
.count()` for the unit with the largest count of each part (timed, and compared with the count).

`--keep DIR` keeps the database in DIR and reuses it on the next run (no load): for development.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PY = sys.executable
MARKER = "bench_scoring.json"  # in a kept data directory: what was loaded
REPEAT_SHARE = 0.03
OWNED_SHARE = 0.005
CHUNK = 20_000  # rows per fetch when streaming

# The definitions of score_counts.py's docstring, written out again for the loops (not imported from it).
TIMELY = frozenset({"dispatch", "acceptance"})  # 转送交办, 受理告知
REPLY = frozenset({"handling", "review_decision", "rereview_decision"})  # 处理意见, 复查, 复核
GOOD = frozenset({"satisfied", "basically"})


# ---------------------------------------------------------------- memory


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux ≥ 4.0), so that each method's peak
    is its own and not the loader's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _status_kib(field: str) -> int | None:
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    except OSError:
        return None
    return int(found.group(1)) if found else None


def peak_mib() -> float:
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


def rss_mib() -> float:
    return (_status_kib("VmRSS") or 0) / 1024


def pad(text: str, width: int) -> str:
    """Left-justify for a terminal: CJK characters take two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- the database


def prepare(args, data_dir: Path) -> dict:
    """Migrate, load N matters, add repeats and 包案; or reuse what a kept directory holds."""
    marker = data_dir / MARKER
    if marker.exists():
        info = json.loads(marker.read_text(encoding="utf-8"))
        print(
            f"沿用已有数据库 / reusing {data_dir}: {info['matters']:,} matters loaded {info['loaded_on']} "
            f"(seed {info['seed']}), {info['repeats']:,} repeats, {info['ownerships']:,} 包案",
            flush=True,
        )
        if info["matters"] != args.matters:
            print(f"  (--matters {args.matters:,} ignored: the kept database has {info['matters']:,})")
        return info
    if (data_dir / "xinfang.sqlite3").exists():
        raise SystemExit(
            f"{data_dir} 中的数据库不是本基准装载完成的（没有 {MARKER}），请删除后重试 / "
            "holds a database this benchmark did not finish loading: remove it"
        )
    t = time.perf_counter()
    proc = subprocess.run(
        [PY, "-m", "xinfang", "migrate", "-v", "0"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"xinfang migrate 失败 / failed:\n{proc.stdout}{proc.stderr}")
    migrate_s = time.perf_counter() - t
    print(f"migrate {migrate_s:.1f}s; 批量写入 / bulk load {args.matters:,} matters …", flush=True)

    sys.path.insert(0, str(HERE))
    import bulk_matters  # sets Django up: XINFANG_DATA_DIR must be set before
    from django.utils import timezone

    totals = bulk_matters.load(
        args.matters,
        workers=args.load_workers,
        batch=2000,
        seed=args.seed,
        progress=lambda line: print(line, flush=True),
    )
    rows = totals["matters"] + totals["events"] + totals["units"] + totals["petitioners"]
    print(
        f"写入完成 / loaded: {totals['matters']:,} matters, {totals['events']:,} events, {rows:,} rows in "
        f"{totals['seconds']:.1f}s ({totals['matters'] / totals['seconds']:,.0f} matters/s)",
        flush=True,
    )
    problems = bulk_matters.check_sample()
    if problems:
        raise SystemExit(
            "装载数据不一致 / the loaded sample is inconsistent:\n  " + "\n  ".join(problems[:20])
        )
    t = time.perf_counter()
    rng = random.Random(f"scoring:{args.seed}")
    repeats = add_repeats(rng, args.matters)
    ownerships = add_ownerships(rng, args.matters, timezone.localdate())
    extras_s = time.perf_counter() - t
    print(
        f"重复信访 / repeat petitions: {repeats:,}; 领导包案 / leader-owned cases: {ownerships:,} "
        f"({extras_s:.1f}s)",
        flush=True,
    )
    info = {
        "matters": totals["matters"],
        "events": totals["events"],
        "rows": rows,
        "load_seconds": round(totals["seconds"], 1),
        "migrate_seconds": round(migrate_s, 1),
        "extras_seconds": round(extras_s, 1),
        "repeats": repeats,
        "ownerships": ownerships,
        "seed": args.seed,
        "loaded_on": str(date.today()),
    }
    marker.write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


def add_repeats(rng: random.Random, n: int) -> int:
    """repeat_of on about REPEAT_SHARE of the matters: an earlier matter (in order of receipt) of
    the same category and division, one of the last 20 such. One UPDATE per row, executemany."""
    from django.db import connection, transaction

    from xinfang.petitions.models import Matter

    earlier = defaultdict(list)  # (category, division) → matter ids in order of receipt
    eligible = []  # (matter id, group, how many earlier matters the group had)
    rows = Matter.objects.order_by("received_at", "id").values_list("id", "category_id", "division_id")
    for mid, category, division in rows.iterator(chunk_size=CHUNK):
        seen = earlier[(category, division)]
        if seen:
            eligible.append((mid, seen, len(seen)))
        seen.append(mid)
    chosen = rng.sample(eligible, min(len(eligible), round(n * REPEAT_SHARE)))
    pairs = [(seen[rng.randrange(max(0, k - 20), k)], mid) for mid, seen, k in chosen]
    table = Matter._meta.db_table
    column = Matter._meta.get_field("repeat_of").column
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s", pairs)  # noqa: S608
    return len(pairs)


def add_ownerships(rng: random.Random, n: int, today: date) -> int:
    """领导包案 for about OWNED_SHARE of the matters that were accepted by a handling unit: the leader
    of the nearest government above the unit, the unit responsible, started after acceptance, nine
    in ten resolved within three months (those whose day would be after today are still open)."""
    from xinfang.org.models import Role, Unit, User
    from xinfang.petitions.choices import Resolution
    from xinfang.petitions.models import Matter
    from xinfang.supervision.models import CaseOwnership

    units = {u.pk: u for u in Unit.objects.all()}
    leaders = sorted(
        User.objects.filter(role=Role.LEADER, is_active=True).select_related("unit"),
        key=lambda u: -len(u.unit.path),
    )
    if not leaders:
        raise SystemExit("演示城市中没有领导账号 / no leader accounts in the demo city")

    def leader_for(unit):
        path = units[unit].path
        return next((u for u in leaders if path.startswith(u.unit.path)), leaders[-1])

    handled = Matter.objects.filter(handling_unit__isnull=False, accepted_on__isnull=False)
    ids = list(handled.order_by("id").values_list("id", flat=True))
    picked = sorted(rng.sample(ids, min(len(ids), round(n * OWNED_SHARE))))
    resolutions = list(Resolution.values)
    rows = []
    for lo in range(0, len(picked), 5000):
        chunk = picked[lo : lo + 5000]
        for mid, unit, accepted in (
            Matter.objects.filter(pk__in=chunk)
            .order_by("id")
            .values_list("id", "handling_unit_id", "accepted_on")
        ):
            started = min(accepted + timedelta(days=rng.randint(0, 90)), today)
            leader = leader_for(unit)
            resolved = started + timedelta(days=rng.randint(7, 90)) if rng.random() < 0.9 else None
            if resolved is not None and resolved > today:
                resolved = None
            rows.append(
                CaseOwnership(
                    matter_id=mid,
                    leader=leader,
                    unit_id=unit,
                    plan="召开协调会，明确责任单位和化解时限，逐项落实诉求。",
                    started_on=started,
                    target_date=started + timedelta(days=rng.randint(30, 180)),
                    state=CaseOwnership.State.RESOLVED if resolved else CaseOwnership.State.ACTIVE,
                    resolved_on=resolved,
                    resolution=rng.choice(resolutions) if resolved else "",
                    result="经包案领导协调，诉求已依法依规处理，信访人表示息诉罢访。" if resolved else "",
                    created_by=leader,
                )
            )
    CaseOwnership.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def default_year(today: date) -> tuple[int, str]:
    """The last calendar year the data covers in full (receipts span the two years before today)."""
    from django.utils import timezone

    from xinfang.petitions.models import Matter

    first = Matter.objects.order_by("received_at").values_list("received_at", flat=True).first()
    year = today.year - 1
    note = ""
    if first is None:
        note = "（没有事项 / no matters）"
    elif date(year, 1, 1) < timezone.localdate(first):
        note = f"（数据从 {timezone.localdate(first)} 开始，本年度不完整 / only partly covered）"
    return year, note


# ---------------------------------------------------------------- the two methods


class QueryCounter:
    """Counts the SQL statements run on the default connection (execute_wrapper)."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def by_group(start: date, end: date, today: date):
    """What the product does: the GROUP BY counts of score_counts.py, then the pure scoring."""
    from xinfang.supervision import score_counts, scorecard

    counts = score_counts.unit_counts(start, end, today)
    weights = score_counts.active_weights()
    return counts, {unit: scorecard.score(c, weights) for unit, c in counts.items()}, None


def by_loops(start: date, end: date, today: date):
    """The same Counts, one row at a time in Python: every matter, event and 包案 in the database."""
    from django.utils import timezone

    from xinfang.petitions.models import Matter, MatterEvent
    from xinfang.supervision import score_counts, scorecard
    from xinfang.supervision.models import CaseOwnership
    from xinfang.supervision.scorecard import Counts

    counts = defaultdict(Counts)
    last = min(end, today - timedelta(days=1))  # deadlines in the period that have passed by today
    passed = last >= start
    tz = timezone.get_current_timezone()
    received_from = datetime.combine(start, dtime.min, tz)
    received_until = datetime.combine(end + timedelta(days=1), dtime.min, tz)  # exclusive
    rows = 0

    # Steps completed: the responsible unit, on time or late, in the period holding the deadline.
    events = MatterEvent.objects.order_by().values_list("step", "due_on", "unit_id", "on_time")
    for step, due_on, unit, on_time in events.iterator(chunk_size=CHUNK):
        rows += 1
        if unit is None or due_on is None or due_on < start or due_on > end:
            continue
        if step in TIMELY:
            c = counts[unit]
            if on_time is True:
                c.timely_on += 1
            elif on_time is False:
                c.timely_late += 1
        elif step in REPLY:
            c = counts[unit]
            if on_time is True:
                c.reply_on += 1
            elif on_time is False:
                c.reply_late += 1

    # Matters: steps still undone past their deadline, ratings, rating windows, receipts.
    unit_of = {}  # matter id → its handling unit, else its registering unit (for repeats)
    repeated = []  # matters petitioned again by a matter received in the period
    matters = Matter.objects.order_by().values_list(
        "id",
        "received_at",
        "registering_unit_id",
        "holder_unit_id",
        "handling_unit_id",
        "due_step",
        "due_date",
        "clock_paused",
        "rating",
        "rated_on",
        "rating_due",
        "repeat_of_id",
    )
    for mid, received_at, registering, holder, handling, due_step, due_date, paused, rating, rated_on, rating_due, repeat_of in (
        matters.iterator(chunk_size=CHUNK)
    ):  # fmt: skip
        rows += 1
        unit_of[mid] = handling if handling is not None else registering
        # (a hearing's paused clock leaves the stored due date provisional: not overdue)
        if (
            passed
            and not paused
            and due_date is not None
            and start <= due_date <= last
            and holder is not None
        ):
            if due_step in TIMELY:
                counts[holder].timely_open += 1
            elif due_step in REPLY:
                counts[holder].reply_open += 1
        if handling is not None:
            if rated_on is not None and start <= rated_on <= end:
                c = counts[handling]
                c.rated += 1
                if rating in GOOD:
                    c.satisfied += 1
            if passed and rating == "" and rating_due is not None and start <= rating_due <= last:
                counts[handling].unrated_expired += 1
        if received_from <= received_at < received_until:
            if repeat_of is not None:
                repeated.append(repeat_of)
            if handling is not None:
                counts[handling].petitions += 1
    for original in repeated:
        unit = unit_of.get(original)
        if unit is not None:
            counts[unit].repeats += 1

    # 包案: open at some time in the period; resolved within it.
    owned = CaseOwnership.objects.order_by().values_list("unit_id", "started_on", "resolved_on")
    for unit, started_on, resolved_on in owned.iterator(chunk_size=CHUNK):
        rows += 1
        if started_on > end or (resolved_on is not None and resolved_on < start):
            continue
        c = counts[unit]
        c.owned += 1
        if resolved_on is not None and start <= resolved_on <= end:
            c.owned_resolved += 1

    weights = score_counts.active_weights()
    counts = dict(counts)
    return counts, {unit: scorecard.score(c, weights) for unit, c in counts.items()}, rows


def measure(name, fn, *args):
    from django.db import connection

    reset = reset_peak()
    base = rss_mib()
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        counts, results, rows = fn(*args)
    seconds = time.perf_counter() - started
    if rows is None:  # the GROUP BY method: the rows its queries aggregate (matched by their filters)
        rows = sum(
            c.timely_on + c.timely_late + c.timely_open + c.reply_on + c.reply_late + c.reply_open
            + c.rated + c.unrated_expired + c.repeats + c.petitions + c.owned
            for c in counts.values()
        )  # fmt: skip
    return {
        "name": name,
        "seconds": seconds,
        "counts": counts,
        "results": results,
        "rows": rows,
        "queries": counter.n,
        "peak": peak_mib(),
        "base": base,
        "peak_is_own": reset,
    }


def differences(a: dict, b: dict, limit: int = 10) -> list[str]:
    from dataclasses import fields

    from xinfang.supervision.scorecard import Counts

    out = []
    for unit in sorted(set(a) | set(b)):
        ca, cb = a.get(unit), b.get(unit)
        if ca == cb:
            continue
        if ca is None or cb is None:
            out.append(f"unit {unit}: only in {'loops' if ca is None else 'group'}: {ca or cb}")
        else:
            diff = [
                f"{f.name} {getattr(ca, f.name)}≠{getattr(cb, f.name)}"
                for f in fields(Counts)
                if getattr(ca, f.name) != getattr(cb, f.name)
            ]
            out.append(f"unit {unit}: group vs loops: " + ", ".join(diff))
        if len(out) >= limit:
            break
    return out


# ---------------------------------------------------------------- output


def print_table(runs, loops):
    print()
    header = f"{'method':<44} {'seconds':>8} {'units':>6} {'queries':>8} {'rows read':>11} {'peak RSS':>9} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    for r in runs:
        speed = loops["seconds"] / r["seconds"] if r is not loops else 1.0
        print(
            f"{r['name']:<44} {r['seconds']:>8.2f} {len(r['counts']):>6,} {r['queries']:>8,} "
            f"{r['rows']:>11,} {r['peak']:>6.0f} MiB {speed:>8.1f}×"
        )
    print(
        "rows read: GROUP BY — the rows its queries aggregate (matched by their filters; what reaches "
        "Python is one row per unit and measure); loops — every row streamed into Python."
    )
    print(
        "peak RSS: the process's peak during that method"
        + (
            f" (reset before each; the process held {runs[0]['base']:.0f} MiB before the first)"
            if runs[0]["peak_is_own"]
            else " (no /proc/self/clear_refs: the process's peak so far)"
        )
    )


def print_ranking(results, units):
    ranking = sorted(results.items(), key=lambda item: (-item[1].total, units[item[0]].path))
    print()
    print(f"排名 / ranking of {len(ranking)} units (total score, then the points of each line):")

    def show(pos, unit, s):
        parts = "  ".join(  # * full marks for want of anything to count; + 0.0: no "-0"
            f"{line.key} {line.points + 0.0:g}{'*' if line.denominator == 0 and line.points else ''}"
            for line in s.lines
        )
        print(f"  {pos:>4}. {pad(units[unit].name, 28)} {s.total:>8.2f}   {parts}")

    print("  (* 本期无应计事项，按满分计 / full marks: nothing to count in the period)")
    print("  前 5 / top 5:")
    for pos, (unit, s) in enumerate(ranking[:5], start=1):
        show(pos, unit, s)
    print("  后 5 / bottom 5:")
    for pos, (unit, s) in enumerate(ranking[-5:], start=len(ranking) - min(5, len(ranking)) + 1):
        show(pos, unit, s)


def drill_down(counts, units, start, end, today) -> int:
    """matters_behind(part, unit).count() for the unit with the largest count of each part."""
    from xinfang.supervision import score_counts
    from xinfang.supervision.scorecard import PARTS

    def value(c, part):
        if part == "unsatisfied":
            return c.rated - c.satisfied
        if part == "owned_open":
            return c.owned - c.owned_resolved
        return getattr(c, part)

    print()
    print("下钻 / drill-down: matters_behind(part, unit, …).count() for the unit with the most of each part")
    header = f"  {'part':<16} {pad('unit', 28)} {'count':>8} {'.count()':>9} {'ms':>8}"
    print(header)
    mismatched = 0
    for part in PARTS:
        unit, expected = max(((u, value(c, part)) for u, c in counts.items()), key=lambda x: (x[1], -x[0]))
        started = time.perf_counter()
        got = score_counts.matters_behind(part, unit, start, end, today).count()
        ms = (time.perf_counter() - started) * 1000
        flag = "" if got == expected else "  ≠ (matters, not rows: or a different definition)"
        mismatched += got != expected
        print(f"  {part:<16} {pad(units[unit].name, 28)} {expected:>8,} {got:>9,} {ms:>8.1f}{flag}")
    return mismatched


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matters", type=int, default=1_000_000)
    parser.add_argument("--smoke", action="store_true", help="20,000 matters: a quick check")
    parser.add_argument("--year", type=int, help="the year scored (default: the last full year of the data)")
    parser.add_argument("--keep", metavar="DIR", help="keep the database in DIR and reuse it next time")
    parser.add_argument("--load-workers", type=int, default=2, help="loader processes (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.smoke:
        args.matters = 20_000

    if args.keep:
        data_dir = Path(args.keep).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="xf-bench-scoring-"))
    os.environ.update(XINFANG_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="xinfang.settings")
    os.environ.pop("XINFANG_DATABASE_URL", None)  # SQLite in the data directory, never another database
    sys.path.insert(0, str(ROOT))
    try:
        return run(args, data_dir)
    finally:
        if args.keep:
            print(f"保留数据目录 / kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(args, data_dir: Path) -> int:
    print(f"负载 / load average at start: {load_average()} ({os.cpu_count()} CPUs)", flush=True)
    info = prepare(args, data_dir)

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from xinfang.org.models import Unit

    today = timezone.localdate()
    year, note = (args.year, "") if args.year else default_year(today)
    start, end = date(year, 1, 1), date(year, 12, 31)
    print(
        f"\n考核 / scoring {start} … {end} as of {today}{note} over {info['matters']:,} matters "
        f"({connection.vendor}, Python {sys.version.split()[0]}); load average {load_average()}",
        flush=True,
    )
    units = {u.pk: u for u in Unit.objects.all()}

    first = measure("unit_counts + score (GROUP BY), 1st run", by_group, start, end, today)
    print(f"  group 1st: {first['seconds']:.2f}s", flush=True)
    loops = measure("per-matter Python loops + score", by_loops, start, end, today)
    print(f"  loops: {loops['seconds']:.2f}s", flush=True)
    second = measure("unit_counts + score (GROUP BY), 2nd run", by_group, start, end, today)
    print(f"  group 2nd: {second['seconds']:.2f}s; load average {load_average()}", flush=True)

    print_table([first, second, loops], loops)
    status = 0
    diff = differences(first["counts"], loops["counts"])
    if second["counts"] != first["counts"]:
        diff.insert(0, "the two GROUP BY runs differ")
    if diff:
        print("\nMISMATCH: unit_counts and the loops disagree / 两种方法结果不一致:")
        for line in diff:
            print(f"  {line}")
        status = 1
    else:
        totals = {
            unit: (first["results"][unit].total, loops["results"][unit].total) for unit in first["results"]
        }
        same_scores = all(a == b for a, b in totals.values())
        print(
            f"\nMATCH: {len(first['counts']):,} units, identical Counts"
            + ("" if same_scores else " (but the scores differ!)")
        )
        status = 0 if same_scores else 1

    if first["results"]:
        print_ranking(first["results"], units)
        drill_down(first["counts"], units, start, end, today)
    print(f"\n负载 / load average at the end: {load_average()}")
    return status


if __name__ == "__main__":
    sys.exit(main())
