"""Similar-matter search: build time, memory, top-10 latency and recall@10 of the index against exact search.

    .venv/bin/python benchmarks/bench_similar.py [--n 1000000] [--queries 1000] [--smoke] [--seed 1]

Generates N matter texts from the project's example templates (xinfang/intelligence/examples.py:
appeals per category, accusations and suggestions, filled by `Slots` with invented places), of which about 5 %
are re-filings of an earlier matter with small edits, as happens in practice. The texts stream into
`similar.build` (document frequencies from the first rows, vectors, k-means lists) and are not kept.
Then, for held-out queries — half light edits of indexed matters, half new matters — it times the
index's top-10 search (at the tuned nprobe and at a wider one) and, in the same run, two baselines:
`exact_search` (every stored vector) and plain numpy brute force over a float32 copy; and reports
recall@10 of the index against exact search (a returned id counts if its exact score reaches the
exact 10th score − 1e-6: with templated text many scores tie). nprobe is tuned beforehand on other
queries. It checks that an edited query finds its original, adds the new matters one at a time
(and removes them), saves the index and has a fresh process (as a web worker would) load it
memory-mapped and search. With
XINFANG_SHARED_DIR/data/tipdm2020c/stream.csv present (default: `shared` next to the repo), it also
counts near-duplicate pairs among those real messages (read at run time for this sanity check only).
No Django needed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from xinfang.intelligence import examples, similar  # noqa: E402

# Invented demo places: 8 districts × 6 townships × 10 villages or communities.
DISTRICTS = ["东城区", "西山区", "南湖区", "北岭县", "江口县", "高新区", "白鹭区", "云峰县"]
TOWNSHIP_STEMS = [
    "和平",
    "凤凰",
    "莲塘",
    "松林",
    "渡口",
    "杏林",
    "清河",
    "石桥",
    "梅岭",
    "新塘",
    "金沙",
    "长乐",
]
VILLAGE_STEMS = [
    "上湾",
    "下庄",
    "柳树",
    "双河",
    "桃源",
    "马鞍",
    "竹园",
    "枫林",
    "龙潭",
    "青石",
    "花园",
    "东风",
]
SHORT_INSERTS = ["多次", "再次反映", "请尽快处理", "我们", "非常", "至今", "一直", "希望"]
NEAR_DUPLICATE = 0.8  # exact TF-IDF cosine from which two real messages count as near-duplicates


def places(rng: random.Random) -> list[tuple[str, str, str]]:
    out = []
    for d, district in enumerate(DISTRICTS):
        for t in range(6):
            stem = TOWNSHIP_STEMS[(d + t) % len(TOWNSHIP_STEMS)]
            township = stem + ("街道" if district.endswith("区") and t < 3 else "镇")
            for v in range(10):
                village = VILLAGE_STEMS[(d * 3 + t + v) % len(VILLAGE_STEMS)]
                out.append((district, township, f"{village}{'社区' if township.endswith('街道') else '村'}"))
    rng.shuffle(out)
    return out


def light_edit(rng: random.Random, text: str) -> str:
    """One to three small edits: a few characters deleted, a short phrase inserted, a character changed."""
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        if not chars:
            break
        at = rng.randrange(len(chars))
        roll = rng.random()
        if roll < 0.4:
            del chars[at : at + rng.randint(1, 6)]
        elif roll < 0.75:
            chars[at:at] = rng.choice(SHORT_INSERTS)
        else:
            chars[at] = rng.choice("的了在和是有我")
    return "".join(chars)


class MatterTexts:
    """Demo matters, one at a time: (title, text) with text = content + request."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.places = places(self.rng)
        self.appeals = [t for templates in examples.T.values() for t in templates]
        self.accusations = [t for templates in examples.ACCUSATIONS.values() for t in templates]
        self.advice = [t[1:] for templates in examples.ADVICE.values() for t in templates]
        self.recent: list[tuple[str, str]] = []  # what a re-filing can repeat

    def fresh(self) -> tuple[str, str]:
        rng = self.rng
        district, township, village = rng.choice(self.places)
        received = date(2025, 1, 1) + timedelta(days=rng.randint(0, 600))
        slots = examples.Slots(rng, place=village, township=township, district=district, received=received)
        roll = rng.random()
        if roll < 0.80:
            opening = "collective" if rng.random() < 0.05 else "person"
            title, body, request = examples.compose(slots, rng.choice(self.appeals), opening_kind=opening)
        elif roll < 0.88:
            opening = "anonymous" if rng.random() < 0.5 else "person"
            title, body, request = examples.compose(slots, rng.choice(self.accusations), opening_kind=opening)
        else:
            title, body, request = examples.compose(slots, rng.choice(self.advice), advice=True)
        return title, f"{body}\n{request}"

    def next(self) -> tuple[str, str]:
        rng = self.rng
        if self.recent and rng.random() < 0.05:
            title, text = rng.choice(self.recent)
            return light_edit(rng, title) if rng.random() < 0.5 else title, light_edit(rng, text)
        matter = self.fresh()
        if len(self.recent) < 20_000:
            self.recent.append(matter)
        else:
            self.recent[rng.randrange(len(self.recent))] = matter
        return matter


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def percentile_ms(seconds: list[float], q: float) -> float:
    return float(np.percentile(np.array(seconds) * 1000, q))


