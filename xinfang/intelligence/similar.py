"""Similar and repeat matters: text vectors, an approximate nearest-neighbour index and the reasons shown.

Why it is built this way:

* **Text vectors** (`TextEmbedder`). Chinese petitions are compared by their characters: every
  character 1-, 2- and 3-gram is hashed (a fixed, seeded hash: the same text gives the same vector on
  every machine and in every process), weighted by sublinear term frequency times IDF and projected by
  a sparse random projection (each n-gram adds ±w to two of `dim` coordinates), then L2-normalised.
  The dot product of two vectors approximates the TF-IDF cosine of the texts. Nothing is trained
  beyond document frequencies, and those come only from the deployment's own matters (`fit`); an
  unfitted embedder works too (all n-grams weigh the same), just less sharply. Digits are kept:
  amounts, dates and building numbers are what tell two filings from the same template apart.
  The projection adds noise (about ±0.06 at 256 dimensions for unrelated texts), so the similarity
  shown to a person comes from `TextEmbedder.similarity`, the exact TF-IDF cosine of the texts,
  computed for the few candidates the index returns.
* **Index** (`SimilarIndex`). An inverted-file index: k-means centroids (spherical, written here
  with numpy) split the vectors into lists; a search scores the centroids, reads the `nprobe`
  nearest lists and returns the best `k`. `exact_search` reads everything and is the reference.
  Vectors are stored as int8 with a scale per row by default (256 bytes a matter at 256
  dimensions): numpy converts int8 to float32 several times faster than float16, so int8 reads as
  fast as float32 at a quarter of the memory.
  New matters join their list at once (`add`), `remove` takes one out, `save`/`load` write and
  memory-map .npy files, and `build` streams (id, title, text) rows from any iterable.
* **Reasons** (`compare`, `explain`, `rank_similar`). Text similarity is combined with what the
  database knows: the same petitioner (an opaque key such as a keyed hash of the ID number, never
  the number itself), the same place (division code) and the same unit complained about.

Vectors from different embedders (another dimension, seed or fit) cannot be compared: an index is
saved with the embedder that made its vectors, and a refit means a rebuild.

Thread safety of `SimilarIndex`: searches take no lock and may run in any number of threads while
writers add or remove (one at a time: they hold the index's lock). A writer never changes rows a
reader can see: it fills spare rows beyond a list's visible count, or builds new arrays, and then
replaces the list's (vectors, ids, count, scales) record in one assignment, so a search sees each
list either before or after a change, never half-way. `train` builds new lists and swaps them in
the same way. Replacing a matter's vector is a remove and an add: a search in between misses it.
Other processes (web workers) see changes only after the writer `save`s and they `load` again;
`save` writes a new generation directory and switches a pointer file atomically, so a reader never
loads half-written files. `TextEmbedder` is read-only once fitted and safe to share.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
DEFAULT_DIM = 256
DEFAULT_HASH_BITS = 20
DEFAULT_SEED = 20260101
PROJECTION_NONZEROS = 2  # coordinates each n-gram touches: 1–4 measured the same, 2 is a little steadier
NGRAM_ORDERS = (1, 2, 3)

# ---------------------------------------------------------------- text normalisation


def _character_table() -> np.ndarray:
    """Code point → folded code point for the Basic Multilingual Plane; 0 marks a separator.

    Letters and numbers are kept (full-width forms folded by NFKC, Latin lower-cased); punctuation,
    spaces and symbols become separators, so no n-gram spans them.
    """
    table = np.zeros(0x10000, dtype=np.uint32)
    for code in range(0x10000):
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char).lower()
        if len(folded) == 1:
            char = folded
        if unicodedata.category(char)[0] in "LN":
            table[code] = ord(char)
    return table


_TABLE = _character_table()

# splitmix64-style finaliser constants: a good 64-bit mix with plain integer arithmetic
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(keys: np.ndarray, seed: int) -> np.ndarray:
    h = (keys ^ np.uint64(seed)) * _GOLDEN
    h ^= h >> np.uint64(30)
    h *= _MIX_1
    h ^= h >> np.uint64(27)
    h *= _MIX_2
    h ^= h >> np.uint64(31)
    return h


def _document(title: str | None, text: str | None) -> str:
    return f"{title or ''}\n{text or ''}"


def _hashed_ngrams(documents: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash, document number) of every character n-gram of every document, vectorised.

    The documents are joined with separators and converted to code points once; an n-gram is kept
    only if none of its characters is a separator, so none crosses from one document to the next.
    """
    joined = "\x00".join(documents) + "\x00"
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    codes = np.where(codes > 0xFFFF, codes, _TABLE[np.minimum(codes, 0xFFFF)]).astype(np.uint64)
    lengths = np.fromiter((len(d) for d in documents), dtype=np.int64, count=len(documents))
    document_of = np.repeat(np.arange(len(documents), dtype=np.int64), lengths + 1)
    is_char = codes != 0
    hashes, owners = [], []
    for order in NGRAM_ORDERS:
        count = len(codes) - order + 1
        if count <= 0:
            continue
        key = codes[:count].copy()
        valid = is_char[:count].copy()
        for offset in range(1, order):  # code points are < 2**21: three fit in 63 bits without clashes
            key |= codes[offset : offset + count] << np.uint64(21 * offset)
            valid &= is_char[offset : offset + count]
        hashes.append(key[valid])
        owners.append(document_of[:count][valid])
    return _mix(np.concatenate(hashes), seed), np.concatenate(owners)


