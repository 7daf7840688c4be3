"""Emerging topics (新出现的热点问题): words that suddenly appear in many recent petitions.

Recent documents (say the last 7 days' titles and contents) are compared with a baseline (the 8 weeks
before). Terms are the character 2–4-grams of Chinese runs — no word segmenter: place names and new
phrases (小区停水、某某楼盘) are not in any dictionary, and a 4-gram is long enough to be specific.
A term emerges when the share of recent documents containing it jumps against the baseline:

    jump = (a + 1) / ((b + 1) · N_recent / N_baseline + 1) ≥ min_jump, and a ≥ min_docs,

a and b being the documents that contain it (recent, baseline): the +1s are a prior that keeps a term
never seen before from an infinite jump on two documents. Hundreds of thousands of grams are tested,
so some would pass on chance wording alone (5 documents where 1.5 were expected): a term must also be
unlikely under "no change" — given its a + b documents, the recent ones are binomial with the recent
share of all documents — at `alpha` divided by the number of grams tested. Terms in more than
`max_baseline_share` of the baseline are never topics. A term is dropped when a longer emerging term
contains it with nearly the same documents (停水 inside 小区停水). The remaining terms are linked when
their document sets overlap (Jaccard ≥ `link`, or one mostly inside another not 4 times its size),
each linked group is a topic, and a topic needs `min_terms` terms that are not fragments of one
phrase: a lone phrase in a few documents is mostly chance wording, documents of one matter share a
place and a thing. Labels are the best terms, grown by the overlapping terms that share their
documents (小区停水 + 区停水三 + 停水三天 → 小区停水三天).

Speed: grams are counted with numpy, not Python sets (which took 80 s for 150,000 documents): each text
becomes an array of character codes, a gram a 60-bit integer (15 bits per character), and a
document's distinct grams a sort. The baseline is read once, in a fixed random order; only grams with
at least `min_docs` recent documents are counted there, and a gram stops being counted once its count
is clearly past what any jump would allow, so common grams drop out early and the rest of the
baseline is a cheap filter. 20,000 recent and 150,000 baseline petitions of 300–400 characters take
10–15 s on 2 cores (benchmarks/bench_warnings.py).

Characters outside the Basic Multilingual Plane (rare CJK extension B names) break a run.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom


@dataclass(frozen=True)
class TopicSettings:
    min_docs: int = 5  # recent documents a term needs
    min_jump: float = 3.0
    alpha: float = 0.01  # chance of one term emerging by chance among all the grams tested
    max_baseline_share: float = 0.1  # terms in more of the baseline are too common to be a topic
    contained: float = 0.8  # a term inside a longer one with ≥ this share of its documents is dropped
    link: float = 0.3  # Jaccard of document sets that puts two terms in one topic
    nested: float = 0.8  # ... or this share of the smaller set inside the larger, at most 4 times as big
    max_terms: int = 400  # best-scoring terms clustered at most
    min_terms: int = 2  # distinct terms (sharing no two characters) a topic needs
    examples: int = 5
    label_terms: int = 3
    chunk: int = 5000  # documents encoded at once


DEFAULT = TopicSettings()


@dataclass(frozen=True)
class Topic:
    label: str  # its best 1–3 terms, joined by "、"
    terms: tuple[str, ...]  # best first
    recent_docs: int  # recent documents containing any of the terms
    baseline_docs: int
    recent_rate: float  # share of recent documents
    baseline_rate: float  # share of baseline documents
    jump: float  # smoothed like a term's
    examples: tuple[Hashable, ...]  # doc ids, most terms matched first
    doc_ids: tuple[Hashable, ...]  # every recent document of the topic, most terms matched first

    @property
    def reason(self) -> str:
        return (
            f"近期 {self.recent_docs} 件（占 {self.recent_rate:.2%}）涉及「{self.label}」，"
            f"此前占 {self.baseline_rate:.2%}，约为此前的 {self.jump:.1f} 倍"
        )

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "terms": list(self.terms),
            "recent_docs": self.recent_docs,
            "baseline_docs": self.baseline_docs,
            "recent_rate": round(self.recent_rate, 6),
            "baseline_rate": round(self.baseline_rate, 6),
            "jump": round(self.jump, 2),
            "examples": list(self.examples),
            "reason": self.reason,
        }


# -------------------------------------------------------------------------------- gram encoding
_BITS = 15
_RANGES = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)]  # CJK ext. A, unified, compatibility
_ID = np.zeros(0x10000, dtype=np.int64)  # UTF-16 code unit → 1.. for CJK, 0 for anything else
_CHAR = [""]
for _lo, _hi in _RANGES:
    _ID[_lo:_hi] = np.arange(len(_CHAR), len(_CHAR) + _hi - _lo)
    _CHAR += [chr(c) for c in range(_lo, _hi)]
assert len(_CHAR) < 1 << _BITS
_LIMITS = [1 << (_BITS * n) for n in (2, 3, 4)]  # a key below _LIMITS[0] is a 2-gram, and so on
_HASH_BITS = 24


def _decode(keys: np.ndarray) -> list[str]:
    """The grams of keys."""
    keys = np.asarray(keys, dtype=np.int64)
    mask = (1 << _BITS) - 1
    lengths = 2 + (keys >= _LIMITS[0]) + (keys >= _LIMITS[1])
    chars = [(keys >> (_BITS * shift)) & mask for shift in (3, 2, 1, 0)]  # 4-gram order; leading 0s
    return ["".join(_CHAR[c[i]] for c in chars[4 - n :]) for i, n in enumerate(lengths.tolist())]


def _grams(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(gram key, document index) at every position of the texts, for 2-, 3- and 4-grams in turn.

    A key is 0 where the gram would leave a CJK run (or a text): callers filter, which is cheaper
    than removing them here.
    """
    joined = "\x00".join(text.replace("\x00", " ") for text in texts) + "\x00"
    raw = np.frombuffer(joined.encode("utf-16-le"), dtype=np.uint16)
    codes = _ID[raw]
    separator = raw == 0
    doc = np.cumsum(separator) - separator
    ok = codes > 0
    k2, m2 = (codes[:-1] << _BITS) | codes[1:], ok[:-1] & ok[1:]
    k3, m3 = (k2[:-1] << _BITS) | codes[2:], m2[:-1] & ok[2:]
    k4, m4 = (k3[:-1] << _BITS) | codes[3:], m3[:-1] & ok[3:]
    keys = np.concatenate([k2 * m2, k3 * m3, k4 * m4])
    docs = np.concatenate([doc[:-1], doc[:-2], doc[:-3]])
    return keys, docs


