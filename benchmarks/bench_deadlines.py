"""Deadline engine throughput: compute_deadline on N matters vs. the day-by-day baseline.

    .venv/bin/python benchmarks/bench_deadlines.py [--n 1000000] [--sample 50000] [--seed 1]

Generates N matters (start dates 2024-01-01..2026-10-31, a mix of the national policy steps), computes
every due date with compute_deadline on one WorkCalendar, then times naive_due_date (one day at a time,
calendar.is_workday on each day) on a sample, and the same walk asking chinese_calendar.is_workday
about each day on a smaller sample. Every sampled matter must get the same date from all methods;
exits with status 1 if any differs. No Django needed.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import chinese_calendar  # noqa: E402

from xinfang.deadlines.engine import (  # noqa: E402
    BUILTIN_LAST_YEAR,
    Period,
    WorkCalendar,
    compute_deadline,
    naive_due_date,
)
from xinfang.deadlines.policies import NATIONAL  # noqa: E402

FIRST_START = date(2024, 1, 1)
LAST_START = date(2026, 10, 31)

# (label, period, weight): the steps a matter goes through, roughly as often as they occur
MIX = [
    ("dispatch 15日", NATIONAL["dispatch"], 3),
    ("acceptance 15日", NATIONAL["acceptance"], 3),
    ("handling 60日", NATIONAL["handling"], 3),
    ("handling+extension 90日", Period(NATIONAL["handling"].days + NATIONAL["extension_max"].days), 1),
    ("review_request 30日", NATIONAL["review_request"], 2),
    ("jurisdiction_dispute 5工作日", NATIONAL["jurisdiction_dispute"], 1),
    ("15工作日", Period(15, working=True), 1),
]


def generate(n: int, seed: int) -> tuple[list[date], list[Period]]:
    rng = random.Random(seed)
    pool = [FIRST_START + timedelta(days=i) for i in range((LAST_START - FIRST_START).days + 1)]
    periods = [period for _, period, _ in MIX]
    weights = [weight for _, _, weight in MIX]
    return rng.choices(pool, k=n), rng.choices(periods, weights=weights, k=n)


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="matters to compute (default 1,000,000)")
    parser.add_argument("--sample", type=int, default=50_000, help="matters for the naive baseline")
    parser.add_argument(
        "--lib-sample", type=int, default=2_000, help="matters for the chinese_calendar baseline (slow)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if min(args.n, args.sample, args.lib_sample) < 1:
        parser.error("--n, --sample and --lib-sample must be positive")
    sample = min(args.n, args.sample)

    t0 = time.perf_counter()
    calendar = WorkCalendar()
    build_seconds = time.perf_counter() - t0
    starts, periods = generate(args.n, args.seed)
    rss_inputs = peak_rss_mib()

    # --- the engine, on all N matters --------------------------------------------------------------
    sample_dues = []
    provisional = 0
    checksum = 0
    t0 = time.perf_counter()
    for i, (start, period) in enumerate(zip(starts, periods, strict=True)):
        deadline = compute_deadline(start, period, calendar)
        checksum += deadline.due.toordinal()
        provisional += deadline.provisional
        if i < sample:
            sample_dues.append(deadline.due)
    engine_seconds = time.perf_counter() - t0

    # --- the naive day-by-day baseline, on the first `sample` matters ------------------------------
    def is_workday(day: date) -> bool:
        # the engine's own rule: the schedule where known, weekends only in years not yet announced
        return calendar.is_workday(day) if calendar.is_known(day) else day.weekday() < 5

    t0 = time.perf_counter()
    naive_dues = [naive_due_date(starts[i], periods[i], is_workday) for i in range(sample)]
    naive_seconds = time.perf_counter() - t0

    # the same walk asking chinese_calendar about every day (what code without the arrays would do)
    small = min(sample, args.lib_sample)

    def library_is_workday(day: date) -> bool:
        if day.year > BUILTIN_LAST_YEAR:
            return day.weekday() < 5
        return chinese_calendar.is_workday(day)

    t0 = time.perf_counter()
    library_dues = [naive_due_date(starts[i], periods[i], library_is_workday) for i in range(small)]
    library_seconds = time.perf_counter() - t0

    mismatches = [(i, "naive", naive_dues[i]) for i in range(sample) if naive_dues[i] != sample_dues[i]]
    mismatches += [
        (i, "chinese_calendar", library_dues[i]) for i in range(small) if library_dues[i] != sample_dues[i]
    ]

    engine_rate = args.n / engine_seconds
    naive_rate = sample / naive_seconds
    print(f"deadline benchmark: {args.n:,} matters, seed {args.seed}, Python {sys.version.split()[0]}")
    print(
        f"calendar {calendar.first_year}–{calendar.last_year} built in {build_seconds:.3f} s; "
        f"{provisional:,} provisional deadlines (ending after {calendar.last_year}); checksum {checksum}"
    )
    print()
    print(f"{'method':<28}{'matters':>12}{'seconds':>10}{'matters/s':>14}")
    print(f"{'compute_deadline':<28}{args.n:>12,}{engine_seconds:>10.2f}{engine_rate:>14,.0f}")
    print(f"{'naive day-by-day (sample)':<28}{sample:>12,}{naive_seconds:>10.2f}{naive_rate:>14,.0f}")
    print(f"{'naive, extrapolated':<28}{args.n:>12,}{args.n / naive_rate:>10.2f}{naive_rate:>14,.0f}")
    library_rate = small / library_seconds
    print(f"{'naive + chinese_calendar':<28}{small:>12,}{library_seconds:>10.2f}{library_rate:>14,.0f}")
    print()
    print(f"speed-up over naive day-by-day: {engine_rate / naive_rate:.1f}x")
    print(f"speed-up over naive + chinese_calendar: {engine_rate / library_rate:.0f}x")
    print(f"peak RSS: {peak_rss_mib():.1f} MiB (after generating inputs: {rss_inputs:.1f} MiB)")
    if mismatches:
        print(f"FAIL: {len(mismatches):,} sampled due dates disagree, e.g.:", file=sys.stderr)
        for i, method, other in mismatches[:10]:
            print(
                f"  {starts[i]} + {periods[i].label()}: compute_deadline {sample_dues[i]}, {method} {other}",
                file=sys.stderr,
            )
        return 1
    print(
        f"agreement: all {sample:,} sampled matters ({small:,} for chinese_calendar) give the same due date"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
