"""Urgency flags: precision, recall and speed of the rules beside a naive keyword list.

    .venv/bin/python benchmarks/bench_urgency.py [--repeat 3] [--smoke]

Quality on the project's own labelled cases (xinfang/intelligence/data/urgency_cases.tsv, written for
the project): per kind and overall precision / recall / F1 on the held-out half (odd data rows, never
used to tune the rules) and on all cases, for the rules (`assess`) and for a baseline in the same run —
a naive keyword list: any of the obvious words flags its kind, with no negation, no reading of numbers,
nothing resolved. Speed: ms per document for both, on the labelled cases and, if present, on the
real citizen messages of shared/data/tipdm2020c/train.csv (read at run time; nothing is copied), where
the share of messages flagged per kind is printed as a sanity figure (those messages have no urgency
labels). No Django needed. `--smoke` times one pass instead of `--repeat`.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xinfang.intelligence.urgency import KINDS, assess  # noqa: E402

CASES_FILE = ROOT / "xinfang" / "intelligence" / "data" / "urgency_cases.tsv"

# The baseline: the obvious words of each kind, matched anywhere.
KEYWORDS = {
    "self_harm": ["跳楼", "自杀", "轻生", "喝农药", "不想活", "上吊", "割腕", "寻短见", "自焚"],
    "violence": ["报复", "同归于尽", "炸", "杀", "打人", "殴打", "威胁", "砍", "放火"],
    "gathering": ["聚集", "堵路", "围堵", "横幅", "集体上访", "静坐", "罢工", "游行"],
    "crowd": ["数十", "几十", "上百", "数百", "几百", "上千", "多名", "余名", "多户", "余户", "多人"],
    "vulnerable": ["老人", "残疾", "重病", "孕妇", "留守儿童", "瘫痪", "断水", "断粮", "癌症", "孤寡"],
    "hazard": [
        "危房",
        "坍塌",
        "倒塌",
        "裂缝",
        "泄漏",
        "火灾",
        "隐患",
        "电线",
        "溺水",
        "滑坡",
        "渗漏",
        "危险",
    ],
}


def keyword_kinds(title: str, text: str) -> set[str]:
    full = f"{title}\n{text}"
    return {kind for kind, words in KEYWORDS.items() if any(word in full for word in words)}


def rule_kinds(title: str, text: str) -> set[str]:
    return set(assess(title, text).kinds)


METHODS = {"rules": rule_kinds, "keywords": keyword_kinds}


def load_cases() -> list[tuple[set[str], str]]:
    lines = CASES_FILE.read_text(encoding="utf-8").splitlines()[1:]
    return [
        (set(filter(None, kinds.split(","))), text) for kinds, text in (line.split("\t") for line in lines)
    ]


def load_messages() -> tuple[list[tuple[str, str]], Path]:
    shared = Path(os.environ.get("XINFANG_SHARED_DIR", ROOT.parent / "shared"))
    path = shared / "data" / "tipdm2020c" / "train.csv"
    if not path.exists():
        return [], path
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["title"], row["text"]) for row in csv.DictReader(handle)], path


def scores(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(cases, predict) -> dict[str, tuple[int, int, int]]:
    """Counts (tp, fp, fn) per kind, over all kinds ("micro") and for "any flag at all" ("urgent")."""
    counts = {key: [0, 0, 0] for key in [*KINDS, "micro", "urgent"]}
    for gold, text in cases:
        got = predict("", text)
        for kind in KINDS:
            for key in (kind, "micro"):
                counts[key][0] += kind in gold and kind in got
                counts[key][1] += kind in got and kind not in gold
                counts[key][2] += kind in gold and kind not in got
        counts["urgent"][0] += bool(gold) and bool(got)
        counts["urgent"][1] += bool(got) and not gold
        counts["urgent"][2] += bool(gold) and not got
    return {key: tuple(value) for key, value in counts.items()}


def print_quality(name: str, cases) -> dict[str, dict]:
    results = {method: evaluate(cases, predict) for method, predict in METHODS.items()}
    negatives = sum(1 for gold, _ in cases if not gold)
    print(f"\n{name}: {len(cases)} cases, {negatives} not urgent")
    print(f"{'':<20}{'cases':>6}   {'rules P':>8}{'R':>6}{'F1':>6}   {'keywords P':>11}{'R':>6}{'F1':>6}")
    for key in [*KINDS, "micro", "urgent"]:
        label = {"micro": "all kinds (micro)", "urgent": "urgent at all"}.get(key, key)
        support = sum(results["rules"][key][i] for i in (0, 2))
        row = f"{label:<20}{support:>6}   "
        for method in METHODS:
            precision, recall, f1 = scores(*results[method][key])
            row += f"{precision:>{8 if method == 'rules' else 11}.2f}{recall:>6.2f}{f1:>6.2f}   "
        print(row.rstrip())
    return results


def time_per_doc(documents: list[tuple[str, str]], predict, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for title, text in documents:
            predict(title, text)
        best = min(best, time.perf_counter() - start)
    return best / len(documents) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing passes, the best is kept (default 3)")
    parser.add_argument("--smoke", action="store_true", help="one timing pass (for CI)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be positive")
    repeat = 1 if args.smoke else args.repeat

    cases = load_cases()
    messages, messages_path = load_messages()
    print(
        f"urgency benchmark: {len(cases)} labelled cases, Python {sys.version.split()[0]}, "
        f"load {os.getloadavg()[0]:.2f}, {repeat} timing pass(es)"
    )
    print(
        "note: the cases and the rules were written for the project by the same hand; the held-out half was\n"
        "not used to tune, but expect lower figures on wording nobody has seen (see the shares below)."
    )
    held_out = print_quality("held-out half (odd rows, not used for tuning)", cases[1::2])
    print_quality("tuning half (even rows)", cases[0::2])
    everything = print_quality("all cases", cases)

    print(f"\n{'speed':<36}{'docs':>7}{'rules ms/doc':>14}{'docs/s':>9}{'keywords ms/doc':>17}{'docs/s':>11}")
    timed = [("labelled cases", [("", text) for _, text in cases])]
    if messages:
        timed.append((f"train.csv ({sum(len(t) for _, t in messages) // len(messages)} chars avg)", messages))
    speeds = {}
    for name, documents in timed:
        rules_ms = time_per_doc(documents, rule_kinds, repeat)
        keywords_ms = time_per_doc(documents, keyword_kinds, repeat)
        speeds[name] = rules_ms
        print(
            f"{name:<36}{len(documents):>7,}{rules_ms:>14.3f}{1000 / rules_ms:>9,.0f}"
            f"{keywords_ms:>17.4f}{1000 / keywords_ms:>11,.0f}"
        )

    if messages:
        print(
            f"\nshare of the {len(messages):,} messages of {messages_path.name} flagged (no labels: a sanity figure)"
        )
        print(f"{'kind':<16}{'rules':>8}{'keywords':>10}")
        flagged = {
            method: [predict(title, text) for title, text in messages] for method, predict in METHODS.items()
        }
        for kind in [*KINDS, None]:
            row = f"{kind or 'any':<16}"
            for method, width in (("rules", 8), ("keywords", 10)):
                hits = sum(1 for kinds in flagged[method] if (kind in kinds if kind else kinds))
                row += f"{hits / len(messages):>{width}.1%}"
            print(row)
    else:
        print(f"\n{messages_path} not found: real-message speed and shares skipped")

    rules_p, rules_r, rules_f1 = scores(*held_out["rules"]["micro"])
    base_p, base_r, base_f1 = scores(*held_out["keywords"]["micro"])
    all_f1 = scores(*everything["rules"]["micro"])[2]
    speed_name = timed[-1][0]
    print(
        f"\nSUMMARY urgency: held-out P {rules_p:.2f} R {rules_r:.2f} F1 {rules_f1:.2f} "
        f"(keywords P {base_p:.2f} R {base_r:.2f} F1 {base_f1:.2f}), all-cases F1 {all_f1:.2f}; "
        f"{speeds[speed_name]:.3f} ms/doc ({1000 / speeds[speed_name]:,.0f} docs/s) on {speed_name.split(' (')[0]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
