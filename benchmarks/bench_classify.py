"""Category suggestions: k-fold cross-validation of the classifier beside the TF-IDF + SVM baseline.

    .venv/bin/python benchmarks/bench_classify.py [--folds 5] [--seed 0] [--repeats 3] [--limit N] [--scale N] [--smoke]

Reads the labelled real messages in $XINFANG_SHARED_DIR/data/tipdm2020c/train.csv (default: the `shared`
directory next to the repository) for evaluation only; without them it says so and uses petitions
generated from the project's example templates (first-level categories), which are far easier. For every
fold both models are trained on the same rows and scored on the same held-out rows: the classifier of
xinfang/intelligence/classify.py, and character 1–3-gram TF-IDF + LinearSVC(C=0.5). The k-fold
cross-validation is repeated on `--repeats` different splits, because one split's macro-F1 moves by
±0.2 points with the split alone; the goal is judged on the mean, and the range is printed. ms/doc is one
document at a time, featurisation included. `--scale N` also fits on N generated petitions labelled
with second-level categories (fit time and memory at a deployment's size). No Django needed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from xinfang.intelligence import classify, examples  # noqa: E402
from xinfang.petitions.categories import NATIONAL_CATEGORIES  # noqa: E402

GOAL_MACRO_F1 = 0.93
GOAL_MS_PER_DOC = 1.0
PLACES = [
    ("东城区", "滨河街道", "和平社区"),
    ("南湖区", "南湖镇", "莲塘村"),
    ("北岭县", "北岭镇", "松树村"),
    ("江口县", "江口乡", "渡口村"),
]


def shared_train_csv() -> Path:
    shared = Path(os.environ.get("XINFANG_SHARED_DIR", REPO.parent / "shared"))
    return shared / "data" / "tipdm2020c" / "train.csv"


def generated_rows(n: int, seed: int, level: str = "top") -> list[classify.Row]:
    """n petitions filled from the project's example templates, labelled with their first- or second-level category."""
    top_of = {leaf: top for top, leaves in NATIONAL_CATEGORIES.items() for leaf in leaves}
    templates = [(leaf, t) for leaf, items in examples.T.items() for t in items]
    templates += [(leaf, t) for leaf, items in examples.ACCUSATIONS.items() for t in items]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        leaf, template = templates[i % len(templates)]
        district, township, village = rng.choice(PLACES)
        received = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
        slots = examples.Slots(rng, place=village, township=township, district=district, received=received)
        title, text, request = examples.compose(slots, template)
        label = top_of.get(leaf, "其他") if level == "top" else leaf
        rows.append(classify.Row(f"g{i}", title, text + request, label))
    rng.shuffle(rows)
    return rows


def peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def scale_run(n: int, seed: int) -> None:
    """Fit on n generated petitions with second-level labels; prints fit time, size and speed."""
    rows = generated_rows(n + 2000, seed, level="leaf")
    train, test = rows[:n], rows[n:]
    started = time.perf_counter()
    model = classify.TextClassifier().fit(
        [r.title for r in train], [r.text for r in train], [r.label for r in train]
    )
    fit_seconds = time.perf_counter() - started
    scores = classify.score(model, test)
    size = len(model.to_bytes())
    print()
    print(
        f"scale: {n:,} generated petitions, {len(model.labels)} second-level labels "
        f"(trained on {model.fit_info['trained_on']:,}, {model.fit_info['features']:,} features)"
    )
    print(
        f"  fit {fit_seconds:.1f} s, model {size / 1e6:.1f} MB, held-out accuracy {scores['accuracy']:.4f}, "
        f"{scores['ms_per_doc']:.2f} ms/doc, peak RSS {peak_rss_mib():.0f} MiB"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="seed of the first fold split")
    parser.add_argument(
        "--repeats", type=int, default=3, help="cross-validate on this many splits (seeds seed, seed+1, …)"
    )
    parser.add_argument("--limit", type=int, default=0, help="use a random subsample of this many rows")
    parser.add_argument(
        "--data", type=Path, help="CSV with id,title,text,label (default: the shared train.csv)"
    )
    parser.add_argument(
        "--scale", type=int, default=0, help="also fit on N generated petitions (e.g. 100000)"
    )
    parser.add_argument("--smoke", action="store_true", help="2 folds on 1,200 rows (CI)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.folds, args.limit, args.repeats = 2, args.limit or 1200, 1
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    path = args.data or shared_train_csv()
    if path.exists():
        rows = classify.read_rows(path)
        source = f"{path} ({len(rows):,} rows)"
    else:
        rows = generated_rows(args.limit or 3000, args.seed)
        source = (
            f"NOTE: {path} not found; using {len(rows):,} petitions generated from the project's example templates "
            "(first-level categories). These are far easier than real messages: the figures below do "
            "not measure the goal."
        )
    if args.limit and len(rows) > args.limit:
        rows = random.Random(args.seed).sample(rows, args.limit)

    labels = sorted({r.label for r in rows})
    seeds = list(range(args.seed, args.seed + args.repeats))
    print(f"category suggestion benchmark, Python {sys.version.split()[0]}, load average {load_average()}")
    print(f"data: {source}")
    print(
        f"{len(rows):,} rows, {len(labels)} labels, {args.folds}-fold stratified CV "
        f"repeated on {len(seeds)} split(s), seeds {', '.join(map(str, seeds))}"
    )
    started = time.perf_counter()
    results = []
    header = f"{'fold':>4}{'train':>8}{'test':>7}{'macro-F1':>10}{'accuracy':>10}{'baseline F1':>13}{'ms/doc':>8}{'fit s':>7}"
    for seed in seeds:
        result = classify.cross_validate(rows, folds=args.folds, seed=seed)
        results.append(result)
        print()
        print(f"split seed {seed}")
        print(header)
        for k, fold in enumerate(result["folds"], start=1):
            print(
                f"{k:>4}{fold['train']:>8,}{fold['test']:>7,}{fold['macro_f1']:>10.4f}{fold['accuracy']:>10.4f}"
                f"{fold['baseline_macro_f1']:>13.4f}{fold['ms_per_doc']:>8.2f}{fold['fit_seconds']:>7.1f}"
            )
        print(
            f"{'pooled':>19}{result['macro_f1']:>10.4f}{result['accuracy']:>10.4f}"
            f"{result['baseline_macro_f1']:>13.4f}{result['ms_per_doc']:>8.2f}"
        )
    seconds = time.perf_counter() - started

    mean = {
        key: sum(r[key] for r in results) / len(results)
        for key in ("macro_f1", "accuracy", "baseline_macro_f1", "baseline_accuracy", "ms_per_doc")
    }
    f1s = [r["macro_f1"] for r in results]
    print()
    print(
        f"mean over {len(results)} split(s){'macro-F1':>12}{'accuracy':>10}{'lowest F1':>11}{'highest F1':>12}"
    )
    print(
        f"{'classifier (NB-SVM)':<24}{mean['macro_f1']:>12.4f}{mean['accuracy']:>10.4f}"
        f"{min(f1s):>11.4f}{max(f1s):>12.4f}"
    )
    base_f1s = [r["baseline_macro_f1"] for r in results]
    print(
        f"{'baseline (TF-IDF + SVM)':<24}{mean['baseline_macro_f1']:>12.4f}{mean['baseline_accuracy']:>10.4f}"
        f"{min(base_f1s):>11.4f}{max(base_f1s):>12.4f}"
    )
    print(f"difference: {100 * (mean['macro_f1'] - mean['baseline_macro_f1']):+.2f} points of macro-F1")
    print()
    print(f"per label (classifier, pooled, split seed {seeds[0]}), worst first:")
    for line in classify.report_lines({"per_label": results[0]["per_label"]}):
        print(line)
    print(f"total {seconds:.0f} s, peak RSS {peak_rss_mib():.0f} MiB, load average now {load_average()}")
    if args.scale:
        scale_run(args.scale, args.seed)
    print()
    if path.exists():
        f1_met = mean["macro_f1"] >= GOAL_MACRO_F1
        ms_met = mean["ms_per_doc"] < GOAL_MS_PER_DOC
        print(
            f"goal macro-F1 ≥ {GOAL_MACRO_F1} (mean over the splits): {'MET' if f1_met else 'MISSED'}; "
            f"goal < {GOAL_MS_PER_DOC:g} ms/doc: {'MET' if ms_met else 'MISSED'}"
        )
    else:
        print("goal: not measured (generated data, not the real messages)")
    print(classify.summary_line(mean))
    return 0


if __name__ == "__main__":
    sys.exit(main())
