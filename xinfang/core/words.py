"""Words of a text for full-text search in Chinese: what is indexed, what a query asks, and the
brute-force check of both. Plain Python, no Django.

Index (`index_words`): the text is normalised (NFKC: full-width letters and digits become ASCII;
lower case), then cut into runs of Chinese characters and runs of other letters and digits;
everything else separates runs. A Chinese run gives every pair of neighbouring characters (电梯故障
→ 电梯 梯故 故障) and its last character alone (障), so any part of it of two or more characters is a
phrase of consecutive pairs, and any single character starts a token (a prefix query). Another run
is one token (``a1``, ``2024``). The tokens are written with spaces between them, and both
databases index that text as it is (SQLite FTS5, PostgreSQL tsvector).

Query (`parse`): words in quotes are one term ("电梯 故障" stays together); the rest is cut into
words with jieba (电梯故障 → 电梯 + 故障), a single character joining the word before it (停水了 →
停水了). A matter matches when every term is in its title or content, in any order and anywhere: a
Chinese term as a substring, a term that begins or ends with a Latin letter or digit only at a word
boundary there (``3号楼`` is not in ``13号楼``). `matches` is that rule, checked the slow way.
"""

import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field

# CJK ideographs (basic, extension A, compatibility) and the extension planes.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
RUN_RE = re.compile(rf"[{HAN}]+|[^\W_{HAN}]+")
HAN_RE = re.compile(rf"[{HAN}]")
SEPARATORS_RE = re.compile(rf"[^{HAN}\w]+|_+")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dx]$")
PHONE_RE = re.compile(r"^(1\d{10}|0\d{9,11})$")
MAX_TERMS = 12  # words of a query; the rest is ignored
MAX_QUERY = 200  # characters of a query


def normalise(text: str) -> str:
    """NFKC, lower case, and any run of characters that are neither letters nor digits as one space."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return SEPARATORS_RE.sub(" ", text).strip()


def runs(text: str) -> list[str]:
    """The runs of a normalised text: Chinese characters, or other letters and digits."""
    return RUN_RE.findall(text)


def is_han(run: str) -> bool:
    return bool(HAN_RE.match(run))


def run_tokens(run: str) -> list[str]:
    if not is_han(run):
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def index_words(*texts: str) -> str:
    """The indexed form of one or more texts (a title, a content): tokens separated by spaces."""
    tokens = []
    for text in texts:
        for run in runs(normalise(text)):
            tokens += run_tokens(run)
    return " ".join(tokens)


@dataclass(frozen=True)
class Term:
    """One term of a query: its normalised text and, for the index, a phrase of tokens (a token
    ending in "*" is a prefix)."""

    text: str

    @property
    def tokens(self) -> list[str]:
        parts = runs(self.text)
        out = []
        for run in parts[:-1]:  # runs the term goes on after: whole, as the index has them
            out += run_tokens(run)
        last = parts[-1]
        if not is_han(last):
            out.append(last)
        elif len(last) == 1:
            out.append(last + "*")
        else:  # the term may stop inside a longer run of the text: its pairs only
            out += [last[i : i + 2] for i in range(len(last) - 1)]
        return out


@dataclass
class Query:
    terms: list[Term] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)  # upper case, for the keyed hash
    phones: list[str] = field(default_factory=list)

    def __bool__(self):
        return bool(self.terms or self.id_numbers or self.phones)

    @property
    def highlights(self) -> list[str]:
        return [t.text for t in self.terms]


def parse(text: str) -> Query:
    """A query as typed: quoted phrases, words, an ID number or a phone number."""
    text = unicodedata.normalize("NFKC", (text or "")[:MAX_QUERY]).strip()
    query = Query()
    compact = re.sub(r"[\s\-]", "", text).lower()
    if ID_NUMBER_RE.match(compact):
        query.id_numbers.append(compact.upper())
        return query
    if PHONE_RE.match(compact):
        query.phones.append(compact)
        return query
    seen = set()

    def add(term_text):
        term_text = normalise(term_text)
        if term_text and runs(term_text) and term_text not in seen and len(query.terms) < MAX_TERMS:
            seen.add(term_text)
            query.terms.append(Term(term_text))

    for quoted, plain in re.findall(r'"([^"]*)"|(\S+)', _pair_quotes(text)):
        if quoted:
            add(quoted)
            continue
        for word in segment(plain):
            add(word)
    return query


def _pair_quotes(text: str) -> str:
    """Chinese quotes and corner brackets as plain double quotes; an unpaired quote is dropped."""
    text = text.replace("“", '"').replace("”", '"').replace("「", '"').replace("」", '"')
    if text.count('"') % 2:
        head, _, tail = text.rpartition('"')
        text = head + " " + tail
    return text


@functools.cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def segment(chunk: str) -> list[str]:
    """Words of an unquoted chunk (no spaces): jieba's cut, a single character joined to the word
    before it (or after it, at the start), so that 停水了 is one word and 3号楼 too."""
    chunk = normalise(chunk)
    if len(chunk) <= 2:
        return [chunk]
    words = []
    for part in chunk.split(" "):
        merged = []
        for piece in _jieba().cut(part, HMM=False):
            if merged and (len(piece) == 1 or len(merged[-1]) == 1):
                merged[-1] += piece
            else:
                merged.append(piece)
        words += merged
    return words


def warm_up():
    """Load the segmenter's dictionary now rather than at the first query."""
    _jieba()


# ---------------------------------------------------------------- the slow way


def matches(query: Query, text: str) -> bool:
    """Whether a text (a title and content joined) has every term of the query, by the rule above;
    normalises the text itself. The ID-number and phone parts are not text and are not checked."""
    text = normalise(text)
    return all(term_pattern(t.text).search(text) for t in query.terms)


@functools.lru_cache(maxsize=256)
def term_pattern(term: str) -> re.Pattern:
    # A term that begins (ends) with a letter or digit other than Chinese starts (ends) at a word
    # boundary: no such character before (after) it. Chinese characters are runs of their own.
    before = "" if is_han(term[0]) else rf"(?<![^\W_{HAN}])"
    after = "" if is_han(term[-1]) else rf"(?![^\W_{HAN}])"
    return re.compile(before + re.escape(term) + after)


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """(start, end) of the places in `text` (as shown, not normalised) where a term occurs,
    merged and in order. A term matches the text's characters after NFKC and lower case; a
    separator in a term matches any run of separators."""
    if not terms:
        return []
    folded, origin = _fold(text)
    spans = []
    for term in terms:
        parts = [re.escape(p) for p in term.split(" ") if p]
        pattern = re.compile(r"[^\w]+".join(parts))
        for found in pattern.finditer(folded):
            spans.append((origin[found.start()], origin[found.end() - 1] + 1))
    spans.sort()
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _fold(text: str) -> tuple[str, list[int]]:
    """The text folded character by character (NFKC, lower case) and, for each folded character,
    the index of the character it came from."""
    out, origin = [], []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).lower()
        out.append(folded)
        origin += [i] * len(folded)
    return "".join(out), origin