def _term_counts(documents: Sequence[str], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (hash, document) pairs with their counts, sorted by document then hash."""
    hashes, owners = _hashed_ngrams(documents, seed)
    # documents of one batch are < 2**24; the hash's top 40 bits identify the n-gram well enough
    key = (owners.astype(np.uint64) << np.uint64(40)) | (hashes >> np.uint64(24))
    key.sort()
    starts = np.flatnonzero(np.concatenate((key[:1] == key[:1], key[1:] != key[:-1])))  # run starts
    counts = np.diff(np.append(starts, len(key)))
    distinct = key[starts]
    return (
        distinct & np.uint64((1 << 40) - 1),
        (distinct >> np.uint64(40)).astype(np.int64),
        counts,
    )


class TextEmbedder:
    """Title and text → fixed-length unit vector (see the module docstring for the method)."""

    def __init__(self, dim: int = DEFAULT_DIM, hash_bits: int = DEFAULT_HASH_BITS, seed: int = DEFAULT_SEED):
        if dim < 8 or hash_bits < 8 or hash_bits > 32:
            raise ValueError("向量维数至少 8，哈希位数应在 8–32 之间")
        self.dim = dim
        self.hash_bits = hash_bits
        self.seed = seed
        self.document_frequency: np.ndarray | None = None
        self.documents_seen = 0
        self._idf: np.ndarray | None = None

    # ------------------------------------------------------------ fitting document frequencies

    def fit(self, rows: Iterable[tuple[str, str]], chunk: int = 10_000) -> TextEmbedder:
        """Count document frequencies over (title, text) rows: the deployment's own matters only."""
        self.document_frequency = np.zeros(1 << self.hash_bits, dtype=np.int64)
        self.documents_seen = 0
        iterator = iter(rows)
        while batch := list(islice(iterator, chunk)):
            self.partial_fit(batch)
        return self

    def partial_fit(self, rows: Sequence[tuple[str, str]]) -> TextEmbedder:
        if self.document_frequency is None:
            self.document_frequency = np.zeros(1 << self.hash_bits, dtype=np.int64)
        grams, _, _ = _term_counts([_document(t, x) for t, x in rows], self.seed)
        self.document_frequency += np.bincount(self._buckets(grams), minlength=1 << self.hash_bits)
        self.documents_seen += len(rows)
        self._idf = None
        return self

    @property
    def fitted(self) -> bool:
        return self.document_frequency is not None and self.documents_seen > 0

    def _buckets(self, grams: np.ndarray) -> np.ndarray:
        return (grams >> np.uint64(40 - self.hash_bits)).astype(np.int64)

    def _weights(self, grams: np.ndarray, counts: np.ndarray) -> np.ndarray:
        weights = 1.0 + np.log(counts)
        if self.fitted:
            if self._idf is None:
                self._idf = np.log((1.0 + self.documents_seen) / (1.0 + self.document_frequency)) + 1.0
            weights *= self._idf[self._buckets(grams)]
        return weights

    # ------------------------------------------------------------ vectors

    def embed(self, title: str | None, text: str | None) -> np.ndarray:
        return self.embed_batch([(title, text)])[0]

    def embed_batch(self, rows: Sequence[tuple[str | None, str | None]]) -> np.ndarray:
        """(n, dim) float32 unit vectors; an empty text gives the zero vector (similar to nothing)."""
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        grams, owners, counts = _term_counts([_document(t, x) for t, x in rows], self.seed)
        weights = self._weights(grams, counts)
        out = np.zeros(len(rows) * self.dim, dtype=np.float64)
        base = owners * self.dim
        for j in range(PROJECTION_NONZEROS):
            position = ((grams >> np.uint64(8 + 14 * j)) % np.uint64(self.dim)).astype(np.int64)
            sign = np.where((grams >> np.uint64(j)) & np.uint64(1), 1.0, -1.0)
            out += np.bincount(base + position, weights=weights * sign, minlength=out.size)
        vectors = out.reshape(len(rows), self.dim)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        np.divide(vectors, norms, out=vectors, where=norms > 0)
        return vectors.astype(np.float32)

    def similarity(
        self, query: tuple[str | None, str | None], others: Sequence[tuple[str | None, str | None]]
    ) -> np.ndarray:
        """Exact TF-IDF cosine of the query text with each of the others (no projection noise).

        For the handful of candidates a search returns: this is the 「内容相似度」 a person sees.
        """
        if not others:
            return np.zeros(0)
        grams, owners, counts = _term_counts([_document(*query)] + [_document(*o) for o in others], self.seed)
        weights = self._weights(grams, counts)
        norms = np.sqrt(np.bincount(owners, weights=weights * weights, minlength=len(others) + 1))
        in_query = owners == 0
        query_grams, query_weights = grams[in_query], weights[in_query]  # sorted by hash within a document
        rest = ~in_query
        grams, owners, weights = grams[rest], owners[rest], weights[rest]
        where = np.searchsorted(query_grams, grams).clip(max=max(len(query_grams) - 1, 0))
        shared = query_grams[where] == grams if len(query_grams) else np.zeros(len(grams), dtype=bool)
        dots = np.bincount(
            owners[shared], weights=weights[shared] * query_weights[where[shared]], minlength=len(others) + 1
        )[1:]
        scale = norms[0] * norms[1:]
        return np.divide(dots, scale, out=np.zeros(len(others)), where=scale > 0)

    # ------------------------------------------------------------ persistence

    def save(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        settings = {"dim": self.dim, "hash_bits": self.hash_bits, "seed": self.seed}
        settings["documents_seen"] = self.documents_seen
        (directory / "embedder.json").write_text(json.dumps(settings), encoding="utf-8")
        if self.document_frequency is not None:
            np.save(directory / "document_frequency.npy", self.document_frequency.astype(np.int32))

    @classmethod
    def load(cls, directory: str | os.PathLike) -> TextEmbedder:
        directory = Path(directory)
        settings = json.loads((directory / "embedder.json").read_text(encoding="utf-8"))
        embedder = cls(settings["dim"], settings["hash_bits"], settings["seed"])
        frequency_file = directory / "document_frequency.npy"
        if frequency_file.exists():
            embedder.document_frequency = np.load(frequency_file, allow_pickle=False).astype(np.int64)
            embedder.documents_seen = int(settings["documents_seen"])
        return embedder


_DEFAULT_EMBEDDER = TextEmbedder()


def embed(title: str | None, text: str | None) -> np.ndarray:
    """Vector of one matter with the default, unfitted embedder (prefer a fitted `TextEmbedder`)."""
    return _DEFAULT_EMBEDDER.embed(title, text)


# ---------------------------------------------------------------- k-means for the coarse quantiser


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def spherical_kmeans(vectors: np.ndarray, clusters: int, iterations: int = 12, seed: int = 0) -> np.ndarray:
    """Unit-length centroids that maximise the summed cosine of every vector to its centroid.

    Starts from distinct random vectors; a cluster left empty restarts on the vector worst served by
    its centroid, so every list gets used.
    """
    vectors = _normalised(vectors)
    rng = np.random.default_rng(seed)
    clusters = min(clusters, len(vectors))
    centroids = vectors[rng.choice(len(vectors), clusters, replace=False)].copy()
    for _ in range(iterations):
        labels = np.empty(len(vectors), dtype=np.int32)
        fit = np.empty(len(vectors), dtype=np.float32)
        for start in range(0, len(vectors), 8192):
            scores = vectors[start : start + 8192] @ centroids.T
            labels[start : start + 8192] = np.argmax(scores, axis=1)
            fit[start : start + 8192] = scores[np.arange(len(scores)), labels[start : start + 8192]]
        sums = np.zeros_like(centroids)
        _add_rows(sums, labels, vectors)
        sizes = np.bincount(labels, minlength=clusters)
        empty = np.flatnonzero(sizes == 0)
        if len(empty):
            worst = np.argsort(fit)[: len(empty)]
            sums[empty] = vectors[worst]
        centroids = _normalised(sums)
    return centroids


def _add_rows(sums: np.ndarray, labels: np.ndarray, vectors: np.ndarray) -> None:
    """sums[label] += vector for every row, via one sort (np.add.at is slow for many rows)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_labels[1:] != sorted_labels[:-1])))
    sums[sorted_labels[starts]] += np.add.reduceat(vectors[order], starts, axis=0)


# ---------------------------------------------------------------- the index

# Row blocks for one query's products. Above about 2,000 rows the BLAS library splits a
# matrix-vector product over threads, and waking them costs milliseconds on a busy 2-core server.
_ROWS_PER_PRODUCT = 1024
STORAGE_TYPES = ("int8", "float16", "float32")


def _encode(vectors: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray | None]:
    """Vectors as stored: float16/float32 as they are; int8 with one float32 scale per row (the row's
    largest magnitude maps to 127). Measured at 256 dimensions, int8 moves a cosine by 0.0005
    typically and 0.004 at most: far below the projection's own noise."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if dtype != np.int8:
        return vectors.astype(dtype), None
    largest = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, dtype=np.float32)
    scales = np.where(largest > 0, largest / 127, 1).astype(np.float32)
    return np.rint(vectors / scales[:, None]).astype(np.int8), scales


def _decode(stored: np.ndarray, scales: np.ndarray | None) -> np.ndarray:
    vectors = np.asarray(stored, dtype=np.float32)
    return vectors * scales[:, None] if scales is not None else vectors


def _scores(block: np.ndarray, scales: np.ndarray | None, query: np.ndarray) -> np.ndarray:
    """Cosines of stored rows with the query, in single-threaded pieces (see _ROWS_PER_PRODUCT)."""
    parts = []
    for start in range(0, len(block), _ROWS_PER_PRODUCT):
        piece = block[start : start + _ROWS_PER_PRODUCT]
        part = (piece if piece.dtype == np.float32 else piece.astype(np.float32)) @ query
        if scales is not None:
            part *= scales[start : start + _ROWS_PER_PRODUCT]
        parts.append(part)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


@dataclass(frozen=True)
class _List:
    """One inverted list as readers see it: rows [0, count) of vectors, ids (and scales) are valid."""

    vectors: np.ndarray
    ids: np.ndarray
    count: int
    scales: np.ndarray | None = None  # int8 storage only


@dataclass(frozen=True)
class _State:
    centroids: np.ndarray  # (nlist, dim) float32; one zero row when untrained
    lists: list  # of _List; entries are replaced whole, never changed in place


def default_list_count(size: int) -> int:
    """About 2·√N lists: a few hundred vectors each, so a probe reads little and the centroids stay cheap."""
    return int(max(1, min(65536, round(2 * np.sqrt(max(size, 1))))))


class SimilarIndex:
    """Inverted-file index of unit vectors keyed by integer ids (matter primary keys).

    Ids are non-negative integers below 2**31; a lookup table takes 4 bytes per possible id up to
    the largest one. Until `train` runs the index is a single list, i.e. an exact search.
    Storage: int8 (1 byte per dimension plus a scale per row; the default: a quarter of float32's
    memory and the fastest to read, since converting float16 costs more than the product itself),
    float16 or float32.
    """

    def __init__(self, dim: int = DEFAULT_DIM, nprobe: int = 24, dtype="int8"):
        self.dim = dim
        self.nprobe = nprobe
        self.dtype = np.dtype(dtype)
        if self.dtype.name not in STORAGE_TYPES:
            raise ValueError("向量只能以 int8、float16 或 float32 存储")
        self.embedder: TextEmbedder | None = None
        self._state = _State(np.zeros((1, dim), dtype=np.float32), [self._empty_list()])
        self._where = np.full(0, -1, dtype=np.int32)  # id → list number, -1 if absent
        self._size = 0
        self._lock = threading.Lock()

    def _empty_list(self) -> _List:
        vectors, scales = _encode(np.zeros((0, self.dim), dtype=np.float32), self.dtype)
        return _List(vectors, np.zeros(0, dtype=np.int64), 0, scales)

    # ------------------------------------------------------------ facts

    def __len__(self) -> int:
        return self._size

    def __contains__(self, matter_id) -> bool:
        matter_id = int(matter_id)
        return 0 <= matter_id < len(self._where) and self._where[matter_id] >= 0

    @property
    def nlist(self) -> int:
        return len(self._state.lists)

    @property
    def trained(self) -> bool:
        return self.nlist > 1

    def list_sizes(self) -> np.ndarray:
        return np.array([entry.count for entry in self._state.lists], dtype=np.int64)

    def ids(self) -> np.ndarray:
        return np.concatenate([entry.ids[: entry.count] for entry in self._state.lists])

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of every id and its float32 vector, in list order (for exports, checks, baselines)."""
        lists = self._state.lists
        ids = np.concatenate([entry.ids[: entry.count] for entry in lists])
        vectors = [_decode(entry.vectors[: entry.count], _head(entry.scales, entry.count)) for entry in lists]
        return ids, np.concatenate(vectors)

    def memory_bytes(self) -> int:
        """Bytes held by vectors, scales, ids, centroids and the id table (mapped pages included)."""
        state = self._state
        total = state.centroids.nbytes + self._where.nbytes
        for entry in state.lists:
            total += entry.vectors.nbytes + entry.ids.nbytes
            total += entry.scales.nbytes if entry.scales is not None else 0
        return total

    # ------------------------------------------------------------ checks

    def _check(self, ids, vectors) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim == 1:
            vectors = vectors.reshape(1, -1)
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"需要 {len(ids)} 个 {self.dim} 维向量，收到形状 {vectors.shape}")
        if len(ids) and (ids.min() < 0 or ids.max() >= 2**31):
            raise ValueError("编号必须是 0 到 2^31−1 之间的整数")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("同一批向量中编号重复")
        return ids, vectors

    def _grow_lookup(self, largest: int) -> None:
        if largest >= len(self._where):
            grown = np.full(max(largest + 1, len(self._where) * 3 // 2, 1024), -1, dtype=np.int32)
            grown[: len(self._where)] = self._where
            self._where = grown

    # ------------------------------------------------------------ writing

    def add(self, ids, vectors) -> None:
        """Add matters (or replace the vectors of ids already present) without rebuilding."""
        ids, vectors = self._check(ids, vectors)
        if not len(ids):
            return
        with self._lock:
            present = ids[ids < len(self._where)]
            present = present[self._where[present] >= 0]
            for matter_id in present:
                self._remove_locked(int(matter_id))
            state = self._state
            if len(state.lists) > 1:
                labels = _nearest_centroid(vectors, None, state.centroids)
            else:
                labels = np.zeros(len(ids), dtype=np.int32)
            order = np.argsort(labels, kind="stable")
            labels, ids = labels[order], ids[order]
            stored, scales = _encode(vectors[order], self.dtype)
            starts = np.flatnonzero(np.concatenate(([True], labels[1:] != labels[:-1])))
            ends = np.append(starts[1:], len(labels))
            self._grow_lookup(int(ids.max()))
            for start, end in zip(starts, ends, strict=True):
                number = int(labels[start])
                piece = slice(start, end)
                state.lists[number] = self._appended(
                    state.lists[number], ids[piece], stored[piece], _part(scales, piece)
                )
                self._where[ids[piece]] = number
            self._size += len(ids)

    def _appended(self, entry: _List, ids, stored, scales) -> _List:
        needed = entry.count + len(ids)
        if needed <= len(entry.ids) and entry.vectors.flags.writeable:
            # rows beyond entry.count are invisible to readers of the current tuple: safe to fill
            entry.vectors[entry.count : needed] = stored
            entry.ids[entry.count : needed] = ids
            if scales is not None:
                entry.scales[entry.count : needed] = scales
            return _List(entry.vectors, entry.ids, needed, entry.scales)
        capacity = max(needed + 8, needed * 5 // 4)
        grown = _List(
            np.empty((capacity, self.dim), dtype=self.dtype),
            np.empty(capacity, dtype=np.int64),
            needed,
            np.empty(capacity, dtype=np.float32) if scales is not None else None,
        )
        for old, new, more in ((entry.vectors, grown.vectors, stored), (entry.ids, grown.ids, ids)) + (
            ((entry.scales, grown.scales, scales),) if scales is not None else ()
        ):
            new[: entry.count] = old[: entry.count]
            new[entry.count : needed] = more
        return grown

    def remove(self, matter_id) -> bool:
        """Take a matter out (deleted, merged into another). False if it was not in the index."""
        with self._lock:
            return self._remove_locked(int(matter_id))

    def _remove_locked(self, matter_id: int) -> bool:
        if not (0 <= matter_id < len(self._where)) or self._where[matter_id] < 0:
            return False
        number = int(self._where[matter_id])
        lists = self._state.lists
        entry = lists[number]
        keep = entry.ids[: entry.count] != matter_id
        # new arrays, not a shift in place: a search may be reading the old ones right now
        lists[number] = _List(
            entry.vectors[: entry.count][keep],
            entry.ids[: entry.count][keep],
            int(keep.sum()),
            entry.scales[: entry.count][keep] if entry.scales is not None else None,
        )
        self._where[matter_id] = -1
        self._size -= 1
        return True

    def train(self, sample_vectors, nlist: int | None = None, iterations: int = 12, seed: int = 0) -> None:
        """Learn the coarse quantiser (k-means centroids) and redistribute what the index holds."""
        sample = np.asarray(sample_vectors, dtype=np.float32)
        nlist = nlist or default_list_count(max(len(sample), self._size))
        if len(sample) < nlist:
            raise ValueError(f"训练样本 {len(sample)} 个，少于列表数 {nlist}")
        centroids = spherical_kmeans(sample, nlist, iterations=iterations, seed=seed)
        with self._lock:
            lists = self._state.lists
            ids = np.concatenate([entry.ids[: entry.count] for entry in lists])
            stored = np.concatenate([entry.vectors[: entry.count] for entry in lists])
            scales = None
            if self.dtype == np.int8:
                scales = np.concatenate([entry.scales[: entry.count] for entry in lists])
            self._install(centroids, ids, stored, scales)

    def _install(self, centroids: np.ndarray, ids: np.ndarray, stored: np.ndarray, scales) -> None:
        """Sort stored rows by nearest centroid into one array; each list is a view of its slice."""
        labels = _nearest_centroid(stored, scales, centroids)
        order = np.argsort(labels, kind="stable")
        sorted_vectors, sorted_ids = stored[order], ids[order]
        sorted_scales = scales[order] if scales is not None else None
        offsets = np.searchsorted(labels[order], np.arange(len(centroids) + 1))
        lists = [
            _List(sorted_vectors[a:b], sorted_ids[a:b], int(b - a), _part(sorted_scales, slice(a, b)))
            for a, b in zip(offsets[:-1], offsets[1:], strict=True)
        ]
        self._where = np.full(0, -1, dtype=np.int32)
        if len(ids):
            self._grow_lookup(int(ids.max()))
            self._where[sorted_ids] = labels[order]
        self._size = len(ids)
        self._state = _State(np.ascontiguousarray(centroids, dtype=np.float32), lists)

    # ------------------------------------------------------------ searching

    def search(self, vector, k: int = 10, exclude_ids: Iterable = (), nprobe: int | None = None):
        """The k most similar matters as [(id, score)], best first; scores are cosines in [-1, 1]."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        state = self._state
        nprobe = min(nprobe or self.nprobe, len(state.lists))
        if nprobe >= len(state.lists):
            probed = range(len(state.lists))
        else:
            closeness = _scores(state.centroids, None, query)
            probed = np.argpartition(-closeness, nprobe - 1)[:nprobe]
        return self._best(state, probed, query, k, exclude_ids)

    def exact_search(self, vector, k: int = 10, exclude_ids: Iterable = ()):
        """Every vector scored: the reference that `search` is measured against."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        state = self._state
        return self._best(state, range(len(state.lists)), query, k, exclude_ids)

    def exact_search_many(self, queries, k: int = 10, chunk_rows: int = 16384):
        """`exact_search` for many queries at once: each stored row is converted and read once for
        all of them (for measuring recall and tuning nprobe; a page asks one query at a time)."""
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
        best_ids = np.zeros((len(queries), 0), dtype=np.int64)
        blocks, id_blocks, scale_blocks, gathered = [], [], [], 0
        entries = [entry for entry in self._state.lists if entry.count]
        for position, entry in enumerate(entries):
            blocks.append(entry.vectors[: entry.count])
            id_blocks.append(entry.ids[: entry.count])
            scale_blocks.append(_head(entry.scales, entry.count))
            gathered += entry.count
            if gathered < chunk_rows and position < len(entries) - 1:
                continue
            scales = np.concatenate(scale_blocks) if self.dtype == np.int8 else None
            scores = queries @ np.concatenate(blocks).astype(np.float32, copy=False).T  # (queries, rows)
            if scales is not None:
                scores *= scales[None, :]
            ids = np.broadcast_to(np.concatenate(id_blocks), scores.shape)
            best_scores = np.concatenate([best_scores, scores], axis=1)
            best_ids = np.concatenate([best_ids, ids], axis=1)
            if best_scores.shape[1] > k:
                keep = np.argpartition(-best_scores, k - 1, axis=1)[:, :k]
                best_scores = np.take_along_axis(best_scores, keep, axis=1)
                best_ids = np.take_along_axis(best_ids, keep, axis=1)
            blocks, id_blocks, scale_blocks, gathered = [], [], [], 0
        results = []
        for scores, ids in zip(best_scores, best_ids, strict=True):
            order = np.lexsort((ids, -scores))
            results.append([(int(ids[i]), float(scores[i])) for i in order])
        return results

    def _best(self, state: _State, probed, query: np.ndarray, k: int, exclude_ids: Iterable):
        excluded = np.fromiter((int(i) for i in exclude_ids), dtype=np.int64)
        best_scores = np.zeros(0, dtype=np.float32)
        best_ids = np.zeros(0, dtype=np.int64)
        score_parts, id_parts, gathered = [], [], 0
        for number in probed:
            entry = state.lists[number]  # one read: a consistent (vectors, ids, count, scales)
            if not entry.count:
                continue
            score_parts.append(_scores(entry.vectors[: entry.count], _head(entry.scales, entry.count), query))
            id_parts.append(entry.ids[: entry.count])
            gathered += entry.count
            if gathered >= 65536:  # keep the working set small during an exact search
                best_scores, best_ids = self._top(best_scores, best_ids, score_parts, id_parts, k, excluded)
                score_parts, id_parts, gathered = [], [], 0
        best_scores, best_ids = self._top(best_scores, best_ids, score_parts, id_parts, k, excluded)
        return [(int(i), float(s)) for i, s in zip(best_ids, best_scores, strict=True)]

    @staticmethod
    def _top(best_scores, best_ids, score_parts, id_parts, k, excluded):
        scores = np.concatenate([best_scores, *score_parts])
        ids = np.concatenate([best_ids, *id_parts])
        if len(excluded):
            keep = ~np.isin(ids, excluded)
            scores, ids = scores[keep], ids[keep]
        if len(scores) > k:
            chosen = np.argpartition(-scores, k - 1)[:k]
            scores, ids = scores[chosen], ids[chosen]
        order = np.lexsort((ids, -scores))  # best first; equal scores by id, so results are stable
        return scores[order], ids[order]

    def tune_nprobe(self, queries, k: int = 10, target_recall: float = 0.98, candidates=None) -> int:
        """Smallest nprobe whose recall@k against exact search reaches the target on these queries."""
        queries = np.asarray(queries, dtype=np.float32)
        exact = self.exact_search_many(queries, k)
        choices = candidates or [
            n for n in (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256) if n < self.nlist
        ]
        for nprobe in [*choices, self.nlist]:
            found = [self.search(q, k, nprobe=nprobe) for q in queries]
            if recall_at_k(found, exact) >= target_recall:
                self.nprobe = nprobe
                return nprobe
        self.nprobe = self.nlist
        return self.nprobe

    # ------------------------------------------------------------ persistence

    def save(self, directory: str | os.PathLike) -> Path:
        """Write a new generation (vectors, scales, ids, list offsets, centroids, settings; the
        embedder if any) and point `CURRENT` at it. Returns the generation's directory."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            state = self._state
            generation = directory / f"gen-{time.time_ns()}"
            work = directory / f".writing-{generation.name}"
            work.mkdir()
            counts = np.array([entry.count for entry in state.lists], dtype=np.int64)
            offsets = np.concatenate(([0], np.cumsum(counts)))
            size = int(offsets[-1])
            columns = [("vectors", self.dtype, (size, self.dim)), ("ids", np.int64, (size,))]
            if self.dtype == np.int8:
                columns.append(("scales", np.float32, (size,)))
            for name, dtype, shape in columns:
                out = np.lib.format.open_memmap(work / f"{name}.npy", mode="w+", dtype=dtype, shape=shape)
                for entry, start in zip(state.lists, offsets[:-1], strict=True):
                    out[start : start + entry.count] = getattr(entry, name)[: entry.count]
                out.flush()
                del out
            np.save(work / "offsets.npy", offsets)
            np.save(work / "centroids.npy", state.centroids)
            settings = {"format": FORMAT_VERSION, "dim": self.dim, "nprobe": self.nprobe}
            settings.update(dtype=self.dtype.name, size=size, nlist=len(state.lists))
            (work / "index.json").write_text(json.dumps(settings), encoding="utf-8")
            if self.embedder is not None:
                self.embedder.save(work)
        os.replace(work, generation)
        pointer = directory / ".CURRENT.tmp"
        pointer.write_text(generation.name, encoding="utf-8")
        os.replace(pointer, directory / "CURRENT")
        self._prune(directory, keep=generation.name)
        return generation

    @staticmethod
    def _prune(directory: Path, keep: str) -> None:
        """Remove generations older than the one before `keep` (a reader may still be opening that)."""
        generations = sorted(p for p in directory.glob("gen-*") if p.is_dir())
        names = [p.name for p in generations]
        if keep in names:
            for old in generations[: max(0, names.index(keep) - 1)]:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: str | os.PathLike, mmap: bool = True) -> SimilarIndex:
        """Open the current generation; vectors and ids stay memory-mapped (pages shared by every
        process that loads the same files) unless mmap is False."""
        directory = Path(directory)
        pointer = directory / "CURRENT"
        generation = (
            directory / pointer.read_text(encoding="utf-8").strip() if pointer.exists() else directory
        )
        settings = json.loads((generation / "index.json").read_text(encoding="utf-8"))
        if settings["format"] != FORMAT_VERSION:
            raise ValueError(f"索引格式版本 {settings['format']} 不受支持，请重建索引")
        index = cls(settings["dim"], settings["nprobe"], settings["dtype"])

        def array(name):
            # plain ndarray views of the maps: memmap's subclass hooks would slow every product
            loaded = np.load(generation / f"{name}.npy", mmap_mode="r" if mmap else None, allow_pickle=False)
            return np.asarray(loaded)

        vectors, ids = array("vectors"), array("ids")
        scales = array("scales") if index.dtype == np.int8 else None
        offsets = np.load(generation / "offsets.npy", allow_pickle=False)
        centroids = np.load(generation / "centroids.npy", allow_pickle=False)
        lists = [
            _List(vectors[a:b], ids[a:b], int(b - a), _part(scales, slice(a, b)))
            for a, b in zip(offsets[:-1], offsets[1:], strict=True)
        ]
        if len(ids):
            index._grow_lookup(int(ids.max()))
            index._where[ids] = np.repeat(np.arange(len(lists), dtype=np.int32), np.diff(offsets))
        index._size = len(ids)
        index._state = _State(centroids.astype(np.float32), lists)
        if (generation / "embedder.json").exists():
            index.embedder = TextEmbedder.load(generation)
        return index


