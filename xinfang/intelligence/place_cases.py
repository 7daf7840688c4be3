"""Labelled test cases for the place locator, written from any division tree (the demo city, an
imported province, a synthetic one), and their scoring. Used by the tests and bench_places.py."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .places import PlaceIndex, PlaceMatch, short_form

# ====================================================================== labelled test cases
#
# Cases are written from a division tree, so that any tree (the demo city, an imported province, a
# synthetic one) yields its own test set. What a case expects is decided from what the generator wrote,
# not by scanning: a chain of written names has as readings the divisions named by its last part that
# have, for every other part, a named ancestor; one reading is the answer, several make the case truly
# ambiguous. Words that contain a place's short form but name a thing (东湖路, 金桥花园, 白鹭中学) are
# noise, as the module docstring decides.


@dataclass(frozen=True)
class PlaceCase:
    kind: str
    text: str
    address: str
    expected: str | None  # the division, or None (no place, or truly ambiguous)
    readings: tuple[str, ...] = ()  # when truly ambiguous: the divisions the text may mean
    ancestors: tuple[str, ...] = ()  # the expected division's ancestors: answering one is vague, not wrong

    @property
    def ambiguous(self) -> bool:
        return len(self.readings) > 1


# Petition-like sentences, written for this module. {p} is where the place goes.
PLACE_SENTENCES = (
    "{p}的一家小作坊每天夜里排放刺鼻气味，周边居民门窗都不敢开。",
    "我家住在{p}，楼下的下水道堵了半个多月，污水漫到路面。",
    "反映{p}一带夜间施工噪音扰民的问题，多次投诉没有结果。",
    "{p}居民反映，小区电梯经常停运，物业一直推脱。",
    "关于{p}低保评定不公开的问题，希望有关部门核查。",
    "本人是{p}的，去年在工地干活被拖欠工资两万多元至今未付。",
    "{p}附近的河道被倾倒建筑垃圾，河水发臭。",
    "在{p}，有人占用耕地违规建房，多次制止无效。",
    "{p}路灯坏了三个月没人修，晚上出行很不安全。",
    "{p}有几户人家的宅基地纠纷调解了三次都没有结果。",
    "请求帮助解决{p}自来水水压不足的问题。",
    "我们{p}的老旧小区改造拖了两年还没动工。",
)
# Two places: {a} an ancestor of {p} (or any second place).
TWO_PLACE_SENTENCES = (
    "{a}的群众反映：{p}有人违规占用集体土地建厂房。",
    "我在{a}打工，住在{p}，房东拒不退还押金。",
    "{p}（属{a}）的自来水管道破裂一周无人维修。",
)
CONFLICT_SENTENCES = (
    "{a}和{p}交界处的道路坑洼不平，两边都说不归自己管。",
    "我户籍在{a}，现住{p}，想咨询社保转移的办法。",
)
NO_PLACE_SENTENCES = (
    "{road}上的井盖缺失好几天了，晚上骑车很危险。",
    "{estate}的物业擅自涨价，业主意见很大。",
    "孩子在{school}上学，学校乱收辅导费。",
    "网购的商品质量有问题，商家拒绝退货，平台也不处理。",
    "公司拖欠工资三个月，老板电话一直不接。",
    "医院收费明细不清楚，怀疑重复收费，请求核查。",
    "{road}和{road2}交叉口的红绿灯时间太短，老人过不去。",
    "小区旁边的{market}占道经营，垃圾乱扔。",
    "希望延长公交车的末班时间，方便下夜班的职工。",
    "{estate}楼下的烧烤店油烟很大，晚上吵到凌晨。",
)
THING_SUFFIXES = {
    "road": ("路", "大道", "街", "北路"),
    "estate": ("花园", "小区", "家园", "华府", "新城"),
    "school": ("小学", "中学", "实验学校"),
    "market": ("菜市场", "农贸市场"),
}
# Made-up words for landmark names and address details; checked against the tree before use.
LANDMARK_STEMS = "锦程 恒达 鑫源 瑞丰 金鼎 华信 永盛 众合 鼎盛 汇通 顺安 德隆 博远 晟泰 嘉禾 宏远".split()
LANDMARK_SUFFIXES = ("广场", "工业园", "大厦", "物流中心", "批发市场", "体育馆", "客运站", "商业街")


def readings_of(index: PlaceIndex, parts: list[str]) -> tuple[str, ...]:
    """The divisions a written chain of names may mean: those named by the last part that have, for every
    other part, an ancestor it names. One reading is the answer; several make the text truly ambiguous."""
    found = []
    for code in index.aliases_of(parts[-1]):
        above = index.divisions[code].chain[1:]
        if all(any(c in above for c in index.aliases_of(part)) for part in parts[:-1]):
            found.append(code)
    return tuple(sorted(found))


def generate_cases(
    divisions: Iterable[tuple[str, str, str | None, int]], *, n: int = 1000, seed: int = 0
) -> tuple[list[PlaceCase], list[tuple[str, str]]]:
    """`n` labelled cases from the tree, and the landmarks (name, code) the index must be built with."""
    return _CaseWriter(list(divisions), seed).write(n)


class _CaseWriter:
    KINDS = (  # (kind, weight)
        ("full_chain_address", 2),
        ("chain_in_text", 1),
        ("partial_chain", 1),
        ("short_forms", 3),
        ("name_only", 3),
        ("ancestor_resolves", 2),
        ("landmark", 1),
        ("address_beats_body", 1),
        ("body_refines_address", 1),
        ("conflict", 1),
        ("no_place", 3),
        ("place_with_noise", 1),
    )

    def __init__(self, rows, seed):
        self.rng = random.Random(seed)
        self.index = PlaceIndex(rows)
        self.divisions = self.index.divisions
        self.by_level = defaultdict(list)
        for code in sorted(self.divisions):
            self.by_level[self.divisions[code].level].append(code)
        self.targets = [c for c in sorted(self.divisions) if self.divisions[c].level >= 3]
        self.targets_from = {
            level: [c for c in self.targets if self.divisions[c].level >= level] for level in (3, 4, 5)
        }
        names = Counter(d.name for d in self.divisions.values())
        self.repeated = [
            c for c in self.targets if names[self.divisions[c].name] > 1 and self.divisions[c].level >= 4
        ]
        stems = sorted({s for d in self.divisions.values() if (s := short_form(d.name))})
        self.stems = stems or ["东方"]
        self.landmarks = self._make_landmarks()

    def _free_of_places(self, words: str) -> bool:
        return not self.index.mentions(words) and not any(
            words[i:j] in self.index._aliases for i in range(len(words)) for j in range(i + 2, len(words) + 1)
        )

    def _make_landmarks(self) -> list[tuple[str, str]]:
        rng = random.Random(self.rng.random())
        spots = [c for c in self.targets if self.divisions[c].level in (4, 5)]
        made = []
        used = set()
        for _ in range(min(40, len(spots))):
            name = rng.choice(LANDMARK_STEMS) + rng.choice(LANDMARK_SUFFIXES)
            if name in used or not self._free_of_places(name):
                continue
            used.add(name)
            made.append((name, rng.choice(spots)))
        return made

    # ---------------------------------------------------------------- oracle

    def case(self, kind, text, address, parts) -> PlaceCase:
        found = readings_of(self.index, parts)
        if len(found) == 1:
            return PlaceCase(kind, text, address, found[0], (), self.divisions[found[0]].chain[1:])
        return PlaceCase(kind, text, address, None, found)

    # ---------------------------------------------------------------- writing names

    def short_ok(self, code: str) -> str | None:
        """The short form of a division if writing it is fair: it names this division and no other on its chain."""
        stem = short_form(self.divisions[code].name)
        if not stem:
            return None
        named = self.index.aliases_of(stem)
        if code not in named:
            return None
        return stem

    def chain_names(self, code, top_level, *, short_chance=0.0):
        """Names from `top_level` down to the division; each may be written short."""
        chain = [c for c in reversed(self.divisions[code].chain) if self.divisions[c].level >= top_level]
        names = []
        for c in chain:
            stem = self.short_ok(c) if self.rng.random() < short_chance else None
            names.append(stem or self.divisions[c].name)
        return names

    def thing(self, slot):
        return self.rng.choice(self.stems) + self.rng.choice(THING_SUFFIXES[slot])

    def noise_sentence(self) -> str:
        template = self.rng.choice(NO_PLACE_SENTENCES)
        road = self.thing("road")
        road2 = self.thing("road")
        return template.format(
            road=road,
            road2=road2,
            estate=self.thing("estate"),
            school=self.thing("school"),
            market=self.thing("market"),
        )

    def house(self, code) -> str:
        r = self.rng
        if self.divisions[code].level >= 5 and r.random() < 0.6:
            return f"{r.randint(1, 12)}组{r.randint(1, 99)}号"
        return f"{self.thing('estate')}{r.randint(1, 30)}栋{r.randint(1, 26)}0{r.randint(1, 4)}室"

    def sentence(self, place) -> str:
        return self.rng.choice(PLACE_SENTENCES).format(p=place)

    def pick_target(self, min_level=3) -> str:
        return self.rng.choice(self.targets_from[min_level] or self.targets)

    # ---------------------------------------------------------------- kinds

    def write(self, n):
        kinds = [k for k, _ in self.KINDS]
        weights = [w for _, w in self.KINDS]
        cases = []
        for _ in range(n):
            kind = self.rng.choices(kinds, weights)[0]
            made = getattr(self, "make_" + kind)()
            cases.append(made)
        return cases, list(self.landmarks)

    def make_full_chain_address(self):
        target = self.pick_target()
        names = self.chain_names(target, self.rng.choice((1, 2)))
        sep = self.rng.choice(("", "", " "))
        address = sep.join(names) + (self.house(target) if self.rng.random() < 0.5 else "")
        return self.case("full_chain_address", self.noise_sentence(), address, names)

    def make_chain_in_text(self):
        target = self.pick_target(4)
        names = self.chain_names(target, 3)
        return self.case("chain_in_text", self.sentence("".join(names)), "", names)

    def make_partial_chain(self):
        target = self.pick_target(4)
        chain = [c for c in reversed(self.divisions[target].chain) if self.divisions[c].level >= 2]
        kept = [c for c in chain[:-1] if self.rng.random() < 0.5] + [target]
        names = [self.divisions[c].name for c in kept]
        if self.rng.random() < 0.5:
            return self.case("partial_chain", self.noise_sentence(), "".join(names), names)
        return self.case("partial_chain", self.sentence("".join(names)), "", names)

    def make_short_forms(self):
        for _ in range(20):
            target = self.pick_target()
            if self.short_ok(target):
                break
        if self.rng.random() < 0.5:  # address: a chain with short forms
            names = self.chain_names(target, self.rng.choice((2, 3)), short_chance=0.6)
            full_names = {self.divisions[c].name for c in self.divisions[target].chain}
            if all(name in full_names for name in names):  # none came out short: shorten the place itself
                names[-1] = self.short_ok(target) or names[-1]
            sep = self.rng.choice(("", " "))
            return self.case("short_forms", self.noise_sentence(), sep.join(names), names)
        stem = self.short_ok(target) or self.divisions[target].name  # body text: the short form alone
        return self.case("short_forms", self.sentence(stem), "", [stem])

    def make_name_only(self):
        pool = self.repeated if self.repeated and self.rng.random() < 0.5 else self.targets
        target = self.rng.choice(pool)
        name = self.divisions[target].name
        return self.case("name_only", self.sentence(name), "", [name])

    def make_ancestor_resolves(self):
        target = self.rng.choice(self.repeated or self.targets)
        above = [c for c in self.divisions[target].chain[1:] if self.divisions[c].level >= 3]
        ancestor = self.rng.choice(above) if above else target
        a, p = self.divisions[ancestor].name, self.divisions[target].name
        text = self.rng.choice(TWO_PLACE_SENTENCES).format(a=a, p=p)
        return self.case("ancestor_resolves", text, "", [a, p])

    def make_landmark(self):
        if not self.landmarks:
            return self.make_no_place()
        name, _code = self.rng.choice(self.landmarks)
        found = tuple(sorted(c for n, c in self.landmarks if n == name))
        text = self.sentence(name)
        if len(found) == 1:
            return PlaceCase("landmark", text, "", found[0], (), self.divisions[found[0]].chain[1:])
        return PlaceCase("landmark", text, "", None, found)

    def _unrelated(self, code, level):
        """A division of the given level in another branch than `code`, with a name that is unique."""
        pool = self.by_level.get(level, ())
        for _ in range(50 if pool else 0):
            other = self.rng.choice(pool)
            outside = other not in self.divisions[code].chain and code not in self.divisions[other].chain
            if outside and len(self.index.aliases_of(self.divisions[other].name)) == 1:
                return other
        return None

    def make_address_beats_body(self):
        target = self.pick_target()
        names = self.chain_names(target, 3)
        other = self._unrelated(target, self.rng.choice((3, 4)))
        text = self.sentence(self.divisions[other].name) if other else self.noise_sentence()
        return self.case("address_beats_body", text, "".join(names), names)

    def make_body_refines_address(self):
        target = self.pick_target(4)
        above = [c for c in self.divisions[target].chain[1:] if self.divisions[c].level == 3]
        address = self.divisions[above[0]].name if above else ""
        name = self.divisions[target].name
        parts = [address, name] if address else [name]
        return self.case("body_refines_address", self.sentence(name), address, parts)

    def make_conflict(self):
        target = self.pick_target(4)
        level = self.divisions[target].level
        other = self._unrelated(target, level)
        if other is None or len(self.index.aliases_of(self.divisions[target].name)) != 1:
            return self.make_name_only()
        a, p = self.divisions[other].name, self.divisions[target].name
        text = self.rng.choice(CONFLICT_SENTENCES).format(a=a, p=p)
        return PlaceCase("conflict", text, "", None, tuple(sorted((target, other))))

    def make_no_place(self):
        text = self.noise_sentence()
        if self.rng.random() < 0.5:
            text += self.noise_sentence()
        return PlaceCase("no_place", text, "", None)

    def make_place_with_noise(self):
        target = self.pick_target()
        names = self.chain_names(target, 3)
        text = self.noise_sentence() + self.sentence("".join(names)) + self.noise_sentence()
        return self.case("place_with_noise", text, "", names)


# ====================================================================== scoring and trees for tests


def score_cases(locate: Callable[[str, str], PlaceMatch], cases: list[PlaceCase]) -> dict:
    """Accuracy of a locator on labelled cases.

    Correct: the expected code (not ambiguous), or, on a truly ambiguous case, an ambiguous answer
    whose candidates include every reading. Vague: an ancestor of the expected division (right, but the
    registrar must go deeper). Wrong guess: any other code (a place on a no-place text, any code on a
    truly ambiguous case, a place in another branch). Missed: nothing, where a place was expected.
    """
    totals = Counter()
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        match = locate(case.text, case.address)
        if case.ambiguous:
            correct = match.ambiguous and set(case.readings) <= set(match.candidates)
        else:
            correct = not match.ambiguous and match.code == case.expected
        outcome = Counter(cases=1, correct=int(correct), reported_ambiguous=int(match.ambiguous))
        vague = match.code is not None and match.code in case.ancestors
        outcome["vague"] = int(vague)
        outcome["wrong_guess"] = int(match.code is not None and match.code != case.expected and not vague)
        expected_place = case.expected is not None or case.ambiguous
        outcome["missed"] = int(match.code is None and not match.ambiguous and expected_place)
        outcome["false_ambiguity"] = int(match.ambiguous and not case.ambiguous)
        totals.update(outcome)
        by_kind[case.kind].update(outcome)
    return {"totals": totals, "by_kind": dict(by_kind)}


SYNTHETIC_FIRST = "东西南北上下前后新老大小石马王李张陈刘黄杨林何高周吴赵孙朱胡郭罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
SYNTHETIC_SECOND = "山水河湖桥塘坪坝岭沟湾庄家园田林冲岗洲港溪口门坡堡营店铺寨场城屯圩岙头尾"


def synthetic_divisions(total: int = 20_000, *, seed: int = 0) -> list[tuple[str, str, str | None, int]]:
    """A made-up five-level tree of about `total` divisions whose village names repeat a lot (as real ones do)."""
    rng = random.Random(seed)

    def stem():
        return rng.choice(SYNTHETIC_FIRST) + rng.choice(SYNTHETIC_SECOND)

    def children(parent_code, width, digits, suffixes, level, rows):
        seen = set()
        made = []
        number = 0
        while len(made) < width:
            name = stem() + rng.choice(suffixes)
            if name in seen:
                continue
            seen.add(name)
            number += 1
            code = parent_code + f"{number:0{digits}d}"
            rows.append((code, name, parent_code or None, level))
            made.append(code)
        return made

    rows: list[tuple[str, str, str | None, int]] = []
    townships_wanted = max(1, total // 25)
    provinces = max(1, round((townships_wanted / 96) ** 0.25))
    cities = max(1, round((townships_wanted / 96 / provinces) ** 0.5 * 1.5))
    districts = max(1, round(townships_wanted / provinces / cities / 12))
    for p in range(provinces):
        province = f"{90 + p:02d}"
        rows.append((province, f"{stem()}省", None, 1))
        for city in children(province, cities, 2, ("市",), 2, rows):
            for district in children(city, districts, 2, ("区", "县", "县"), 3, rows):
                for township in children(district, 12, 3, ("镇", "镇", "乡", "街道"), 4, rows):
                    children(township, rng.randint(15, 33), 3, ("村", "村", "村", "社区"), 5, rows)
    return rows
