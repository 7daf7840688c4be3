"""Where is the matter? Read the 问题属地 from a petition's text and address and map it to the division tree.

Plain Python, no Django. A `PlaceIndex` is built from rows (code, name, parent code, level) and from
landmarks an administrator registers (青溪大道 → a street). `PlaceIndex.locate(text, address)` answers
with one division, or, when the text does not decide between places, with the candidates and a reason.
It reports ambiguity rather than guessing: picking from two offered places is quick for a registrar,
while a wrong pre-filled place sends the matter to the wrong township.

How a text is read
------------------
1. Scan. Every alias is looked up at every position through a dict keyed by its first two characters
   (one dict probe per character when nothing is there; tens of thousands of divisions cost no more
   per character than a few hundred). Aliases are the full names (溪东区, 湖滨社区), the short forms
   without the level word (溪东, 东湖, 湖滨) and the landmarks. Of overlapping hits the longest stays
   (石桥镇 over 石桥, 青溪大道 over 青溪).
2. Short forms must stand as place names. A short form (and a two-character full name such as 新村)
   is a common word as often as a place: 东湖路 is a road, 金桥花园 an estate, 梧桐 a tree. It counts
   only when the character after it ends the name: the end of the field, a non-Chinese character
   (punctuation, space, digit), a following place name it belongs with (溪东东湖), or a word that
   follows places (的, 一带, 附近, 片区, 居民, 村民, 居委, 政府 …). So 东湖路, 东湖花园 and 东湖中学 do
   not name 东湖街道: roads and estates cross boundaries, and an estate named after a place may not lie
   in it; an administrator who knows that a road lies in one street registers it as a landmark. A
   two-character full name right after its own ancestor (白鹭镇新村, 白鹭镇 新村) needs nothing after it.
   Village and community short forms (the most numerous and the most word-like) must also start a
   name: the character before is a boundary, a place name they belong with, or a word that precedes
   places (在, 住, 于, 是, 的 …), unless a word only places take follows (一带, 居民 …); so 锦江华庭
   does not name 华庭社区. A short form shared by a place and a place inside it names the outer one
   (白沙 is 白沙镇, not its 白沙社区), and a string that is some division's full name is read as that
   name only. Provinces get no short form: a province is never a matter's place on its own, and 示范
   or 湖南 in a petition is an adjective or a remark far more often.
3. Resolve. Each distinct hit (per field: repeating a name adds nothing) is a piece of evidence with its
   candidate divisions. The candidates that no other candidate lies inside are the possible answers;
   each is supported by the pieces naming it or one of its ancestors, so 溪东区 … 石桥社区 supports the
   石桥社区 of 溪东区 and not the one of 白鹭县 (a unique ancestor resolves a repeated name), and
   示范省青溪市溪东区东湖街道 ends on the deepest place. The answer is the best supported; a rival that
   is neither its ancestor nor its descendant is set aside only when the answer has at least twice the
   rival's own evidence, judged first on the address field, then on the text (the address field wins
   over the body). Otherwise the result is ambiguous and lists the candidates, best first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

ADDRESS = "address"
TEXT = "text"

# Level words dropped to make a short form. Longest first, so 社区 is tried before 区.
LEVEL_SUFFIXES = tuple(
    sorted(
        (
            "特别行政区 维吾尔自治区 壮族自治区 回族自治区 自治区 自治州 自治县 自治旗 地区 盟 林区 新区 "
            "省 市 区 县 旗 街道办事处 街道 办事处 民族乡 苏木 镇 乡 "
            "社区居民委员会 居民委员会 村民委员会 社区居委会 居委会 村委会 社区 嘎查 村"
        ).split(),
        key=len,
        reverse=True,
    )
)
MIN_ALIAS = 2  # the scan keys on two characters; no division is named in one

# A short form ends a name when followed by one of these (see the module docstring, step 2). After a
# word that only a place takes (一带, 居民 …) a village short form need not show where it starts. 附近
# and 周边 are not such words: 东南门附近 is a gate.
PLACE_TAILS = tuple(
    "一带 片区 辖区 境内 地界 居民 村民 群众 老百姓 街办 办事处 居委 村委 政府 党委 党工委".split()
)
TAILS = PLACE_TAILS + tuple(
    "交界 附近 周边 周围 地区 这边 那边 这块 这里 那里 的 和 与 及 等 有 也 都".split()
)
# … and a village or community short form starts a name after one of these characters.
CUES_BEFORE = frozenset("在住于自是到往去至的和与及跟同属原从向对近靠们省市区县镇乡村")

FULL, SHORT, LANDMARK = "full", "short", "landmark"


def short_form(name: str) -> str | None:
    """The name without its level word (溪东区 → 溪东), or None when that leaves fewer than two characters."""
    for suffix in LEVEL_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if len(stem) >= MIN_ALIAS else None
    return None


def _is_boundary(ch: str) -> bool:
    """Anything that is not a Chinese character (punctuation, spaces, digits, Latin letters)."""
    return not ("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent: str | None
    level: int
    chain: tuple[str, ...]  # this code, its parent's, … up to the root


@dataclass(frozen=True)
class _Alias:
    codes: tuple[str, ...]
    kind: str  # FULL, SHORT or LANDMARK
    strong: bool  # a full name of three characters or more, or a landmark: no context needed
    needs_start: bool  # a weak alias of villages/communities only: must also start a name


@dataclass(frozen=True)
class Mention:
    """One accepted hit: where it is, what was written, and which divisions it may name."""

    field: str  # ADDRESS or TEXT
    start: int
    end: int
    surface: str
    codes: tuple[str, ...]
    kind: str


@dataclass
class PlaceMatch:
    """The answer of `PlaceIndex.locate`.

    code: the division when the evidence decides, else None. candidates: the options, best first —
    [code] when decided, two or more when ambiguous, [] when nothing was found. within: when
    ambiguous, the deepest division that all candidates lie in and that the text names (a safe
    partial answer), else None. evidence: the substrings that matched, address first.
    """

    code: str | None
    ambiguous: bool
    candidates: list[str]
    evidence: list[str]
    reason: str
    within: str | None = None
    mentions: list[Mention] = field(default_factory=list, repr=False)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each piece is made once per text
class _Evidence:
    """A distinct piece of evidence: one field's hits of the same candidate set (repeats add nothing)."""

    field: str
    codes: frozenset
    mentions: tuple[Mention, ...]