def _part(scales: np.ndarray | None, rows) -> np.ndarray | None:
    return scales[rows] if scales is not None else None


def _head(scales: np.ndarray | None, count: int) -> np.ndarray | None:
    return scales[:count] if scales is not None else None


def _nearest_centroid(stored: np.ndarray, scales, centroids: np.ndarray, chunk: int = 8192) -> np.ndarray:
    labels = np.empty(len(stored), dtype=np.int32)
    for start in range(0, len(stored), chunk):
        block = _decode(stored[start : start + chunk], _part(scales, slice(start, start + chunk)))
        if len(block) <= 8:  # a new matter or two: products small enough to stay on one thread
            scores = np.stack([_scores(centroids, None, vector) for vector in block])
        else:
            scores = block @ centroids.T
        labels[start : start + chunk] = np.argmax(scores, axis=1)
    return labels


def recall_at_k(found: Sequence[Sequence[tuple[int, float]]], exact: Sequence[Sequence[tuple[int, float]]]):
    """Mean share of each query's exact top k that the search found, counting ties.

    A returned id is a hit if its exact score reaches the exact k-th score (less 1e-6): with many
    equal scores any of the tied ids is as good an answer. The index scores a candidate with the
    same stored vector as exact search does, so the score it returns is that exact score (up to
    float rounding, far below 1e-6).
    """
    total, hits = 0, 0
    for returned, reference in zip(found, exact, strict=True):
        if not reference:
            continue
        threshold = reference[-1][1] - 1e-6
        hits += min(len(reference), sum(1 for _, score in returned if score >= threshold))
        total += len(reference)
    return hits / total if total else 1.0