def _first(sorted_values: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of equal values."""
    flags = np.ones(len(sorted_values), dtype=bool)
    flags[1:] = sorted_values[1:] != sorted_values[:-1]
    return flags


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, how often each occurs); np.unique's hash table is much slower here."""
    values = np.sort(values)
    starts = np.flatnonzero(_first(values))
    return values[starts], np.diff(np.append(starts, len(values)))


def _hash(keys: np.ndarray) -> np.ndarray:
    mixed = keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(64 - _HASH_BITS)).astype(np.int64)


class _Lookup:
    """Membership of gram keys in a sorted key array: a hash bitmap first, then a binary search."""

    def __init__(self, sorted_keys: np.ndarray, active: np.ndarray | None = None):
        self.keys = sorted_keys
        self.table = np.zeros(1 << _HASH_BITS, dtype=bool)
        self.table[_hash(sorted_keys if active is None else sorted_keys[active])] = True
        self.active = active

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `keys` that are members, their index in the sorted array)."""
        where = np.flatnonzero(self.table[_hash(keys)])
        if not len(self.keys):
            return where[:0], where[:0]
        index = np.minimum(np.searchsorted(self.keys, keys[where]), len(self.keys) - 1)
        hit = self.keys[index] == keys[where]
        if self.active is not None:
            hit &= self.active[index]
        return where[hit], index[hit]


def _pairs(index: np.ndarray, docs: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (index, doc) pairs, index < width, sorted by doc then index."""
    pairs = np.sort(docs.astype(np.int64) * width + index)
    pairs = pairs[_first(pairs)]
    return pairs % width, pairs // width


