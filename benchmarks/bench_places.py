"""Place extraction: PlaceIndex.locate on labelled texts, next to a naive substring baseline.

    .venv/bin/python benchmarks/bench_places.py [--cases 5000] [--synthetic 20000] [--seed 1] [--smoke]

Four test sets, each read by both methods in the same run:

* generated: `generate_cases` on the demo city (xinfang/demo/city.py `division_csv()`, 117 divisions):
  full and partial chains, short forms, names alone (unique and repeated), ancestors elsewhere in the
  text, landmarks, address against body, conflicting places, no place at all (with road, estate and
  school names built from place names as noise);
* demo petitions: the project's example petition templates (xinfang/intelligence/examples.py, from
  which the demo's matters are written) filled for a random place, once with the demo's address field (expected: that place) and once body only (expected: the
  deepest of the place's chain whose full name the text contains, or the readings when that name is
  repeated in the tree);
* real messages: citizen messages from shared/data/tipdm2020c (read at run time, if present). None of
  them is about the demo city, so every place found there is a false hit: an upper bound of how often
  ordinary language trips each method;
* synthetic: `synthetic_divisions(--synthetic)`, a five-level tree with many repeated village names,
  for accuracy at scale and speed (the baseline on a sample: it tries every name on every text).

Baseline: the first full division name found as a substring, deepest level wins (earliest in the text
among equals), the first division of that name; no short forms, no landmarks, no ambiguity.

Correct: the expected code, or an ambiguous answer listing every reading when the case is truly
ambiguous. Vague: an ancestor of the expected division. Wrong guess: any other code (a place on a text
without one, any code on a truly ambiguous text). Missed: nothing where a place was expected. The
"ambiguous" column is the share of answers that ask the registrar to choose.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xinfang.intelligence.place_cases import (  # noqa: E402
    PlaceCase,
    generate_cases,
    readings_of,
    score_cases,
    synthetic_divisions,
)
from xinfang.intelligence.places import PlaceIndex, PlaceMatch  # noqa: E402

CODE_LEVELS = {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}  # short code length → level, as the demo writes codes
PARENT_LENGTH = {4: 2, 6: 4, 9: 6, 12: 9}


class NaiveLocator:
    """The baseline: first full division name found as a substring, deepest wins."""

    def __init__(self, rows):
        first = {}
        for code, name, _parent, level in sorted(rows):
            first.setdefault(name, (level, code))
        self.entries = sorted(
            ((level, name, code) for name, (level, code) in first.items()), key=lambda e: -e[0]
        )

    def locate(self, text: str, address: str = "") -> PlaceMatch:
        combined = f"{address}\n{text}"
        found = None  # (level, position, name, code)
        for level, name, code in self.entries:
            if found is not None and level < found[0]:
                break
            position = combined.find(name)
            if position >= 0 and (found is None or position < found[1]):
                found = (level, position, name, code)
        if found is None:
            return PlaceMatch(None, False, [], [], "")
        return PlaceMatch(found[3], False, [found[3]], [found[2]], "")


def demo_rows():
    """The demo city's divisions, parsed from the CSV the demo loads."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from xinfang.demo.city import division_csv

    rows = []
    for row in csv.DictReader(io.StringIO(division_csv())):
        code = row["代码"]
        parent = row["上级代码"] or (code[: PARENT_LENGTH[len(code)]] if len(code) in PARENT_LENGTH else None)
        rows.append((code, row["名称"], parent, CODE_LEVELS[len(code)]))
    return rows