class PlaceIndex:
    """The division tree with every alias, ready to locate places in text (see the module docstring)."""

    def __init__(
        self,
        divisions: Iterable[tuple[str, str, str | None, int]],
        landmarks: Iterable[tuple[str, str]] = (),
    ):
        rows = [
            (str(code), str(name).strip(), str(parent) if parent else None, int(level))
            for code, name, parent, level in divisions
        ]
        parents: dict[str, str | None] = {}
        for code, name, parent, _level in rows:
            if code in parents:
                raise ValueError(f"区划代码「{code}」重复")
            if len(name) < MIN_ALIAS:
                raise ValueError(f"区划「{code}」的名称「{name}」过短")
            parents[code] = parent
        for _code, name, parent, _level in rows:
            if parent is not None and parent not in parents:
                raise ValueError(f"区划「{name}」的上级代码「{parent}」不存在")
        self.divisions: dict[str, Division] = {
            code: Division(code, name, parent, level, self._chain(code, parents))
            for code, name, parent, level in rows
        }

        full: dict[str, list[str]] = defaultdict(list)
        short: dict[str, list[str]] = defaultdict(list)
        marks: dict[str, list[str]] = defaultdict(list)
        for division in self.divisions.values():
            full[division.name].append(division.code)
            stem = short_form(division.name) if division.level > 1 else None
            if stem:
                short[stem].append(division.code)
        for name, code in landmarks:
            name = str(name).strip()
            if code not in self.divisions:
                raise ValueError(f"地标「{name}」对应的区划代码「{code}」不存在")
            if len(name) < MIN_ALIAS:
                raise ValueError(f"地标「{name}」过短，至少两个字")
            if code not in marks[name]:
                marks[name].append(code)

        aliases: dict[str, _Alias] = {}
        for stem, codes in short.items():
            if stem in full or stem in marks:
                continue  # someone's exact full name or a landmark: read as that
            outer = self._outermost(codes)
            aliases[stem] = self._alias(outer, SHORT, strong=False)
        for name, codes in full.items():
            extra = [code for code in marks.get(name, ()) if code not in codes]
            aliases[name] = self._alias(codes + extra, FULL, strong=len(name) >= 3)
        for name, codes in marks.items():
            if name not in aliases or aliases[name].kind == SHORT:
                aliases[name] = self._alias(codes, LANDMARK, strong=True)
        self._aliases = aliases
        # first two characters → the lengths of the aliases that start with them, longest first
        lengths: dict[str, set[int]] = defaultdict(set)
        for alias in aliases:
            lengths[alias[:2]].add(len(alias))
        self._lengths = {prefix: tuple(sorted(found, reverse=True)) for prefix, found in lengths.items()}

    # ------------------------------------------------------------------ building

    @staticmethod
    def _chain(code: str, parents: dict[str, str | None]) -> tuple[str, ...]:
        chain = [code]
        while parents[chain[-1]] is not None:
            chain.append(parents[chain[-1]])
            if len(chain) > len(parents):
                raise ValueError(f"区划「{code}」的上级关系成环")
        return tuple(chain)

    def _outermost(self, codes: list[str]) -> list[str]:
        """Drop the codes that lie inside another of the same list (白沙 → 白沙镇, not its 白沙社区)."""
        inside = set(codes)
        return [code for code in codes if not any(a in inside for a in self.divisions[code].chain[1:])]

    def _alias(self, codes: list[str], kind: str, *, strong: bool) -> _Alias:
        codes = sorted(set(codes))
        needs_start = not strong and all(self.divisions[code].level >= 5 for code in codes)
        return _Alias(tuple(codes), kind, strong, needs_start)

    # ------------------------------------------------------------------ naming

    def name(self, code: str) -> str:
        return self.divisions[code].name

    def path_name(self, code: str, *, from_level: int = 2) -> str:
        """溪东区东湖街道 style: the names from `from_level` down (the whole chain for a higher division)."""
        names = [self.divisions[c].name for c in reversed(self.divisions[code].chain)]
        levels = [self.divisions[c].level for c in reversed(self.divisions[code].chain)]
        kept = [n for n, level in zip(names, levels, strict=True) if level >= from_level]
        return "".join(kept or names)

    def aliases_of(self, written: str) -> tuple[str, ...]:
        """The divisions a written name denotes on its own (full name, short form or landmark)."""
        alias = self._aliases.get(written)
        return alias.codes if alias else ()

    # ------------------------------------------------------------------ reading

    def mentions(self, text: str, field: str = TEXT) -> list[Mention]:
        """The place names in one field, overlaps and common-word uses removed (steps 1 and 2)."""
        if not text:
            return []
        lengths_of = self._lengths.get
        aliases = self._aliases
        hits = []
        size = len(text)
        for i in range(size - 1):
            lengths = lengths_of(text[i : i + 2])
            if lengths:
                for n in lengths:
                    if i + n > size:
                        continue
                    alias = aliases.get(text[i : i + n])
                    if alias is not None:
                        hits.append((i, i + n, alias))
                        break
        if not hits:
            return []
        if len(hits) > 1:
            hits = self._without_overlaps(hits)
        kept = []
        for k, (start, end, alias) in enumerate(hits):
            if not alias.strong:
                # the hit just before (spaces between allowed: 白鹭镇 新村) and the one right after
                before = hits[k - 1] if k and not text[hits[k - 1][1] : start].strip() else None
                after = hits[k + 1] if k + 1 < len(hits) and hits[k + 1][0] == end else None
                # a two-character full name right after its own ancestor (白鹭镇新村) is a place whatever follows
                chained = alias.kind == FULL and before is not None and self._related(alias, before[2])
                if not chained and not self._ends_name(text, end, alias, after):
                    continue
                if (
                    alias.needs_start
                    and not chained
                    and not self._starts_name(text, start, alias, before)
                    and not text.startswith(PLACE_TAILS, end)
                ):
                    continue
            kept.append(Mention(field, start, end, text[start:end], alias.codes, alias.kind))
        return kept

    @staticmethod
    def _without_overlaps(hits):
        taken = []
        for hit in sorted(hits, key=lambda h: (h[0] - h[1], h[0])):
            if all(hit[1] <= other[0] or hit[0] >= other[1] for other in taken):
                taken.append(hit)
        taken.sort(key=lambda h: h[0])
        return taken

    def _related(self, a: _Alias, b: _Alias) -> bool:
        """Whether some division of one lies on the chain of some division of the other (溪东 + 东湖)."""
        above_a = {c for code in a.codes for c in self.divisions[code].chain}
        if any(code in above_a for code in b.codes):
            return True
        above_b = {c for code in b.codes for c in self.divisions[code].chain}
        return any(code in above_b for code in a.codes)

    def _ends_name(self, text: str, end: int, alias: _Alias, after) -> bool:
        if end == len(text) or _is_boundary(text[end]):
            return True
        if after is not None and self._related(alias, after[2]):
            return True
        return text.startswith(TAILS, end)

    def _starts_name(self, text: str, start: int, alias: _Alias, before) -> bool:
        if start == 0 or _is_boundary(text[start - 1]) or text[start - 1] in CUES_BEFORE:
            return True
        return before is not None and self._related(alias, before[2])

    # ------------------------------------------------------------------ resolving

    def locate(self, text: str, address: str = "") -> PlaceMatch:
        """The division a petition is about, from its free text and its address field."""
        mentions = self.mentions(address or "", ADDRESS) + self.mentions(text or "", TEXT)
        if not mentions:
            return PlaceMatch(None, False, [], [], "未找到可对应的行政区划，请人工选择问题属地")
        evidence = _dedupe(m.surface for m in mentions)
        pieces = self._pieces(mentions)

        named = {code for piece in pieces for code in piece.codes}
        inner = {a for code in named for a in self.divisions[code].chain[1:]}
        frontier = sorted(code for code in named if code not in inner)
        naming: dict[str, list[_Evidence]] = defaultdict(list)  # code → the pieces that name it
        for piece in pieces:
            for code in piece.codes:
                naming[code].append(piece)
        support = {code: self._support(code, naming) for code in frontier}

        def strength(code):
            s = support[code]
            return (
                sum(p.field == ADDRESS for p in s),
                sum(p.field == TEXT for p in s),
                self.divisions[code].level,
            )

        frontier.sort(key=strength, reverse=True)  # stable: ties stay in code order
        best = frontier[0]
        rivals = [code for code in frontier[1:] if not _dominates(support[best], support[code])]
        if not rivals:
            reason = self._decided_reason(best, pieces, support[best])
            return PlaceMatch(best, False, [best], evidence, reason, mentions=mentions)
        candidates = [best, *rivals]
        within = self._within(candidates, named)
        reason = self._ambiguous_reason(candidates, pieces, support)
        return PlaceMatch(None, True, candidates, evidence, reason, within=within, mentions=mentions)

    @staticmethod
    def _pieces(mentions: list[Mention]) -> list[_Evidence]:
        grouped: dict[tuple, list[Mention]] = defaultdict(list)
        for m in mentions:
            grouped[(m.field, frozenset(m.codes))].append(m)
        return [_Evidence(key[0], key[1], tuple(ms)) for key, ms in grouped.items()]

    def _support(self, code: str, naming: dict[str, list[_Evidence]]) -> frozenset:
        """The pieces consistent with this place: those naming it or one of its ancestors."""
        return frozenset(p for c in self.divisions[code].chain for p in naming.get(c, ()))

    def _within(self, candidates: list[str], named: set[str]) -> str | None:
        common = set(self.divisions[candidates[0]].chain)
        for code in candidates[1:]:
            common &= set(self.divisions[code].chain)
        shared_named = [code for code in common if code in named]
        return max(shared_named, key=lambda c: self.divisions[c].level) if shared_named else None

    # ------------------------------------------------------------------ reasons

    def _decided_reason(self, best: str, pieces: list[_Evidence], support: frozenset) -> str:
        parts = []
        for where, verb in ((ADDRESS, "地址中写明"), (TEXT, "正文提到")):
            used = [m for p in support if p.field == where for m in p.mentions]
            if used:
                parts.append(verb + "、".join(f"“{phrase}”" for phrase in _phrases(used)))
        reason = "，".join(parts)
        used_kinds = {m.kind for p in support for m in p.mentions}
        if used_kinds != {FULL} or not any(m.surface == self.name(best) for p in support for m in p.mentions):
            reason += f"，即{self.path_name(best)}"
        ignored = [m for p in pieces if p not in support for m in p.mentions]
        if ignored:
            others = "、".join(f"“{phrase}”" for phrase in _phrases(ignored)[:3])
            if any(p.field == ADDRESS for p in support) and all(m.field == TEXT for m in ignored):
                reason += f"（正文另提到{others}，以地址为准）"
            else:
                reason += f"（另提到{others}，依据较少，未采用）"
        return reason

    def _ambiguous_reason(self, candidates: list[str], pieces: list[_Evidence], support: dict) -> str:
        # one name that several divisions carry: "“石桥社区”在溪东区、白鹭县各有一个"
        for piece in pieces:
            if all(piece in support[code] for code in candidates) and self._names_each(piece, candidates):
                return self._same_name_reason(piece.mentions[0].surface, candidates)
        # different places named: "同时提到“溪东区”和“白鹭县”"
        phrases = []
        for code in candidates[:3]:
            own = [
                m for p in support[code] for m in p.mentions if not all(p in support[c] for c in candidates)
            ]
            phrases.append(_phrases(own)[0] if own else self.name(code))
        quoted = "和".join(f"“{p}”" for p in _dedupe(phrases))
        more = f"等{len(candidates)}处" if len(candidates) > 3 else ""
        return f"同时提到{quoted}{more}，无法确定问题属地，请选择"

    def _names_each(self, piece: _Evidence, candidates: list[str]) -> bool:
        """Whether the piece names a different division on each candidate's chain (a shared name)."""
        named = [next(c for c in self.divisions[code].chain if c in piece.codes) for code in candidates]
        return len(set(named)) == len(named)

    def _same_name_reason(self, surface: str, candidates: list[str]) -> str:
        common = set(self.divisions[candidates[0]].chain)
        for code in candidates[1:]:
            common &= set(self.divisions[code].chain)
        # each candidate's ancestors below what they all share: where they part ways comes first
        belows = [
            [c for c in reversed(self.divisions[code].chain[1:]) if c not in common]
            or [self.divisions[code].parent]
            for code in candidates
        ]
        labels = [self.name(below[0]) if below[0] else "" for below in belows]  # 溪东区 / 白鹭县
        if len(set(labels)) < len(labels):  # two in one district: name the township as well
            labels = ["".join(self.name(c) for c in below[-2:] if c) for below in belows]
        distinct = _dedupe(label for label in labels if label)
        if len(distinct) == len(candidates) and len(candidates) <= 4:
            return f"“{surface}”在{'、'.join(distinct)}各有一个，请选择"
        listed = "、".join(distinct[:4]) + ("等地" if len(distinct) > 4 else "")
        return f"“{surface}”共有{len(candidates)}处同名（{listed}），请结合上级区划选择"


def _dominates(winner: frozenset, rival: frozenset) -> bool:
    """Whether the winner's own evidence is at least twice the rival's, the address field first."""
    for where in (ADDRESS, TEXT):
        own = sum(1 for p in winner if p.field == where and p not in rival)
        theirs = sum(1 for p in rival if p.field == where and p not in winner)
        if own != theirs:
            return own > 0 and own >= 2 * theirs
    return False


def _phrases(mentions: list[Mention]) -> list[str]:
    """Surfaces of the mentions, adjacent ones joined (溪东区 + 东湖街道 → 溪东区东湖街道), repeats dropped."""
    phrases = []
    last = None
    for m in sorted(mentions, key=lambda m: (m.field != ADDRESS, m.start)):
        if last is not None and last.field == m.field and last.end == m.start:
            phrases[-1] += m.surface
        else:
            phrases.append(m.surface)
        last = m
    return _dedupe(phrases)


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