# ------------------------------------------------------------------------------------ counting
def _recent_frequency(texts: Sequence[str], chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted gram keys, number of documents containing each) over the texts."""
    parts_keys, parts_counts = [], []
    for start in range(0, len(texts), chunk):
        keys, docs = _grams(texts[start : start + chunk])
        valid = keys > 0
        keys, docs = keys[valid], docs[valid]
        order = np.argsort(keys, kind="stable")  # documents stay in order within a key
        keys, docs = keys[order], docs[order]
        distinct = _first(keys) | np.append(True, docs[1:] != docs[:-1])
        unique, counts = _runs(keys[distinct])
        parts_keys.append(unique)
        parts_counts.append(counts)
    if not parts_keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys, counts = np.concatenate(parts_keys), np.concatenate(parts_counts)
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(_first(keys))
    return keys[starts], np.add.reduceat(counts, starts) if len(starts) else counts


def _baseline_frequency(
    texts: Sequence[str], candidates: np.ndarray, limit: np.ndarray, chunk: int
) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """Baseline document counts of the candidate grams, and which stayed within `limit`.

    Returns (counts, alive, docs): a gram is dropped from further counting (alive False, its count a
    lower bound) once its count passes its limit, or once, after a share f of the documents, its count
    is so far above f × limit that the rest cannot bring it back (5 standard deviations: the
    documents are read in a fixed random order, so that a gram's count grows evenly). docs[j] are the
    baseline documents of each alive gram j.
    """
    width = max(len(candidates), 1)
    counts = np.zeros(len(candidates), dtype=np.int64)
    alive = limit >= 0
    pair_j, pair_doc = [], []
    lookup = _Lookup(candidates, alive)
    order = np.random.default_rng(0).permutation(len(texts))
    for start in range(0, len(texts), chunk):
        part = order[start : start + chunk]
        keys, docs = _grams([texts[i] for i in part])
        where, index = lookup.find(keys)
        index, found = _pairs(index, part[docs[where]], width)
        counts += np.bincount(index, minlength=len(candidates))
        pair_j.append(index)
        pair_doc.append(found)
        share = (start + len(part)) / len(texts)
        bound = np.where(share < 1, share * limit + 5 * np.sqrt(share * limit) + 5, limit)
        died = alive & (counts > bound)
        if died.any():
            alive &= ~died
            lookup = _Lookup(candidates, alive)
            j, d = np.concatenate(pair_j), np.concatenate(pair_doc)
            keep = alive[j]
            pair_j, pair_doc = [j[keep]], [d[keep]]
    j = np.concatenate(pair_j) if pair_j else np.zeros(0, np.int64)
    d = np.concatenate(pair_doc) if pair_doc else np.zeros(0, np.int64)
    return counts, alive, _split(j, d, np.flatnonzero(alive))


def _recent_docs(texts: Sequence[str], terms: np.ndarray, chunk: int) -> list[np.ndarray]:
    """For each of the sorted term keys, the recent documents containing it."""
    lookup = _Lookup(terms)
    width = max(len(terms), 1)
    found_j, found_doc = [], []
    for start in range(0, len(texts), chunk):
        keys, docs = _grams(texts[start : start + chunk])
        where, index = lookup.find(keys)
        index, found = _pairs(index, docs[where] + start, width)
        found_j.append(index)
        found_doc.append(found)
    j = np.concatenate(found_j) if found_j else np.zeros(0, np.int64)
    d = np.concatenate(found_doc) if found_doc else np.zeros(0, np.int64)
    return list(_split(j, d, np.arange(len(terms))).values())


def _split(j: np.ndarray, d: np.ndarray, wanted: np.ndarray) -> dict[int, np.ndarray]:
    """{j: its documents d} for the wanted j, from the pairs (j, d)."""
    order = np.argsort(j, kind="stable")
    j, d = j[order], d[order]
    starts, ends = np.searchsorted(j, wanted), np.searchsorted(j, wanted, side="right")
    return {int(w): d[s:e] for w, s, e in zip(wanted, starts, ends, strict=True)}


# ------------------------------------------------------------------------------------- topics
@dataclass
class _Term:
    text: str
    recent: frozenset[int]
    baseline: frozenset[int]
    jump: float
    score: float


def _jump(a: float, b: float, n_recent: int, n_baseline: int) -> float:
    return (a + 1) / ((b + 1) * n_recent / n_baseline + 1)


def _suppress_contained(terms: list[_Term], share: float) -> list[_Term]:
    """Drop each term that a longer term contains with at least `share` of its recent documents."""
    by_text = {term.text: term for term in terms}
    dropped = set()
    for term in terms:
        text = term.text
        for n in range(2, len(text)):
            for i in range(len(text) - n + 1):
                inner = by_text.get(text[i : i + n])
                if inner is not None and len(term.recent) >= share * len(inner.recent):
                    dropped.add(inner.text)
    return [term for term in terms if term.text not in dropped]


def _clusters(terms: list[_Term], link: float, nested: float) -> list[list[_Term]]:
    """Groups of terms linked by their recent documents (union-find): Jaccard ≥ link, or the smaller
    set mostly inside a larger one at most 4 times its size (a sub-topic's wording: 停水三天 in 10 of
    the 30 documents of 幸福里小区)."""
    parent = list(range(len(terms)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_doc: dict[int, list[int]] = {}
    for i, term in enumerate(terms):
        for doc in term.recent:
            by_doc.setdefault(doc, []).append(i)
    shared: dict[tuple[int, int], int] = {}
    for members in by_doc.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pair = (members[x], members[y])
                shared[pair] = shared.get(pair, 0) + 1
    for (i, j), both in shared.items():
        small, large = sorted((len(terms[i].recent), len(terms[j].recent)))
        if both / (small + large - both) >= link or (both >= nested * small and large <= 4 * small):
            parent[root(i)] = root(j)
    groups: dict[int, list[_Term]] = {}
    for i, term in enumerate(terms):
        groups.setdefault(root(i), []).append(term)
    return list(groups.values())


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _distinct_terms(group: list[_Term]) -> int:
    """Terms that share no bigram with a better one: one phrase's fragments count once.

    A lone phrase in a handful of documents is mostly chance wording (实际上是、开支); documents of one
    matter share a place and a thing.
    """
    kept: list[set[str]] = []
    for term in sorted(group, key=lambda term: -term.score):
        grams = _bigrams(term.text)
        if not any(grams & other for other in kept):
            kept.append(grams)
    return len(kept)


def _extend(term: _Term, group: list[_Term], texts: Sequence[str], share: float) -> str:
    """The term grown by the terms of its group that overlap its ends and share its documents."""
    phrase, docs = term.text, term.recent
    for _ in range(20):
        grown = None
        for other in group:
            o = other.text
            if other is term or len(o) < 3 or len(other.recent & docs) < share * len(docs):
                continue
            if phrase.endswith(o[:-1]) and not phrase.endswith(o):
                grown = phrase + o[-1]
            elif phrase.startswith(o[1:]) and not phrase.startswith(o):
                grown = o[0] + phrase
            else:
                continue
            if sum(grown in texts[d] for d in docs) >= share * len(docs):
                break
            grown = None
        if grown is None:
            break
        phrase = grown
    return phrase


def _label(group: list[_Term], texts: Sequence[str], docs: int, settings: TopicSettings) -> str:
    """Up to `label_terms` phrases from the best terms, none sharing two characters with another;
    after the first, only terms found in a third of the topic's `docs` documents. Two phrases that
    stand side by side in the documents (伊景园 + 滨河苑) are joined."""
    phrases: list[tuple[str, frozenset[int]]] = []
    for term in group:
        if len(phrases) >= settings.label_terms:
            break
        if phrases and 3 * len(term.recent) < docs:
            continue
        if any(_bigrams(term.text) & _bigrams(p) for p, _ in phrases):
            continue
        phrase = _extend(term, group, texts, settings.contained)
        if any(_bigrams(phrase) & _bigrams(p) for p, _ in phrases):
            continue
        for i, (other, where) in enumerate(phrases):
            both = where & term.recent
            for joined in (other + phrase, phrase + other):
                if len(both) >= settings.contained * len(term.recent) and sum(
                    joined in texts[d] for d in both
                ) >= settings.contained * len(term.recent):
                    phrases[i] = (joined, where)
                    break
            else:
                continue
            break
        else:
            phrases.append((phrase, term.recent))
    return "、".join(p for p, _ in phrases)


def find_topics(
    recent: Sequence[tuple[Hashable, str]],
    baseline: Iterable[tuple[Hashable, str]],
    settings: TopicSettings = DEFAULT,
) -> list[Topic]:
    """Emerging topics of `recent` against `baseline`, the most documents above expectation first.

    Both are (doc id, text) pairs; the text is typically title + content. Returns [] when either is
    empty.
    """
    recent = list(recent)
    baseline_texts = [text for _, text in baseline]
    n_recent, n_baseline = len(recent), len(baseline_texts)
    if not n_recent or not n_baseline:
        return []
    ids = [doc_id for doc_id, _ in recent]
    texts = [text for _, text in recent]
    keys, a = _recent_frequency(texts, settings.chunk)
    # The largest baseline count that still allows the jump (see the module docstring).
    limit = np.floor(((a + 1) / settings.min_jump - 1) * n_baseline / n_recent - 1)
    limit = np.minimum(limit, math.floor(settings.max_baseline_share * n_baseline))
    keep = (a >= settings.min_docs) & (limit >= 0)
    keys, a, limit = keys[keep], a[keep], limit[keep].astype(np.int64)
    b, alive, baseline_docs = _baseline_frequency(baseline_texts, keys, limit, settings.chunk)
    emerging = np.flatnonzero(alive)
    # Many grams are tested: a few would pass the jump on chance alone (5 documents where 1.5 were
    # expected). Given a term's a + b documents, the recent ones are binomial under "no change".
    chance = binom.sf(a[emerging] - 1, a[emerging] + b[emerging], n_recent / (n_recent + n_baseline))
    emerging = emerging[chance <= settings.alpha / max(len(keys), 1)]
    recent_docs = _recent_docs(texts, keys[emerging], settings.chunk)
    names = _decode(keys[emerging])
    terms = []
    for position, j in enumerate(emerging):
        jump = _jump(a[j], b[j], n_recent, n_baseline)
        terms.append(
            _Term(
                text=names[position],
                recent=frozenset(recent_docs[position].tolist()),
                baseline=frozenset(baseline_docs[j].tolist()),
                jump=jump,
                score=a[j] * math.log(jump),
            )
        )
    terms.sort(key=lambda term: (-term.score, term.text))
    terms = _suppress_contained(terms, settings.contained)[: settings.max_terms]
    topics = []
    for group in _clusters(terms, settings.link, settings.nested):
        if _distinct_terms(group) >= settings.min_terms:
            topics.append(_topic(group, ids, texts, n_recent, n_baseline, settings))
    expected = [t.recent_docs - t.baseline_rate * n_recent for t in topics]
    order = sorted(range(len(topics)), key=lambda i: (-expected[i], topics[i].label))
    return [topics[i] for i in order]


def _topic(group, ids, texts, n_recent, n_baseline, settings) -> Topic:
    group.sort(key=lambda term: (-term.score, term.text))
    docs = frozenset().union(*(term.recent for term in group))
    base = frozenset().union(*(term.baseline for term in group))
    matched = {doc: sum(doc in term.recent for term in group) for doc in docs}
    ranked = sorted(docs, key=lambda doc: (-matched[doc], doc))
    return Topic(
        label=_label(group, texts, len(docs), settings),
        terms=tuple(term.text for term in group),
        recent_docs=len(docs),
        baseline_docs=len(base),
        recent_rate=len(docs) / n_recent,
        baseline_rate=len(base) / n_baseline,
        jump=_jump(len(docs), len(base), n_recent, n_baseline),
        examples=tuple(ids[doc] for doc in ranked[: settings.examples]),
        doc_ids=tuple(ids[doc] for doc in ranked),
    )