# ---------------------------------------------------------------- building from the database


def build(
    rows: Iterable[tuple[int, str | None, str | None]],
    chunk: int = 10_000,
    *,
    embedder: TextEmbedder | None = None,
    fit_rows: int = 50_000,
    nlist: int | None = None,
    train_rows: int = 100_000,
    dtype="int8",
    nprobe: int = 24,
    seed: int = 0,
) -> SimilarIndex:
    """Index (id, title, text) rows streamed from any iterable (the database, in chunks).

    Without a fitted embedder, document frequencies are counted on the first `fit_rows` rows and
    then kept fixed, so one pass over the rows suffices. The coarse quantiser is trained on a
    random sample of at most `train_rows` vectors; below 2,000 rows the index stays exact.
    """
    iterator = iter(rows)
    if embedder is None:
        embedder = TextEmbedder()
    head: list = []
    if not embedder.fitted:
        head = list(islice(iterator, fit_rows))
        embedder.fit(((t, x) for _, t, x in head), chunk=chunk)
    id_parts, vector_parts = [], []

    def batches() -> Iterator[list]:
        for start in range(0, len(head), chunk):
            yield head[start : start + chunk]
        while batch := list(islice(iterator, chunk)):
            yield batch

    dtype = np.dtype(dtype)
    scale_parts = []
    for batch in batches():
        id_parts.append(np.fromiter((row[0] for row in batch), dtype=np.int64, count=len(batch)))
        stored, scales = _encode(embedder.embed_batch([(row[1], row[2]) for row in batch]), dtype)
        vector_parts.append(stored)
        scale_parts.append(scales)
    head.clear()
    index = SimilarIndex(embedder.dim, nprobe=nprobe, dtype=dtype)
    index.embedder = embedder
    if not id_parts:
        return index
    ids = np.concatenate(id_parts)
    stored = np.concatenate(vector_parts)
    scales = np.concatenate(scale_parts) if dtype == np.int8 else None
    del id_parts, vector_parts, scale_parts
    if len(np.unique(ids)) != len(ids):
        raise ValueError("事项编号重复")
    if len(ids) >= 2000:
        nlist = nlist or default_list_count(len(ids))
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(len(ids), min(len(ids), max(train_rows, nlist)), replace=False))
        centroids = spherical_kmeans(_decode(stored[chosen], _part(scales, chosen)), nlist, seed=seed)
    else:
        centroids = np.zeros((1, embedder.dim), dtype=np.float32)
    with index._lock:
        index._install(centroids, ids, stored, scales)
    return index


