"""Similar and repeat matters (xinfang/intelligence/similar.py) and collective petitions (collective.py).

Plain Python: no database. Texts come from the project's example petitions with invented places.
"""

import math
import random
import re
import threading
import unicodedata
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest

from xinfang.intelligence import examples, similar
from xinfang.intelligence.collective import Filing, find_collective
from xinfang.intelligence.similar import (
    CandidateFeatures,
    MatterKeys,
    SimilarIndex,
    TextEmbedder,
    compare,
    explain,
    rank_similar,
    recall_at_k,
)

PLACES = [
    ("东城区", "滨河街道", "和平社区"),
    ("西山区", "凤凰街道", "杏林社区"),
    ("南湖区", "南湖镇", "莲塘村"),
    ("北岭县", "北岭镇", "松树村"),
]


def demo_texts(count: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    templates = [t for group in examples.T.values() for t in group]
    rows = []
    for _ in range(count):
        district, township, village = rng.choice(PLACES)
        slots = examples.Slots(
            rng, place=village, township=township, district=district, received=date(2026, 3, 1)
        )
        title, body, request = examples.compose(slots, rng.choice(templates))
        rows.append((title, f"{body}\n{request}"))
    return rows


def edited(text: str) -> str:
    """A re-filing: a phrase added at the front, a few characters dropped in the middle."""
    middle = len(text) // 2
    return "再次反映：" + text[:middle] + text[middle + 3 :]


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def clustered_vectors(count: int, dim: int = 32, clusters: int = 40, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = unit(rng.standard_normal((clusters, dim)))
    return unit(centres[rng.integers(0, clusters, count)] + 0.35 * rng.standard_normal((count, dim))).astype(
        np.float32
    )


@pytest.fixture(scope="module")
def corpus():
    return demo_texts(400)


@pytest.fixture(scope="module")
def fitted(corpus):
    return TextEmbedder().fit(corpus)


# ---------------------------------------------------------------- text vectors


def test_vectors_are_deterministic_unit_length_and_batch_equals_single(corpus):
    first = TextEmbedder().embed_batch(corpus[:20])
    second = TextEmbedder().embed_batch(corpus[:20])
    assert first.dtype == np.float32 and first.shape == (20, similar.DEFAULT_DIM)
    assert np.array_equal(first, second)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    single = np.stack([TextEmbedder().embed(title, text) for title, text in corpus[:20]])
    assert np.allclose(first, single, atol=1e-6)
    assert np.array_equal(similar.embed(*corpus[0]), first[0])


def test_empty_text_is_the_zero_vector():
    vector = TextEmbedder().embed("", "。，！")
    assert not vector.any()


def test_edited_refiling_is_nearest_to_its_original(corpus, fitted):
    vectors = fitted.embed_batch(corpus)
    for position in (0, 57, 123, 250, 399):
        title, text = corpus[position]
        query = fitted.embed(title, edited(text))
        scores = vectors @ query
        assert int(np.argmax(scores)) == position
        assert scores[position] > 0.8


def test_unrelated_matters_are_far_apart(fitted):
    a = fitted.embed(
        "小区电梯频繁故障无人维修", "电梯本月已困人五次，物业称维修资金申请不下来，楼里老人出行困难。"
    )
    b = fitted.embed("农民工工资被拖欠", "我们在工地干了八个月，老板拖欠工资十二万元，多次讨要无果。")
    assert float(a @ b) < 0.3


def test_exact_similarity_agrees_with_vectors_and_is_one_for_the_same_text(corpus, fitted):
    query = corpus[10]
    others = corpus[:60]
    exact = fitted.similarity(query, others)
    assert exact[10] == pytest.approx(1.0)
    assert np.all((exact >= 0) & (exact <= 1 + 1e-9))
    projected = fitted.embed_batch(others) @ fitted.embed(*query)
    # the projection only adds noise around the exact cosine
    assert np.max(np.abs(projected - exact)) < 0.25
    assert np.corrcoef(projected, exact)[0, 1] > 0.9


def reference_cosine(first: tuple[str, str], second: tuple[str, str]) -> float:
    """Plain-Python cosine of sublinear character 1–3-gram counts (what the unfitted embedder means)."""

    def weights(title, text):
        counts = Counter()
        for segment in re.split(r"[^\w]|_", unicodedata.normalize("NFKC", f"{title}\n{text}").lower()):
            for order in (1, 2, 3):
                counts.update(segment[i : i + order] for i in range(len(segment) - order + 1))
        return {gram: 1 + math.log(count) for gram, count in counts.items()}

    a, b = weights(*first), weights(*second)
    dot = sum(value * b.get(gram, 0.0) for gram, value in a.items())
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def test_exact_similarity_matches_a_plain_python_reference(corpus):
    pairs = [
        (corpus[0], corpus[1]),
        (corpus[2], (corpus[2][0], edited(corpus[2][1]))),
        (corpus[3], corpus[200]),
    ]
    pairs.append((("ＡＢＣ物业，收费12元！", "电梯坏了"), ("abc物业收费12元", "电梯  坏了。")))
    for first, second in pairs:
        assert TextEmbedder().similarity(first, [second])[0] == pytest.approx(
            reference_cosine(first, second), abs=1e-9
        )


def test_document_frequencies_weaken_shared_boilerplate():
    boilerplate = "恳请有关部门尽快调查处理，希望领导高度重视，给群众一个说法。"
    rows = [
        (f"事项{i}", boilerplate + topic) for i, topic in enumerate(["路灯不亮", "噪音扰民", "欠薪"] * 20)
    ]
    a = ("路灯", boilerplate + "和平社区路灯损坏三个月")
    b = ("欠薪", boilerplate + "工地老板拖欠工资两万元")
    plain = TextEmbedder().similarity(a, [b])[0]
    weighted = TextEmbedder().fit(rows).similarity(a, [b])[0]
    assert weighted < plain


def test_embedder_save_and_load_keep_vectors(tmp_path, corpus, fitted):
    fitted.save(tmp_path)
    loaded = TextEmbedder.load(tmp_path)
    assert np.array_equal(loaded.embed_batch(corpus[:5]), fitted.embed_batch(corpus[:5]))


# ---------------------------------------------------------------- the index


@pytest.fixture(params=similar.STORAGE_TYPES)
def trained_index(request):
    vectors = clustered_vectors(3000)
    index = SimilarIndex(dim=32, nprobe=8, dtype=request.param)
    index.add(np.arange(3000), vectors)
    index.train(vectors, nlist=50)
    return index, vectors


def test_incremental_add_is_found_without_rebuilding(trained_index):
    index, vectors = trained_index
    new = unit(vectors[5] + 0.01 * np.random.default_rng(1).standard_normal(32)).astype(np.float32)
    index.add([50_000], new[None, :])
    assert len(index) == 3001 and 50_000 in index
    top_id, top_score = index.search(new, k=1)[0]
    assert top_id == 50_000 and top_score == pytest.approx(1.0, abs=1e-3)
    # adding an id again replaces its vector instead of duplicating it
    index.add([50_000], vectors[7][None, :])
    assert len(index) == 3001
    assert [hit[0] for hit in index.exact_search(vectors[7], k=3)].count(50_000) == 1


def test_remove_takes_a_matter_out(trained_index):
    index, vectors = trained_index
    assert index.search(vectors[42], k=1)[0][0] == 42
    assert index.remove(42) is True
    assert 42 not in index and len(index) == 2999
    assert 42 not in [hit[0] for hit in index.exact_search(vectors[42], k=20)]
    assert index.remove(42) is False
    assert index.remove(10**6) is False


def test_exclude_ids_and_result_order(trained_index):
    index, vectors = trained_index
    hits = index.search(vectors[0], k=10, exclude_ids=[0, 1])
    assert len(hits) == 10
    assert {0, 1}.isdisjoint(hit[0] for hit in hits)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)


def test_recall_against_exact_search_on_a_random_set(trained_index):
    index, vectors = trained_index
    rng = np.random.default_rng(9)
    queries = unit(vectors[rng.integers(0, 3000, 100)] + 0.2 * rng.standard_normal((100, 32))).astype(
        np.float32
    )
    exact = index.exact_search_many(queries, k=10)
    assert [[i for i, _ in hits] for hits in exact] == [
        [i for i, _ in index.exact_search(q)] for q in queries
    ]
    index.tune_nprobe(queries[:50], k=10, target_recall=0.97)
    found = [index.search(q, k=10) for q in queries[50:]]
    assert recall_at_k(found, exact[50:]) >= 0.95
    # a single probe of 50 lists misses neighbours: the measure can tell
    assert recall_at_k([index.search(q, k=10, nprobe=1) for q in queries[50:]], exact[50:]) < 0.95


def test_recall_counts_ties():
    exact = [[(1, 0.9), (2, 0.5), (3, 0.5)]]
    assert recall_at_k([[(1, 0.9), (2, 0.5), (4, 0.5)]], exact) == 1.0
    assert recall_at_k([[(1, 0.9), (2, 0.5), (4, 0.4)]], exact) == pytest.approx(2 / 3)


def test_save_and_load_round_trip(tmp_path, trained_index, fitted):
    index, vectors = trained_index
    index.embedder = fitted
    index.remove(3)
    index.add([9000], vectors[100][None, :])
    index.save(tmp_path)
    loaded = SimilarIndex.load(tmp_path)
    assert len(loaded) == len(index) and loaded.nlist == index.nlist and loaded.nprobe == index.nprobe
    for query in vectors[:30]:
        assert loaded.search(query, k=10) == index.search(query, k=10)
    assert 3 not in loaded and 9000 in loaded
    assert loaded.embedder is not None and np.array_equal(
        loaded.embedder.embed("标题", "内容"), fitted.embed("标题", "内容")
    )
    # the loaded index is memory-mapped and still takes new matters; the files stay as saved
    loaded.add([9001], vectors[200][None, :])
    assert loaded.search(vectors[200], k=2)[0][0] in (200, 9001)
    assert 9001 not in SimilarIndex.load(tmp_path)
    # a second save is a new generation; the pointer moves to it
    loaded.save(tmp_path)
    assert 9001 in SimilarIndex.load(tmp_path)
    assert len(list(tmp_path.glob("gen-*"))) == 2
    loaded.save(tmp_path)  # older generations go; the current one and the one before it stay
    assert len(list(tmp_path.glob("gen-*"))) == 2


def test_untrained_index_is_exact_and_build_streams_rows(corpus):
    rows = ((1000 + i, title, text) for i, (title, text) in enumerate(corpus))
    index = similar.build(rows, chunk=64)
    assert len(index) == len(corpus) and not index.trained and index.embedder.fitted
    query = index.embedder.embed(corpus[5][0], edited(corpus[5][1]))
    assert index.search(query, k=5) == index.exact_search(query, k=5)
    assert index.search(query, k=1)[0][0] == 1005


def test_build_trains_lists_for_larger_sets():
    rows = [(i, title, text) for i, (title, text) in enumerate(demo_texts(2500, seed=11))]
    index = similar.build(iter(rows), chunk=500, fit_rows=1000)
    assert index.trained and len(index) == 2500
    assert index.list_sizes().sum() == 2500
    title, text = rows[1234][1:]
    hits = index.search(index.embedder.embed(title, edited(text)), k=10, nprobe=index.nlist)
    assert 1234 in [hit[0] for hit in hits]


def test_stored_scores_stay_close_to_float32_cosines():
    vectors = clustered_vectors(500, dim=256)
    queries = clustered_vectors(20, dim=256, seed=8)
    truth = queries @ vectors.T
    for dtype, tolerance in (("int8", 0.01), ("float16", 0.001), ("float32", 1e-5)):
        index = SimilarIndex(dim=256, dtype=dtype)
        index.add(np.arange(500), vectors)
        for query, expected in zip(queries, truth, strict=True):
            found = index.exact_search(query, k=500)
            ids = [i for i, _ in found]
            assert np.max(np.abs(np.array([s for _, s in found]) - expected[ids])) < tolerance


def test_bad_input_is_refused():
    index = SimilarIndex(dim=8)
    with pytest.raises(ValueError):
        index.add([1, 2], np.ones((2, 9), dtype=np.float32))
    with pytest.raises(ValueError):
        index.add([1, 1], np.ones((2, 8), dtype=np.float32))
    with pytest.raises(ValueError):
        index.add([-1], np.ones((1, 8), dtype=np.float32))
    with pytest.raises(ValueError):
        SimilarIndex(dim=8, dtype="float64")


def test_searches_stay_consistent_while_a_writer_adds_and_removes(trained_index):
    index, vectors = trained_index
    errors, stop = [], threading.Event()
    known = set(range(3000)) | set(range(100_000, 100_600))
    extra = clustered_vectors(600, seed=5)

    def reader():
        rng = np.random.default_rng(threading.get_ident() % 1000)
        while not stop.is_set():
            query = vectors[rng.integers(0, 3000)]
            try:
                hits = index.search(query, k=10)
                scores = [s for _, s in hits]
                assert scores == sorted(scores, reverse=True)
                assert {i for i, _ in hits} <= known
                assert len({i for i, _ in hits}) == len(hits)
            except Exception as error:  # noqa: BLE001 - collected and reported by the test
                errors.append(error)
                return

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    for i in range(600):
        index.add([100_000 + i], extra[i][None, :])
        if i % 3 == 0:
            index.remove(i)
    stop.set()
    for thread in readers:
        thread.join()
    assert not errors
    assert len(index) == 3000 + 600 - 200


# ---------------------------------------------------------------- reasons


def test_explain_names_every_shared_fact_in_chinese():
    score, reasons = explain(
        CandidateFeatures(0.87, same_petitioner=True, same_division=True, same_unit=True)
    )
    assert reasons[:4] == ["内容相似度 0.87", "同一信访人", "同一问题属地", "反映同一单位"]
    assert "疑似同一事项重复提出" in reasons
    assert 0.87 < score <= 1.0
    plain_score, plain_reasons = explain(CandidateFeatures(0.87))
    assert plain_reasons == ["内容相似度 0.87"] and plain_score == pytest.approx(0.87)


def test_text_stays_the_main_signal():
    same_person_unrelated, _ = explain(CandidateFeatures(0.1, same_petitioner=True))
    close_text_stranger, _ = explain(CandidateFeatures(0.9))
    assert same_person_unrelated < close_text_stranger
    each = [
        explain(CandidateFeatures(0.5, **{flag: True}))[0]
        for flag in ("same_petitioner", "same_division", "same_unit")
    ]
    assert all(score > 0.5 for score in each)
    assert explain(CandidateFeatures(0.5, True, True, True))[0] > max(each)


def test_compare_and_rank_similar_use_the_keys():
    query = MatterKeys(frozenset({"p1"}), "330102001001", frozenset({"unit-9"}))
    twin = MatterKeys(frozenset({"p1", "p2"}), "330102001001", frozenset())
    stranger = MatterKeys(frozenset({"p3"}), "330102002001", frozenset({"unit-9"}))
    features = compare(0.6, query, twin)
    assert features.same_petitioner and features.same_division and not features.same_unit
    assert not compare(0.6, MatterKeys(), MatterKeys()).same_division  # unknown places do not match
    ranked = rank_similar(query, [(2, 0.6, stranger), (1, 0.85, twin), (3, 0.2, MatterKeys())], k=2)
    assert [item.id for item in ranked] == [1, 2]
    assert ranked[0].likely_repeat and "同一信访人" in ranked[0].reasons
    assert ranked[1].reasons == ("内容相似度 0.60", "反映同一单位")


# ---------------------------------------------------------------- collective petitions


def near(vector: np.ndarray, rng, noise: float = 0.05) -> np.ndarray:
    return unit(vector + noise * rng.standard_normal(vector.shape)).astype(np.float32)


@pytest.fixture
def topic_vectors():
    rng = np.random.default_rng(4)
    return unit(rng.standard_normal((3, 64))).astype(np.float32), rng


def test_many_petitioners_same_place_same_week_make_a_group(topic_vectors):
    topics, rng = topic_vectors
    start = date(2026, 5, 4)
    items = [
        (i, start + timedelta(days=i % 5), "330102001001", near(topics[0], rng), f"p{i}") for i in range(6)
    ]
    # background: other topics, other places
    items += [(100 + i, start, "330102001001", near(topics[1 + i % 2], rng, 0.8), f"q{i}") for i in range(4)]
    items += [(200 + i, start, "330199001001", near(topics[0], rng), f"r{i}") for i in range(3)]
    groups = find_collective(items, window_days=7, min_count=5)
    assert len(groups) == 1
    group = groups[0]
    assert group.ids == (0, 5, 1, 2, 3, 4)  # by date received, then id
    assert group.petitioners == 6 and group.peak_petitioners == 6
    assert group.division_code == "330102001001"
    assert group.first_received == start and group.last_received == start + timedelta(days=4)
    assert "同一属地" in group.reason and "6 位信访人" in group.reason and "疑似集体信访" in group.reason


def test_one_petitioner_filing_many_times_is_not_collective(topic_vectors):
    topics, rng = topic_vectors
    items = [
        Filing(i, date(2026, 5, 4), "330102001001", near(topics[0], rng), "same-person") for i in range(8)
    ]
    assert find_collective(items, min_count=5) == []
    # two people are still not five
    items += [Filing(20, date(2026, 5, 5), "330102001001", near(topics[0], rng), "other")]
    assert find_collective(items, min_count=5) == []


def test_spread_out_dissimilar_or_scattered_filings_are_not_collective(topic_vectors):
    topics, rng = topic_vectors
    start = date(2026, 1, 1)
    spread = [
        (i, start + timedelta(days=10 * i), "330102001001", near(topics[0], rng), f"p{i}") for i in range(6)
    ]
    assert find_collective(spread, window_days=7, min_count=5) == []
    dissimilar = [
        (i, start, "330102001001", unit(rng.standard_normal(64)).astype(np.float32), f"p{i}")
        for i in range(6)
    ]
    assert find_collective(dissimilar, min_count=5) == []
    scattered = [(i, start, f"3301020010{i:02d}", near(topics[0], rng), f"p{i}") for i in range(6)]
    assert find_collective(scattered, min_count=5) == []
    # the same villages seen as one township (first 9 digits of the code) do form a group
    groups = find_collective(scattered, min_count=5, place_digits=9, place_names={"330102001": "和平街道"})
    assert len(groups) == 1 and groups[0].division_code == "330102001"
    assert "同一属地（和平街道）" in groups[0].reason


def test_window_counts_petitioners_within_the_days(topic_vectors):
    topics, rng = topic_vectors
    start = date(2026, 3, 1)
    # a chain of similar filings over 12 days, but only three within any 7 days
    items = [
        (i, start + timedelta(days=3 * i), "330102001001", near(topics[2], rng), f"p{i}") for i in range(5)
    ]
    assert find_collective(items, window_days=7, min_count=5) == []
    assert len(find_collective(items, window_days=13, min_count=5)) == 1


def test_anonymous_filings_count_one_each_and_are_named_in_the_reason(topic_vectors):
    topics, rng = topic_vectors
    items = [(i, date(2026, 6, 1), "330102001001", near(topics[1], rng), None) for i in range(3)]
    items += [(10 + i, date(2026, 6, 2), "330102001001", near(topics[1], rng), f"p{i}") for i in range(2)]
    (group,) = find_collective(items, min_count=5)
    assert group.anonymous == 3 and group.petitioners == 5
    assert "3 件未留身份" in group.reason


def test_collective_with_text_vectors(fitted):
    letter = (
        "反映村里垃圾填埋场臭气",
        "莲塘村附近的垃圾填埋场近期臭气熏天，渗滤液流进水塘，村民无法正常生活。请求尽快整改。",
    )
    items = []
    for i in range(6):
        title, text = letter
        text = text.replace("近期", ["近期", "最近", "这段时间", "近来", "近一个月", "这几天"][i])
        items.append((i, date(2026, 7, 1 + i), "330102003005", fitted.embed(title, text), f"p{i}"))
    items.append((99, date(2026, 7, 2), "330102003005", fitted.embed(*demo_texts(1, seed=99)[0]), "x"))
    (group,) = find_collective(items)
    assert group.ids == tuple(range(6)) and group.mean_similarity > 0.8
