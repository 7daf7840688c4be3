"""Early warning (预警): surges found in synthetic daily counts, and an injected emerging topic.

    .venv/bin/python benchmarks/bench_warnings.py [--keys 2000] [--days 800] [--surges 400] [--seed 1] [--smoke]

Surges. Daily counts for `--keys` keys (category × division) over `--days` days ending 2026-04-30,
generated with what real petition counts have: a weekday pattern (Monday high, weekend low), a summer
bump and, for a fifth of the keys, a winter one; a Spring Festival trough on the real lunar dates (with
the holiday-eve dip and the rebound after it), 五一 and 国庆 troughs, a growth trend between −5 % and +25 %
a year, and gamma-Poisson noise (over-dispersion κ 0.02–0.12). Levels are log-uniform from 0.2 to 50 a
day. `--surges` surges are added in the last 120 days — half single days, half 7-day weeks, each of a
random key, the expected count multiplied by 1.5–4 — and both detectors are run on each of those days:

* `surge.detect` (xinfang/intelligence/surge.py);
* a naive baseline in the same run: mean + 3 sd of the previous 28 days (day), of the 28 rolling
  7-day sums before the week (week); no weekday, season or holiday awareness. Both need the same
  minimum counts (3 a day, 5 a week), so the comparison is of the expected range only.

An alarm is right when its day (day check) or one of its 7 days (week check) lies in a surge of that
key. Recall: a day surge is found by a day alarm on its day, a week surge by a week alarm on one of its
days. Precision, recall and false alarms per 1,000 key-days, overall and by the key's level, and the
seconds both took.

Topic. Real citizen messages from $XINFANG_SHARED_DIR/data/tipdm2020c (read at run time, if present;
else the demo petitions) are split at random into recent (1,500) and baseline (the rest); 30 messages
about one neighbourhood's water cut, in varied wording, are added to the recent ones. Reported: whether
a topic made mostly of them was found, its label, the share of injected messages among its examples and
among all its documents, the injected messages it missed, other topics found (on a random split,
false alarms), and the time of `find_topics` on 20,000 recent and 150,000 baseline documents made of
the same sentences (`--smoke`: 2,000 and 15,000).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xinfang.intelligence import surge  # noqa: E402
from xinfang.intelligence.topics import find_topics  # noqa: E402

END = date(2026, 4, 30)
WINDOW = 120  # days at the end that get surges and are examined
BANDS = [("< 1/day", 0, 1), ("1–5/day", 1, 5), ("5–20/day", 5, 20), ("≥ 20/day", 20, 1e9)]
WEEKDAY = np.array([1.35, 1.25, 1.15, 1.1, 1.0, 0.3, 0.2])


# ----------------------------------------------------------------------------------------- counts
def seasonal_curves(dates: list[date]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(holiday multiplier, summer bump, winter bump) per day."""
    holiday = np.ones(len(dates))
    summer = np.zeros(len(dates))
    winter = np.zeros(len(dates))
    for i, d in enumerate(dates):
        festival = surge.SPRING_FESTIVAL[d.year if d.month < 7 else d.year + 1]
        offset = (d - festival).days
        if -3 <= offset <= 6:
            holiday[i] = 0.35
        elif -10 <= offset < -3:
            holiday[i] = 0.8
        elif 6 < offset <= 14:
            holiday[i] = 0.85
        elif 14 < offset <= 35:
            holiday[i] = 1.15
        if d.month == 10 and d.day <= 7:
            holiday[i] = 0.4
        if d.month == 5 and d.day <= 5:
            holiday[i] = 0.5
        day_of_year = d.timetuple().tm_yday
        summer[i] = np.exp(-0.5 * ((day_of_year - 200) / 25) ** 2)
        winter[i] = np.exp(-0.5 * (min(abs(day_of_year - 10), 365 - abs(day_of_year - 10)) / 30) ** 2)
    return holiday, summer, winter


def generate(keys: int, days: int, rng: np.random.Generator):
    """(start, true rate keys × days, counts, level per key)."""
    start = END - timedelta(days=days - 1)
    dates = [start + timedelta(days=i) for i in range(days)]
    holiday, summer, winter = seasonal_curves(dates)
    weekday = np.array([d.weekday() for d in dates])
    level = np.exp(rng.uniform(np.log(0.2), np.log(50), keys))
    profile = WEEKDAY[None, :] * np.exp(rng.normal(0, 0.1, (keys, 7)))
    profile /= profile.mean(axis=1, keepdims=True)
    growth = rng.uniform(-0.05, 0.25, keys)
    years = np.arange(days) / 365.25
    summer_amp = rng.uniform(0, 0.4, keys)
    winter_amp = np.where(rng.random(keys) < 0.2, rng.uniform(0.2, 0.5, keys), 0.0)
    rate = (
        level[:, None]
        * profile[:, weekday]
        * holiday[None, :]
        * (1 + summer_amp[:, None] * summer[None, :] + winter_amp[:, None] * winter[None, :])
        * (1 + growth[:, None]) ** years[None, :]
    )
    kappa = rng.uniform(0.02, 0.12, keys)[:, None]
    noisy = rate * rng.gamma(1 / kappa, kappa, size=rate.shape)
    return start, rate, rng.poisson(noisy), level