# A web worker's view: a fresh process that loads the saved index (memory-mapped) and searches.
WORKER = """
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from xinfang.intelligence.similar import SimilarIndex
t0 = time.perf_counter()
index = SimilarIndex.load(sys.argv[2])
load_seconds = time.perf_counter() - t0
times = []
for query in np.load(sys.argv[3]):
    t0 = time.perf_counter()
    index.search(query, k=10)
    times.append(time.perf_counter() - t0)
# VmHWM, not ru_maxrss: the latter keeps the parent's size from before exec
with open("/proc/self/status") as status:
    fields = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in status if line.startswith(("Vm", "Rss"))}
print(json.dumps({"load": load_seconds, "rss": fields["VmHWM"], "private": fields["RssAnon"], "p50": float(np.percentile(times, 50)) * 1000,
                  "p95": float(np.percentile(times, 95)) * 1000}))
"""


def incremental(index: similar.SimilarIndex, vectors: np.ndarray, first_id: int) -> str:
    """New matters arriving one at a time: add each, find it, then remove them again."""
    add_times, remove_times, found, tied = [], [], 0, 0
    for offset, vector in enumerate(vectors):
        t0 = time.perf_counter()
        index.add([first_id + offset], vector[None, :])
        add_times.append(time.perf_counter() - t0)
        hits = index.search(vector, k=10)
        if any(matter_id == first_id + offset for matter_id, _ in hits):
            found += 1
        elif (
            len(hits) == 10 and hits[-1][1] >= float(vector @ vector) - 5e-3
        ):  # int8 storage moves a score ≤ 0.004
            tied += 1  # ten earlier matters with the very same text: ties go to the smaller ids
    for offset in range(len(vectors)):
        t0 = time.perf_counter()
        index.remove(first_id + offset)
        remove_times.append(time.perf_counter() - t0)
    return (
        f"incremental: {len(vectors):,} new matters added one by one (p50 {percentile_ms(add_times, 50):.2f} ms, "
        f"p95 {percentile_ms(add_times, 95):.2f} ms each), {found:,} found in the top 10 right after, {tied:,} "
        f"behind ten identical earlier texts; "
        f"removed again (p50 {percentile_ms(remove_times, 50):.2f} ms)"
    )


