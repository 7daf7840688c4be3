"""Emerging topics (xinfang.intelligence.topics): grams, the jump, containment, clustering, labels and
examples (plain Python, no database)."""

import random

import pytest

from xinfang.intelligence.corpus import default_corpus
from xinfang.intelligence.topics import (
    Topic,
    TopicSettings,
    _decode,
    _grams,
    _suppress_contained,
    _Term,
    find_topics,
)

WATER = [
    "{place}已经连续{n}天停水了，居民做饭洗澡都成问题，请尽快恢复供水。",
    "我们{place}又停水了，自来水公司说是管道抢修，可是{n}天了一直没有人来修。",
    "{place}停水第{n}天，家里老人孩子没水喝，物业说不归他们管。",
    "反映{place}长时间停水问题：最近{n}天完全没水，业主只能去外面买水。",
]


@pytest.fixture(scope="module")
def background() -> list[str]:
    """Varied petitions: the example petitions filled with random places, names and amounts."""
    rows = default_corpus(per_template=4, seed=11)
    texts = [f"{title}\n{text}" for title, text, _ in rows]
    random.Random(5).shuffle(texts)
    return texts


def water_documents(count: int, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        place = rng.choice(["幸福里小区", "幸福里小区三期"])
        text = rng.choice(WATER).format(place=place, n=rng.choice("三四五"))
        docs.append((f"water-{i}", f"{place}停水\n{text}"))
    return docs


def split(background: list[str], recent_count: int = 200):
    recent = [(f"r{i}", text) for i, text in enumerate(background[:recent_count])]
    baseline = [(f"b{i}", text) for i, text in enumerate(background[recent_count:])]
    return recent, baseline


# ------------------------------------------------------------------------------------------ grams
def test_grams_are_the_2_to_4_grams_of_chinese_runs():
    keys, docs = _grams(["A市停水了!小区", "停水"])
    found = {(text, int(doc)) for text, doc in zip(_decode(keys[keys > 0]), docs[keys > 0], strict=True)}
    assert found == {
        ("市停", 0), ("停水", 0), ("水了", 0), ("市停水", 0), ("停水了", 0), ("市停水了", 0),
        ("小区", 0),
        ("停水", 1),
    }  # fmt: skip


# ---------------------------------------------------------------------------------------- topics
def test_an_injected_topic_emerges_with_its_documents(background):
    recent, baseline = split(background)
    water = water_documents(30)
    mixed = recent[:100] + water + recent[100:]
    topics = find_topics(mixed, baseline)
    assert topics, "no topic found"
    topic = topics[0]
    assert isinstance(topic, Topic)
    assert "停水" in topic.label
    water_ids = {doc_id for doc_id, _ in water}
    assert set(topic.examples) <= water_ids and len(topic.examples) == 5
    assert water_ids <= set(topic.doc_ids)
    assert topic.recent_docs == len(topic.doc_ids) >= 30
    assert topic.recent_rate == pytest.approx(topic.recent_docs / len(mixed))
    assert topic.jump >= 3
    assert "停水" in topic.reason
    # Without the injection the same split has no topic: the rest is the same mix as the baseline.
    assert find_topics(recent, baseline) == []


def test_a_term_as_common_before_does_not_emerge(background):
    # "物业费" in a fifth of the recent documents and a fifth of the baseline.
    recent, baseline = split(background)
    recent = [(i, t + ("\n物业费标准" if n % 5 == 0 else "")) for n, (i, t) in enumerate(recent)]
    baseline = [(i, t + ("\n物业费标准" if n % 5 == 0 else "")) for n, (i, t) in enumerate(baseline)]
    recent += water_documents(30)
    topics = find_topics(recent, baseline)
    assert all("物业费" not in term for topic in topics for term in topic.terms)
    assert any("停水" in topic.label for topic in topics)


def test_exact_numbers_of_a_topic():
    # 60 recent documents (10 of them "幸福里小区停水三天了"), 200 baseline documents, none about it.
    filler = ["今天去银行办理业务排队很久", "学校门口道路拥堵请求加强管理", "路灯坏了晚上出行不便"]
    baseline = [(f"b{i}", filler[i % 3]) for i in range(200)]
    recent = [(f"r{i}", filler[i % 3]) for i in range(50)]
    recent += [(f"w{i}", "幸福里小区停水三天了") for i in range(10)]
    topics = find_topics(recent, baseline)
    assert len(topics) == 1
    topic = topics[0]
    assert topic.label == "幸福里小区停水三天了"  # the 4-grams joined back into the phrase
    # Every 2- and 3-gram is inside a 4-gram with the same documents: only the 4-grams are left.
    assert sorted(topic.terms) == sorted(
        ["幸福里小", "福里小区", "里小区停", "小区停水", "区停水三", "停水三天", "水三天了"]
    )
    assert (topic.recent_docs, topic.baseline_docs) == (10, 0)
    assert topic.recent_rate == pytest.approx(10 / 60)
    assert topic.baseline_rate == 0
    assert topic.jump == pytest.approx(11 / (1 * 60 / 200 + 1))  # (a + 1) / ((b + 1) N_r / N_b + 1)
    assert topic.examples == ("w0", "w1", "w2", "w3", "w4")
    assert topic.doc_ids == tuple(f"w{i}" for i in range(10))


def test_below_the_minimum_documents_nothing_emerges():
    filler = ["今天去银行办理业务排队很久", "学校门口道路拥堵请求加强管理"]
    baseline = [(i, filler[i % 2]) for i in range(200)]
    recent = [(i, filler[i % 2]) for i in range(50)] + [(f"w{i}", "幸福里小区停水三天了") for i in range(4)]
    assert find_topics(recent, baseline) == []
    # Allowed 4 documents, the chance test still refuses: 4 of the 4 + 0 documents in the recent
    # share 54 / 254 has probability 0.21⁴ = 0.002, too likely among the grams tested.
    assert find_topics(recent, baseline, TopicSettings(min_docs=4)) == []
    assert len(find_topics(recent, baseline, TopicSettings(min_docs=4, alpha=1.0))) == 1
    assert find_topics([], baseline) == [] and find_topics(recent, []) == []


def test_examples_put_the_documents_with_most_terms_first():
    filler = ["今天去银行办理业务排队很久", "学校门口道路拥堵请求加强管理"]
    baseline = [(i, filler[i % 2]) for i in range(300)]
    recent = [(i, filler[i % 2]) for i in range(60)]
    recent += [(f"short{i}", "幸福里小区停水") for i in range(8)]
    recent += [(f"long{i}", "幸福里小区停水三天了，自来水公司不管") for i in range(6)]
    topics = find_topics(recent, baseline)
    assert len(topics) == 1
    assert topics[0].examples == tuple(f"long{i}" for i in range(5))
    assert set(topics[0].doc_ids) == {f"short{i}" for i in range(8)} | {f"long{i}" for i in range(6)}


# ------------------------------------------------------------------------------------ containment
def term(text: str, docs: range) -> _Term:
    return _Term(text=text, recent=frozenset(docs), baseline=frozenset(), jump=5.0, score=1.0)


def test_a_term_inside_a_longer_one_with_nearly_the_same_documents_is_dropped():
    terms = [term("小区停水", range(9)), term("停水", range(10)), term("区停水", range(9))]
    assert [t.text for t in _suppress_contained(terms, 0.8)] == ["小区停水"]
    # 停水 in many more documents than 小区停水 (5 of 10): both stay.
    terms = [term("小区停水", range(5)), term("停水", range(10))]
    assert [t.text for t in _suppress_contained(terms, 0.8)] == ["小区停水", "停水"]
    # Not contained: kept whatever the documents.
    terms = [term("小区停水", range(10)), term("物业", range(10))]
    assert len(_suppress_contained(terms, 0.8)) == 2