def inject(counts, rate, n: int, rng: np.random.Generator):
    """Add n surges in the last WINDOW days; (surges [(key, kind, first day index)], anomalous mask)."""
    keys, days = counts.shape
    anomalous = np.zeros(counts.shape, dtype=bool)
    surges = []
    for i in range(n):
        kind = "day" if i % 2 == 0 else "week"
        length = 1 if kind == "day" else 7
        key = int(rng.integers(keys))
        first = int(rng.integers(days - WINDOW, days - length + 1))
        window = slice(first, first + length)
        factor = rng.uniform(1.5, 4.0)
        counts[key, window] += rng.poisson((factor - 1) * rate[key, window])
        anomalous[key, window] = True
        surges.append((key, kind, first))
    return surges, anomalous


# -------------------------------------------------------------------------------------- detectors
def naive(counts: np.ndarray, t: int) -> dict[str, np.ndarray]:
    """Keys firing on day t: mean + 3 sd of the last 28 days / of the 28 weekly sums before the week."""
    settings = surge.DEFAULT
    history = counts[:, t - 28 : t].astype(float)
    day_high = history.mean(axis=1) + 3 * history.std(axis=1, ddof=1)
    today = counts[:, t]
    cumulative = np.cumsum(counts[:, t - 41 : t + 1], axis=1, dtype=np.int64)  # days t−41 … t
    cumulative = np.concatenate([np.zeros((len(counts), 1), np.int64), cumulative], axis=1)
    sums = cumulative[:, 7:] - cumulative[:, :-7]  # 7-day sums ending t−35 … t
    week = sums[:, -1]
    before = sums[:, -36:-8].astype(float)  # ending t−34 … t−7
    week_high = before.mean(axis=1) + 3 * before.std(axis=1, ddof=1)
    return {
        "day": np.flatnonzero((today > day_high) & (today >= settings.min_day)),
        "week": np.flatnonzero((week > week_high) & (week >= settings.min_week)),
    }


def ours(
    counts: np.ndarray, start: date, t: int, settings: surge.Settings = surge.DEFAULT
) -> dict[str, list]:
    found = {"day": [], "week": []}
    for s in surge.detect(counts, start, start + timedelta(days=t), settings=settings):
        found[s.period].append((s.key, s.level))
    return found


def evaluate(alarms, surges, anomalous, level, days) -> dict:
    """Counts per check and band: tp, fp alarms; found, total surges; key-days examined."""
    band_of = np.zeros(len(level), dtype=int)
    for b, (_, lo, hi) in enumerate(BANDS):
        band_of[(level >= lo) & (level < hi)] = b
    out = {(kind, b): dict(tp=0, fp=0, found=0, total=0) for kind in ("day", "week") for b in range(-1, 4)}
    fired = {"day": set(), "week": set()}
    for t, kind, key in alarms:
        right = anomalous[key, t] if kind == "day" else anomalous[key, t - 6 : t + 1].any()
        for b in (-1, band_of[key]):
            out[(kind, b)]["tp" if right else "fp"] += 1
        fired[kind].add((key, t))
    for key, kind, first in surges:
        length = 1 if kind == "day" else 7
        hit = any((key, t) in fired[kind] for t in range(first, first + length))
        for b in (-1, band_of[key]):
            out[(kind, b)]["total"] += 1
            out[(kind, b)]["found"] += hit
    keydays = {b: int((band_of == b).sum()) * days for b in range(4)}
    keydays[-1] = len(level) * days
    return out, keydays