# ---------------------------------------------------------------- reasons


@dataclass(frozen=True)
class MatterKeys:
    """What the database knows about a matter besides its text, as opaque keys.

    petitioner_keys: keyed hashes of the petitioners' ID numbers (or phones) — never the numbers.
    division_code: the place the problem is in (行政区划代码).
    unit_keys: the units complained about (unit ids or normalised names).
    """

    petitioner_keys: frozenset = frozenset()
    division_code: str | None = None
    unit_keys: frozenset = frozenset()


@dataclass(frozen=True)
class CandidateFeatures:
    similarity: float
    same_petitioner: bool = False
    same_division: bool = False
    same_unit: bool = False


@dataclass(frozen=True)
class SimilarMatter:
    id: int
    score: float
    similarity: float
    reasons: tuple[str, ...]
    likely_repeat: bool


# How much of the gap between the text similarity and 1 each shared fact closes. Text stays the main
# signal: an unrelated matter of the same petitioner scores below a close text match by anyone.
PETITIONER_WEIGHT = 0.35
DIVISION_WEIGHT = 0.15
UNIT_WEIGHT = 0.15
# Same petitioner and at least this exact TF-IDF cosine: probably the same matter filed again.
REPEAT_SIMILARITY = 0.8


def compare(similarity: float, query: MatterKeys, candidate: MatterKeys) -> CandidateFeatures:
    return CandidateFeatures(
        similarity=float(similarity),
        same_petitioner=bool(query.petitioner_keys & candidate.petitioner_keys),
        same_division=bool(query.division_code) and query.division_code == candidate.division_code,
        same_unit=bool(query.unit_keys & candidate.unit_keys),
    )