def demo_petitions(index: PlaceIndex, n: int, seed: int):
    """(body-only cases, cases with the demo's address field), from the demo's petition templates."""
    from xinfang.demo import content
    from xinfang.intelligence import examples

    rng = random.Random(seed)
    places = [code for code, d in index.divisions.items() if d.level == 5]
    templates = [t for category in sorted(examples.T) for t in examples.T[category]]
    body_only, with_address = [], []
    while len(body_only) < n:
        code = rng.choice(places)
        chain = [index.divisions[c] for c in index.divisions[code].chain]  # place, township, district, city…
        place, township, district = chain[0].name, chain[1].name, chain[2].name
        slots = examples.Slots(
            rng, place=place, township=township, district=district, received=date(2026, 5, 1)
        )
        try:
            text = "".join(slots.fill(part) for part in rng.choice(templates))
        except KeyError:
            continue
        parts = [d.name for d in reversed(chain) if d.name in text]
        found = readings_of(index, parts) if parts else ()
        if len(found) == 1:
            case = PlaceCase("demo_body", text, "", found[0], (), index.divisions[found[0]].chain[1:])
        else:
            case = PlaceCase("demo_body", text, "", None, found)
        body_only.append(case)
        address = content.address(rng, district, township, place)
        with_address.append(
            PlaceCase("demo_address", text, address, code, (), index.divisions[code].chain[1:])
        )
    return body_only, with_address


def real_messages(limit: int):
    shared = Path(os.environ.get("XINFANG_SHARED_DIR", ROOT.parent / "shared"))
    folder = shared / "data" / "tipdm2020c"
    texts = []
    for name in ("train.csv", "stream.csv"):
        path = folder / name
        if not path.exists():
            return None, f"{path} not found"
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [f"{row['title']}。{row['text']}" for row in csv.DictReader(handle)]
    return texts[:limit], ""


def timed(locate, cases) -> float:
    """µs per text."""
    start = time.perf_counter()
    for case in cases:
        locate(case.text, case.address)
    return (time.perf_counter() - start) / max(1, len(cases)) * 1e6


def rates(score) -> dict:
    t = score["totals"]
    n = max(1, t["cases"])
    return {
        "acc": t["correct"] / n,
        "amb": t["reported_ambiguous"] / n,
        "wrong": t["wrong_guess"] / n,
        "vague": t["vague"] / n,
        "missed": t["missed"] / n,
    }


HEADER = (
    f"{'method':<30}{'cases':>8}{'accuracy':>10}{'ambiguous':>11}{'wrong':>8}{'vague':>8}{'missed':>8}"
    f"{'µs/text':>10}"
)


def row(label, cases, score, micros) -> str:
    r = rates(score)
    return (
        f"{label:<30}{len(cases):>8,}{r['acc']:>10.1%}{r['amb']:>11.1%}{r['wrong']:>8.1%}{r['vague']:>8.1%}"
        f"{r['missed']:>8.1%}{micros:>10,.1f}"
    )


def compare(title, index, naive, cases, *, baseline_sample=None):
    """Print both methods on one set; returns (our rates, baseline rates, our µs, baseline µs)."""
    ours = score_cases(index.locate, cases)
    ours_us = timed(index.locate, cases)
    sample = cases[:baseline_sample] if baseline_sample else cases
    base = score_cases(naive.locate, sample)
    base_us = timed(naive.locate, sample)
    print(f"\n{title}")
    print(HEADER)
    print(row("PlaceIndex.locate", cases, ours, ours_us))
    print(row("baseline (substring)" + (" sample" if sample is not cases else ""), sample, base, base_us))
    return ours, base, ours_us, base_us


def peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000, help="generated cases per tree (default 5,000)")
    parser.add_argument("--petitions", type=int, default=2000, help="demo petitions (default 2,000)")
    parser.add_argument("--real", type=int, default=20000, help="real messages at most (default: all)")
    parser.add_argument("--synthetic", type=int, default=20000, help="divisions in the synthetic tree")
    parser.add_argument(
        "--baseline-sample", type=int, default=500, help="baseline cases on the synthetic tree"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="small sizes for CI (a few seconds)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cases, args.petitions, args.real, args.synthetic, args.baseline_sample = (
            600,
            300,
            1000,
            2000,
            100,
        )
    if min(args.cases, args.petitions, args.synthetic, args.baseline_sample) < 1:
        parser.error("sizes must be positive")

    print(
        f"place benchmark: seed {args.seed}, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f}"
    )

    # --- the demo city --------------------------------------------------------------------------------
    rows = demo_rows()
    cases, landmarks = generate_cases(rows, n=args.cases, seed=args.seed)
    start = time.perf_counter()
    index = PlaceIndex(rows, landmarks)
    build_ms = (time.perf_counter() - start) * 1000
    naive = NaiveLocator(rows)
    truly = sum(c.ambiguous for c in cases)
    no_place = sum(c.expected is None and not c.ambiguous for c in cases)
    print(
        f"demo city: {len(rows)} divisions, {len(landmarks)} landmarks, index built in {build_ms:.1f} ms; "
        f"{len(cases):,} generated cases ({truly:,} truly ambiguous, {no_place:,} without a place)"
    )
    ours, base, ours_us, _ = compare("generated cases, demo city", index, naive, cases)
    print(f"\n{'kind':<22}{'cases':>7}{'ours':>8}{'baseline':>10}")
    for kind in sorted(ours["by_kind"]):
        o, b = ours["by_kind"][kind], base["by_kind"][kind]
        print(
            f"{kind:<22}{o['cases']:>7,}{o['correct'] / o['cases']:>8.1%}{b['correct'] / b['cases']:>10.1%}"
        )
    demo_ours, demo_base = rates(ours), rates(base)

    body_only, with_address = demo_petitions(index, args.petitions, args.seed)
    body_ours, body_base, *_ = compare("demo petitions, body only", index, naive, body_only)
    compare("demo petitions, with the demo's address field", index, naive, with_address)

    # --- real messages: every place found is a false hit -------------------------------------------
    texts, why = real_messages(args.real)
    real_ours = real_base = None
    if texts is None:
        print(f"\nreal messages: skipped ({why})")
    else:
        hits = Counter()
        found_ours = found_base = 0
        for text in texts:
            match = index.locate(text)
            if match.code or match.ambiguous:
                found_ours += 1
                hits.update(match.evidence)
            found_base += naive.locate(text).code is not None
        real_ours, real_base = found_ours / len(texts), found_base / len(texts)
        print(f"\nreal messages ({len(texts):,}, none about the demo city): a place found (false hits)")
        print(f"{'PlaceIndex.locate':<30}{found_ours:>8,}{real_ours:>10.1%}")
        print(f"{'baseline (substring)':<30}{found_base:>8,}{real_base:>10.1%}")
        if hits:
            print(
                "names that matched most: "
                + ", ".join(f"{name} {count}" for name, count in hits.most_common(8))
            )

    # --- a large synthetic tree ----------------------------------------------------------------------
    srows = synthetic_divisions(args.synthetic, seed=args.seed)
    scases, slandmarks = generate_cases(srows, n=args.cases, seed=args.seed)
    start = time.perf_counter()
    sindex = PlaceIndex(srows, slandmarks)
    sbuild = time.perf_counter() - start
    snaive = NaiveLocator(srows)
    villages = Counter(name for _, name, _, level in srows if level == 5)
    repeated = sum(count for count in villages.values() if count > 1)
    print(
        f"\nsynthetic tree: {len(srows):,} divisions, {len(sindex._aliases):,} aliases, built in {sbuild:.2f} s; "
        f"{repeated:,} of {sum(villages.values()):,} villages share their name"
    )
    s_ours, s_base, s_us, s_base_us = compare(
        "generated cases, synthetic tree", sindex, snaive, scases, baseline_sample=args.baseline_sample
    )
    joined = "".join(c.text for c in scases[:200])  # one long, place-dense text
    start = time.perf_counter()
    repeats = 20
    for _ in range(repeats):
        sindex.locate(joined)
    long_us = (time.perf_counter() - start) / repeats * 1e6
    print(
        f"one text of {len(joined):,} characters: {long_us:,.0f} µs ({long_us / len(joined):.2f} µs per character)"
    )
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")

    d = demo_ours
    print(
        f"\nSUMMARY places: demo accuracy {d['acc']:.1%} vs baseline {demo_base['acc']:.1%}, wrong guesses "
        f"{d['wrong']:.1%} vs {demo_base['wrong']:.1%}; demo petitions (body) {rates(body_ours)['acc']:.1%} vs "
        f"{rates(body_base)['acc']:.1%}"
        + (f"; real-text false hits {real_ours:.1%} vs {real_base:.1%}" if real_ours is not None else "")
        + f"; {ours_us:.0f} µs/text ({len(rows)} divisions), {s_us:.0f} µs/text ({len(srows):,}) vs baseline "
        f"{s_base_us:,.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