def print_table(results, keydays, seconds):
    print(
        f"\n{'check':<6}{'band':<11}{'surges':>7}   {'surge.py P':>10}{'R':>6}{'FA/1k':>7}   {'naive P':>8}{'R':>6}{'FA/1k':>7}"
    )
    for kind in ("day", "week"):
        for b in range(-1, 4):
            name = "all" if b < 0 else BANDS[b][0]
            row = f"{kind:<6}{name:<11}{results['surge.py'][(kind, b)]['total']:>7}   "
            for method, width in (("surge.py", 10), ("naive", 8)):
                r = results[method][(kind, b)]
                alarms = r["tp"] + r["fp"]
                precision = f"{r['tp'] / alarms:.2f}" if alarms else "–"
                recall = f"{r['found'] / r['total']:.2f}" if r["total"] else "–"
                false_rate = r["fp"] / keydays[b] * 1000 if keydays[b] else 0
                row += f"{precision:>{width}}{recall:>6}{false_rate:>7.2f}   "
            print(row.rstrip())
    print(
        f"{'seconds for all days':<17}{'':>7}   {seconds['surge.py']:>10.2f}{'':>13}   {seconds['naive']:>8.2f}"
    )


def run_surges(args) -> dict:
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    start, rate, counts, level = generate(args.keys, args.days, rng)
    surges, anomalous = inject(counts, rate, args.surges, rng)
    print(
        f"\nsurges: {args.keys:,} keys × {args.days} days ending {END} ({counts.sum():,} petitions, "
        f"generated in {time.perf_counter() - t0:.1f} s); {len(surges)} surges injected in the last {WINDOW} days"
    )
    days = range(args.days - WINDOW, args.days)
    alarms = {"surge.py": [], "naive": []}
    levels = {1: [0, 0], 2: [0, 0], 3: [0, 0]}
    seconds = {}
    t0 = time.perf_counter()
    for t in days:
        found = ours(counts, start, t)
        for kind, hits in found.items():
            for key, lv in hits:
                alarms["surge.py"].append((t, kind, key))
                right = anomalous[key, t] if kind == "day" else anomalous[key, t - 6 : t + 1].any()
                levels[lv][0 if right else 1] += 1
    seconds["surge.py"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in days:
        for kind, hits in naive(counts, t).items():
            alarms["naive"] += [(t, kind, int(key)) for key in hits]
    seconds["naive"] = time.perf_counter() - t0
    results = {}
    for method in alarms:
        results[method], keydays = evaluate(alarms[method], surges, anomalous, level, WINDOW)
    print_table(results, keydays, seconds)
    print(
        "surge.py alarms by severity (right / wrong): "
        + ", ".join(f"{surge.LEVELS[lv]} {r} / {w}" for lv, (r, w) in levels.items())
    )
    per_day = seconds["surge.py"] / WINDOW
    print(f"surge.detect: {per_day * 1000:.1f} ms per day for {args.keys:,} keys")

    print(
        f"\nvariants of surge.py, all keys{'':<14}{'day P':>7}{'R':>6}{'FA/1k':>7}   {'week P':>7}{'R':>6}{'FA/1k':>7}"
    )
    variants = [
        ("default (threshold 3)", surge.DEFAULT),
        ("threshold 2 (p ≤ 0.01)", replace(surge.DEFAULT, threshold=2.0)),
        ("no Spring Festival matching", replace(surge.DEFAULT, lunar=False)),
    ]
    for name, settings in variants:
        found = []
        for t in days:
            for kind, hits in ours(counts, start, t, settings).items():
                found += [(t, kind, key) for key, _ in hits]
        counted, _ = evaluate(found, surges, anomalous, level, WINDOW)
        row = f"{name:<43}"
        for kind in ("day", "week"):
            r = counted[(kind, -1)]
            alarms = r["tp"] + r["fp"]
            row += f"{r['tp'] / alarms if alarms else 0:>7.2f}{r['found'] / r['total']:>6.2f}"
            row += f"{r['fp'] / keydays[-1] * 1000:>7.2f}   "
        print(row.rstrip())
    return results


# ------------------------------------------------------------------------------------------ topic
INJECTED = [
    "{place}已经连续{n}天停水了，居民做饭洗澡都成问题，请尽快恢复供水。",
    "我们{place}又停水了，自来水公司说是管道抢修，可是{n}天了一直没有人来修。",
    "{place}停水第{n}天，家里老人孩子没水喝，物业说不归他们管，请有关部门督促解决。",
    "反映{place}长时间停水问题：从上周开始断断续续停水，最近{n}天完全没水。",
    "{place}突然停水也不提前通知，已经{n}天了，业主只能去外面买水。",
]


def background_texts() -> tuple[list[str], str]:
    shared = Path(os.environ.get("XINFANG_SHARED_DIR", ROOT.parent / "shared")) / "data" / "tipdm2020c"
    texts = []
    for name in ("train.csv", "stream.csv", "replies.csv"):
        path = shared / name
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                texts += [f"{row['title']}\n{row['text']}" for row in csv.DictReader(handle)]
    if texts:
        return texts, f"{len(texts):,} real messages of {shared}"
    from xinfang.intelligence.corpus import default_corpus

    rows = default_corpus(per_template=8)
    return [f"{title}\n{text}" for title, text, _ in rows], f"{len(rows):,} demo petitions (no shared data)"


def run_topic(args) -> dict:
    rng = random.Random(args.seed)
    texts, source = background_texts()
    rng.shuffle(texts)
    n_recent = min(1500, len(texts) // 8)
    recent = [(f"r{i}", text) for i, text in enumerate(texts[:n_recent])]
    baseline = [(f"b{i}", text) for i, text in enumerate(texts[n_recent:])]
    injected = set()
    for i in range(30):
        place = rng.choice(["幸福里小区", "幸福里小区", "幸福里小区三期", "幸福里"])
        text = rng.choice(INJECTED).format(place=place, n=rng.choice("三四五六"))
        doc_id = f"inj{i}"
        injected.add(doc_id)
        recent.insert(rng.randrange(len(recent) + 1), (doc_id, f"{place}停水\n{text}"))
    t0 = time.perf_counter()
    topics = find_topics(recent, baseline)
    seconds = time.perf_counter() - t0
    ours_ = [t for t in topics if sum(d in injected for d in t.doc_ids) * 2 > len(t.doc_ids)]
    print(
        f"\ntopic: {source}; recent {len(recent):,} (30 injected), baseline {len(baseline):,}: {seconds:.1f} s"
    )
    result = {"found": bool(ours_)}
    if ours_:
        topic = ours_[0]
        inside = sum(d in injected for d in topic.doc_ids)
        result.update(
            label=topic.label,
            example_precision=sum(d in injected for d in topic.examples) / len(topic.examples),
            precision=inside / len(topic.doc_ids),
            recall=inside / len(injected),
        )
        print(
            f"found: 「{topic.label}」 rank {topics.index(topic) + 1}; examples {result['example_precision']:.0%} "
            f"injected; all {len(topic.doc_ids)} documents {result['precision']:.0%} injected; "
            f"recall {result['recall']:.0%} of the 30"
        )
    else:
        print("found: NO topic made mostly of the injected messages")
    others = [t for t in topics if t not in ours_]
    result["others"] = len(others)
    print(
        f"other topics (false alarms on a random split): {len(others)}"
        + "".join(f"\n  「{t.label}」 {t.recent_docs} docs" for t in others[:5])
    )

    # Speed at the size of a big city's week against its previous 8 weeks.
    sentences = [s for text in texts for s in re.split(r"(?<=[。！？\n])", text) if len(s) >= 4]
    big_recent, big_baseline = (2000, 15000) if args.smoke else (20000, 150000)

    def document() -> str:
        return "".join(rng.choice(sentences) for _ in range(rng.randint(3, 9)))

    recent = [(i, document()) for i in range(big_recent)]
    baseline = [(i, document()) for i in range(big_baseline)]
    chars = sum(len(t) for _, t in baseline) / len(baseline)
    t0 = time.perf_counter()
    big = find_topics(recent, baseline)
    result["seconds"] = time.perf_counter() - t0
    print(
        f"speed: {big_recent:,} recent + {big_baseline:,} baseline documents ({chars:.0f} chars avg) in "
        f"{result['seconds']:.1f} s; {len(big)} topics (the sentences are shuffled at random: none expected)"
    )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--days", type=int, default=800)
    parser.add_argument("--surges", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--smoke", action="store_true", help="300 keys, 80 surges, small topic speed run (CI)"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.keys, args.surges = min(args.keys, 300), min(args.surges, 80)
    if args.days < 400 + WINDOW:
        parser.error(
            f"--days must be at least {400 + WINDOW}: a year of history before the last {WINDOW} days"
        )
    print(
        f"early-warning benchmark: Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f}, seed {args.seed}"
    )
    results = run_surges(args)
    topic = run_topic(args)

    def pr(method, kind):
        r = results[method][(kind, -1)]
        alarms = r["tp"] + r["fp"]
        return (
            f"P {r['tp'] / alarms if alarms else 0:.2f} R {r['found'] / r['total'] if r['total'] else 0:.2f}"
        )

    print(
        f"\nSUMMARY warnings: day {pr('surge.py', 'day')} (naive {pr('naive', 'day')}), "
        f"week {pr('surge.py', 'week')} (naive {pr('naive', 'week')}); topic "
        + (
            f"found 「{topic['label']}」, examples {topic['example_precision']:.0%} injected"
            if topic["found"]
            else "NOT found"
        )
        + f", {topic['others']} other topic(s), {topic['seconds']:.1f} s at size"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