def explain(features: CandidateFeatures) -> tuple[float, list[str]]:
    """(score in [0, 1], reasons in Chinese): score = s + (1 − s)·(1 − Π(1 − wᵢ)) over shared facts."""
    similarity = min(1.0, max(0.0, features.similarity))
    reasons = [f"内容相似度 {similarity:.2f}"]
    remaining = 1.0
    if features.same_petitioner:
        remaining *= 1 - PETITIONER_WEIGHT
        reasons.append("同一信访人")
    if features.same_division:
        remaining *= 1 - DIVISION_WEIGHT
        reasons.append("同一问题属地")
    if features.same_unit:
        remaining *= 1 - UNIT_WEIGHT
        reasons.append("反映同一单位")
    if features.same_petitioner and similarity >= REPEAT_SIMILARITY:
        reasons.append("疑似同一事项重复提出")
    return similarity + (1 - similarity) * (1 - remaining), reasons


def rank_similar(
    query: MatterKeys,
    candidates: Iterable[tuple[int, float, MatterKeys]],
    k: int = 10,
    min_score: float = 0.0,
) -> list[SimilarMatter]:
    """Order candidates (id, text similarity, keys) by combined score, best first, with reasons.

    Candidates come from `SimilarIndex.search` (their similarity refined by
    `TextEmbedder.similarity`) and, when the database finds them, earlier matters of the same
    petitioner or unit that the text search missed.
    """
    ranked = []
    for matter_id, similarity, keys in candidates:
        features = compare(similarity, query, keys)
        score, reasons = explain(features)
        if score >= min_score:
            repeat = features.same_petitioner and features.similarity >= REPEAT_SIMILARITY
            ranked.append(SimilarMatter(int(matter_id), score, features.similarity, tuple(reasons), repeat))
    ranked.sort(key=lambda item: (-item.score, item.id))
    return ranked[:k]