def fresh_process(index: similar.SimilarIndex, queries: np.ndarray) -> str:
    with tempfile.TemporaryDirectory(prefix="xf-bench-similar-") as scratch:
        t0 = time.perf_counter()
        generation = index.save(Path(scratch) / "index")
        save_seconds = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in generation.iterdir()) / 2**20
        np.save(Path(scratch) / "queries.npy", queries)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                WORKER,
                str(REPO),
                str(Path(scratch) / "index"),
                str(Path(scratch) / "queries.npy"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    got = json.loads(done.stdout)
    return (
        f"saved in {save_seconds:.1f} s ({size:,.0f} MiB on disk); a fresh process loads it in {got['load']:.2f} s "
        f"(memory-mapped) and, after {len(queries):,} searches, has peak RSS {got['rss']:,.0f} MiB, of which "
        f"{got['private']:,.0f} MiB private (the rest is mapped files: the index, shared by all workers, and libraries); "
        f"its top-10 p50 {got['p50']:.2f} ms, p95 {got['p95']:.2f} ms"
    )


def stream_sanity() -> str:
    """Near-duplicate pairs among real messages: exact cosine over candidates from brute force, and
    how many of them the index (built from these messages alone, default nprobe) puts in each other's top 10."""
    shared = Path(os.environ.get("XINFANG_SHARED_DIR", REPO.parent / "shared"))
    path = shared / "data" / "tipdm2020c" / "stream.csv"
    if not path.exists():
        return f"real messages: skipped ({path} not found)"
    with open(path, encoding="utf-8") as handle:
        rows = [(row["title"], row["text"]) for row in csv.DictReader(handle)]
    index = similar.build((i, title, text) for i, (title, text) in enumerate(rows))
    embedder = index.embedder  # document frequencies from these messages, not the demo corpus
    vectors = embedder.embed_batch(rows)
    scores = vectors @ vectors.T
    first, second = np.nonzero(np.triu(scores >= NEAR_DUPLICATE - 0.1, k=1))  # candidates, then exact cosine
    pairs = [
        (int(a), int(b))
        for a, b in zip(first, second, strict=True)
        if embedder.similarity(rows[a], [rows[b]])[0] >= NEAR_DUPLICATE
    ]
    found = sum(
        1 for a, b in pairs if b in {hit[0] for hit in index.search(vectors[a], k=10, exclude_ids=[a])}
    )
    messages = len({i for pair in pairs for i in pair})
    return (
        f"real messages (stream.csv, {len(rows):,}): {len(pairs):,} near-duplicate pairs at exact cosine ≥ "
        f"{NEAR_DUPLICATE} among {messages:,} messages ({len(first):,} candidates at vector cosine ≥ "
        f"{NEAR_DUPLICATE - 0.1:.1f}); the index ({index.nlist} lists, nprobe {index.nprobe}) has the "
        f"partner in the top 10 for {found:,} of them"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="matters to index (default 1,000,000)")
    parser.add_argument("--queries", type=int, default=1000, help="held-out queries (default 1,000)")
    parser.add_argument("--tune-queries", type=int, default=200, help="queries for tuning nprobe")
    parser.add_argument("--target-recall", type=float, default=0.98, help="recall nprobe is tuned for")
    parser.add_argument("--smoke", action="store_true", help="20,000 matters, 200 queries (CI)")
    parser.add_argument(
        "--exact-timed", type=int, default=200, help="queries timed one by one with exact search (slow)"
    )
    parser.add_argument("--dtype", choices=similar.STORAGE_TYPES, default="int8", help="vector storage")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.smoke:
        args.n, args.queries, args.tune_queries = 20_000, 200, 100
    if args.n < 2000 or args.queries < 2 or args.tune_queries < 1:
        parser.error("--n must be at least 2,000 and --queries at least 2")

    rng = random.Random(args.seed)
    edit_sources = set(rng.sample(range(args.n), args.queries // 2 + args.tune_queries))
    sources: dict[int, tuple[str, str]] = {}
    matters = MatterTexts(args.seed)

    def rows():
        for matter_id in range(args.n):
            title, text = matters.next()
            if matter_id in edit_sources:
                sources[matter_id] = (title, text)
            yield matter_id, title, text

    rss_before = rss_mib()
    t0 = time.perf_counter()
    index = similar.build(rows(), dtype=args.dtype)
    build_seconds = time.perf_counter() - t0
    rss_built, peak_built = rss_mib(), peak_rss_mib()
    embedder = index.embedder
    # time the embedding alone on fresh texts, to split generation from embedding in the build time
    sample = [matters.fresh() for _ in range(20_000)]
    t0 = time.perf_counter()
    embedder.embed_batch(sample)
    embed_rate = len(sample) / (time.perf_counter() - t0)

    edited_ids = sorted(sources)
    rng.shuffle(edited_ids)
    tune_ids, query_ids = edited_ids[: args.tune_queries], edited_ids[args.tune_queries :]
    tune_texts = [(light_edit(rng, sources[i][0]), light_edit(rng, sources[i][1])) for i in tune_ids]
    edited = [(light_edit(rng, sources[i][0]), light_edit(rng, sources[i][1])) for i in query_ids]
    fresh = [matters.fresh() for _ in range(args.queries - len(edited))]
    queries = embedder.embed_batch(edited + fresh)
    t0 = time.perf_counter()
    nprobe = index.tune_nprobe(embedder.embed_batch(tune_texts), k=10, target_recall=args.target_recall)
    tune_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    exact = index.exact_search_many(queries, k=10)  # the reference, every row read once for all queries
    exact_batch_seconds = time.perf_counter() - t0
    wide = max(32, 2 * nprobe)
    index_times, found, wide_times, wide_found, exact_times = [], [], [], [], []
    for query in queries:
        t0 = time.perf_counter()
        found.append(index.search(query, k=10))
        index_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        wide_found.append(index.search(query, k=10, nprobe=wide))
        wide_times.append(time.perf_counter() - t0)
    for query in queries[: args.exact_timed]:
        t0 = time.perf_counter()
        index.exact_search(query, k=10)
        exact_times.append(time.perf_counter() - t0)
    # a second baseline: plain numpy brute force over a contiguous float32 copy of every vector (taken
    # after the memory figures), in 1,024-row products: one big product is slower here, because the
    # BLAS library's threads wait for a busy machine's cores
    ids_all, matrix = index.rows()
    matrix_times = []
    for query in queries[: args.exact_timed]:
        t0 = time.perf_counter()
        scores = np.concatenate([matrix[i : i + 1024] @ query for i in range(0, len(matrix), 1024)])
        top = np.argpartition(-scores, 9)[:10]
        sorted(zip(-scores[top], ids_all[top], strict=True))
        matrix_times.append(time.perf_counter() - t0)
    del matrix, scores
    recall = similar.recall_at_k(found, exact)
    recall_edited = similar.recall_at_k(found[: len(edited)], exact[: len(edited)])
    recall_fresh = similar.recall_at_k(found[len(edited) :], exact[len(edited) :])

    # Is the original what an edited query finds first? Templates with few slots give identical texts,
    # so a copy indistinguishable from the original (exact cosine ≥ 0.95 with it) counts as found.
    # The texts were not kept: a second generator with the same seed replays them.
    wanted = {hit[0] for hits in found[: len(edited)] for hit in hits}
    replay, texts_of = MatterTexts(args.seed), {}
    for matter_id in range(args.n):
        matter = replay.next()
        if matter_id in wanted:
            texts_of[matter_id] = matter
    by_vector = by_exact = 0
    for matter_id, query_text, hits in zip(query_ids, edited, found, strict=False):
        candidates = [hit[0] for hit in hits]
        if not candidates:
            continue
        texts = [texts_of[c] for c in candidates]
        same = embedder.similarity(sources[matter_id], texts) >= 0.95
        by_vector += bool(same[0])
        by_exact += bool(same[int(np.argmax(embedder.similarity(query_text, texts)))])

    sizes = index.list_sizes()
    print(
        f"similar-matter benchmark: {args.n:,} matters, {len(queries):,} queries "
        f"({len(edited):,} light edits of indexed matters, {len(fresh):,} new), seed {args.seed}, "
        f"Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"build {build_seconds:.1f} s ({args.n / build_seconds:,.0f} matters/s with text generation; "
        f"embedding alone {embed_rate:,.0f} docs/s); {index.nlist:,} lists of {sizes.min()}–{sizes.max()} "
        f"(median {int(np.median(sizes))}); dim {index.dim} {args.dtype}; nprobe {nprobe} tuned on "
        f"{len(tune_texts)} other queries for recall ≥ {args.target_recall} ({tune_seconds:.1f} s)"
    )
    print(
        f"memory: index {index.memory_bytes() / 2**20:,.0f} MiB; RSS after build {rss_built:,.0f} MiB "
        f"(before {rss_before:,.0f} MiB, peak during build {peak_built:,.0f} MiB); RSS now {rss_mib():,.0f} MiB"
    )
    print()
    print(f"{'top-10 search':<34}{'queries':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  recall@10")
    rows_printed = [
        (f"index, nprobe {nprobe} (tuned)", index_times, f"{recall:.4f}"),
        (f"index, nprobe {wide}", wide_times, f"{similar.recall_at_k(wide_found, exact):.4f}"),
        ("exact_search (baseline)", exact_times, "1 (reference)"),
        ("numpy brute force, float32 copy", matrix_times, "1"),
    ]
    for label, times, value in rows_printed:
        print(
            f"{label:<34}{len(times):>8,}{percentile_ms(times, 50):>9.2f}{percentile_ms(times, 95):>9.2f}"
            f"{percentile_ms(times, 99):>9.2f}  {value}"
        )
    print(
        f"exact search of all {len(queries):,} queries in one pass (the recall reference): "
        f"{exact_batch_seconds:.1f} s"
    )
    print(f"recall@10 at nprobe {nprobe}: light edits {recall_edited:.4f}, new matters {recall_fresh:.4f}")
    print(
        f"edited query → its original (or an identical copy) first: {by_vector}/{len(edited)} by vector, "
        f"{by_exact}/{len(edited)} after exact cosine on the 10 candidates"
    )
    print(incremental(index, queries[len(edited) :], first_id=args.n))
    print(fresh_process(index, queries))
    print(stream_sanity())
    p95 = percentile_ms(index_times, 95)
    met = p95 < 20 and recall >= 0.95
    print()
    print(
        f"summary: {args.n:,} matters, index top-10 p95 {p95:.2f} ms (exact {percentile_ms(exact_times, 95):.1f} ms), "
        f"recall@10 {recall:.4f}; goal p95 < 20 ms and recall ≥ 0.95: {'MET' if met else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
