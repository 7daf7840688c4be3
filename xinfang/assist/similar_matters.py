"""Similar and repeat matters: the process's similar-matter index over every matter, and the
ranking of its hits (with petitioner, place and complained-about unit) for the pages.

The worker builds the index and publishes it every night (xinfang.core.published: a version in the
"similar" storage, with the last matter id it holds). Each process loads the current version (and a
newer one when it is published) and catches up from the database by matter id before every search,
so a matter registered a moment ago is found. A web process builds the index itself only when none
has been published, the database is small and it may (XINFANG_WEB_BUILDS: one machine); with several
servers only the worker builds it. Only matters the user may see are shown: the index finds,
scoping decides.
"""

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xinfang.core import clock
from xinfang.core.published import Published
from xinfang.intelligence import collective, similar
from xinfang.org.models import Division
from xinfang.petitions.models import (
    CODE_RANDOM_LENGTH,
    Matter,
    Petitioner,
    normalize_tracking_code,
    same_petitioner,
)
from xinfang.petitions.services import TransitionError, is_final, perform
from xinfang.petitions.services import link_repeat as link_repeat_service

CATCH_UP_CHUNK = 5000
CANDIDATES = 30  # index hits read from the database before ranking
SHOWN = 10
STORE = Published("similar")


def _chunks(after=0):
    """Lists of (id, title, text) of the matters after `after`, in id order."""
    last = after
    while chunk := list(
        Matter.objects.filter(pk__gt=last)
        .order_by("pk")
        .values_list("pk", "title", "content")[:CATCH_UP_CHUNK]
    ):
        yield chunk
        last = chunk[-1][0]


class IndexNotReady(Exception):
    """No snapshot yet and too many matters to index while a page waits: the worker builds it."""


class MatterIndex:
    def __init__(self):
        self.lock = threading.Lock()
        self.index = None
        self.max_id = 0
        self.version = None  # the published version the index was loaded from

    def _load_or_build(self, may_build_large):
        pointer = STORE.pointer()
        if pointer is not None:
            self.index = similar.SimilarIndex.load(STORE.folder(pointer))
            self.max_id, self.version = pointer["max_id"], pointer["generation"]
            return
        if not may_build_large:
            if not settings.XINFANG_WEB_BUILDS:
                raise IndexNotReady("相似事项索引正在由后台任务建立，完成后即可显示相似事项。")
            if Matter.objects.all()[settings.XINFANG_SIMILAR_INLINE_BUILD :].exists():
                raise IndexNotReady("相似事项索引正在由后台任务建立，完成后即可显示相似事项。")
        self.index = similar.build(row for chunk in _chunks() for row in chunk)
        self.max_id = int(self.index.ids().max()) if len(self.index) else 0
        self.version = None

    def _newer_published(self) -> bool:
        pointer = STORE.pointer()
        return pointer is not None and pointer["generation"] != self.version

    def catch_up(self, *, may_build_large=False):
        """The index, with the matters registered since it was last brought up to date (from a
        newer published version first, when there is one). Pages may not index a large database
        themselves (`may_build_large`: the worker and the command)."""
        with self.lock:
            if self.index is None or (not may_build_large and self._newer_published()):
                self._load_or_build(may_build_large)
            for chunk in _chunks(self.max_id):
                vectors = self.index.embedder.embed_batch([(title, text) for _, title, text in chunk])
                self.index.add([pk for pk, _, _ in chunk], vectors)
                self.max_id = chunk[-1][0]
            return self.index

    def save(self):
        """Publish the index as it is now (built or brought up to date first)."""
        index = self.catch_up(may_build_large=True)
        with self.lock, STORE.staging() as folder:
            generation = index.save(folder)
            self.version = STORE.publish(generation, {"max_id": self.max_id})

    def reset(self):
        with self.lock:
            self.index, self.max_id, self.version = None, 0, None


INDEX = MatterIndex()


def save_snapshot():
    INDEX.save()


def snapshot_missing() -> bool:
    return STORE.pointer() is None


def rebuild():
    """Throw the published index away and index every matter again from the database."""
    STORE.remove()
    INDEX.reset()
    INDEX.save()
    return INDEX.max_id


@dataclass
class SimilarMatter:
    matter: Matter
    score: float
    similarity: float
    reasons: list[str] = field(default_factory=list)
    final: bool = False  # re-review completed: a new filing of the same matter is 不再受理

    @property
    def other_reasons(self) -> list[str]:
        """The reasons besides the text similarity (shown in a column of its own)."""
        return [r for r in self.reasons if not r.startswith("内容相似度")]

    @property
    def mergeable(self) -> bool:
        return self.similarity >= MERGE_MIN_SIMILARITY


def _petitioner_keys(matter_ids):
    keys = {}
    for mid, idh, telh in Petitioner.objects.filter(matter_id__in=matter_ids).values_list(
        "matter_id", "id_number_hash", "phone_hash"
    ):
        found = keys.setdefault(mid, set())
        if idh:
            found.add(("id_number_hash", idh))
        if telh:
            found.add(("phone_hash", telh))
    return keys


def _keys(matter, petitioner_keys) -> similar.MatterKeys:
    return similar.MatterKeys(
        frozenset(petitioner_keys),
        matter.division.code if matter.division_id else None,
        frozenset([matter.complained_unit_id] if matter.complained_unit_id else []),
    )


def _rank(title, text, user, query_keys: similar.MatterKeys, *, exclude_id=None, before=None):
    index = INDEX.catch_up()
    vector = index.embedder.embed(title, text)
    hits = [pk for pk, _ in index.search(vector, CANDIDATES, exclude_ids=[exclude_id] if exclude_id else ())]
    by_person = []
    if query_keys.petitioner_keys:
        same_person = same_petitioner(query_keys.petitioner_keys, prefix="petitioners__")
        by_person = list(
            Matter.objects.filter(same_person)
            .exclude(pk=exclude_id)
            .values_list("pk", flat=True)[:CANDIDATES]
        )
    visible = Matter.objects.visible_to(user).filter(pk__in=set(hits) | set(by_person))
    if before is not None:
        visible = visible.filter(received_at__lte=before)
    matters = {m.pk: m for m in visible.select_related("division", "complained_unit", "category")}
    if not matters:
        return []
    ids = list(matters)
    # The exact TF-IDF cosine of the few candidates: the figure people see, without projection noise.
    sims = index.embedder.similarity((title, text), [(matters[i].title, matters[i].content) for i in ids])
    petitioners = _petitioner_keys(ids)
    candidates = [
        (i, float(s), _keys(matters[i], petitioners.get(i, ()))) for i, s in zip(ids, sims, strict=True)
    ]
    return [
        SimilarMatter(matters[r.id], r.score, r.similarity, list(r.reasons), is_final(matters[r.id]))
        for r in similar.rank_similar(query_keys, candidates, k=SHOWN)
    ]


def for_text(title, text, user, *, petitioner_keys=frozenset(), division=None, complained_unit=None):
    """Earlier matters like a petition being registered."""
    keys = similar.MatterKeys(
        frozenset(petitioner_keys),
        division.code if division is not None else None,
        frozenset([complained_unit.pk] if complained_unit is not None else []),
    )
    return _rank(title, text, user, keys)


def for_matter(matter, user):
    """Matters received before this one that are like it (its possible originals)."""
    keys = _keys(matter, _petitioner_keys([matter.pk]).get(matter.pk, ()))
    return _rank(matter.title, matter.content, user, keys, exclude_id=matter.pk, before=matter.received_at)


class LinkError(Exception):
    pass


# 合并（本件不予受理） closes a matter: it is offered, and accepted, only when the two texts read as the
# same matter (exact TF-IDF cosine of title and text, the 「内容相似度」 shown beside each row).
MERGE_MIN_SIMILARITY = 0.5
MERGE_NOTE = "该事项与本机关已收到的同一信访事项相同，已并入该事项一并办理，本件不再重复受理（《信访工作条例》第十九条）"


def text_similarity(matter, original) -> float:
    embedder = INDEX.catch_up().embedder
    return float(embedder.similarity((matter.title, matter.content), [(original.title, original.content)])[0])


def codes_in(text: str) -> set[str]:
    """The 查询码 written anywhere in a text (with or without separators, any case)."""
    chars = "".join(c for c in (text or "").upper() if c.isalnum())
    size = CODE_RANDOM_LENGTH + 1
    return {
        code for i in range(len(chars) - size + 1) if (code := normalize_tracking_code(chars[i : i + size]))
    }


def merge_reason_problem(matter, reason: str) -> str | None:
    """Why a merge reason cannot be sent to the petitioner, or None. The reason is the refusal's
    reason the petitioner reads: it may not carry another matter's 查询码."""
    if not reason.strip():
        return "请填写合并的理由，它将写入不予受理告知书。"
    if codes_in(reason) - {matter.code}:
        return "理由中不能写其他事项的查询码：告知书由本件信访人阅读，不能向其透露他人的查询码。"
    return None


def link_repeat(matter, original, user, *, merge=False, reason="", confirmed=False):
    """Link as a repeat; with `merge`, also 不予受理 the repeat so the original carries the matter.
    A merge needs the registrar's confirmation, a reason for the petitioner and texts that read as
    the same matter; the refusal never names the original (its 查询码 belongs to its petitioner)."""
    if merge:
        if not confirmed:
            raise LinkError("合并将使本件不予受理，请勾选确认后再提交。")
        if problem := merge_reason_problem(matter, reason):
            raise LinkError(problem)
        similarity = text_similarity(matter, original)
        if similarity < MERGE_MIN_SIMILARITY:
            raise LinkError(
                f"两件内容相似度为{similarity:.0%}，低于合并所需的{MERGE_MIN_SIMILARITY:.0%}，"
                "不能合并；如确属同一事项，请标记为重复信访后按程序办理。"
            )
    try:
        with transaction.atomic():
            link_repeat_service(matter.pk, user, original)
            if merge:
                perform(
                    matter.pk, user, "not_accept", note=f"{reason.strip().rstrip('。；;')}。{MERGE_NOTE}。"
                )
    except TransitionError as exc:
        raise LinkError(str(exc)) from exc


COLLECTIVE_MIN_COUNT = 5
HINT_SIMILARITY = 0.6  # exact cosine: filings that read as the same matter
TOWNSHIP_DIGITS = 9  # division codes compared to the township (乡镇/街道) level


def collective_hint(found, division):
    """A warning for the registration panel: recent similar filings from the same township."""
    if division is None:
        return None
    since = clock.now() - timedelta(days=7)
    near = [
        s
        for s in found
        if s.similarity >= HINT_SIMILARITY
        and s.matter.received_at >= since
        and s.matter.division.code[:TOWNSHIP_DIGITS] == division.code[:TOWNSHIP_DIGITS]
    ]
    if len(near) + 1 < COLLECTIVE_MIN_COUNT:
        return None
    return f"近7天同一乡镇（街道）已有{len(near)}件内容相似的事项，可能是集体信访，请核实并按集体访登记。"


def collective_groups(user, days=7, limit=5000):
    """Suspected collective petitions among the matters of the last `days` days the user may see."""
    since = clock.now() - timedelta(days=days)
    matters = list(
        Matter.objects.visible_to(user)
        .filter(received_at__gte=since)
        .select_related("division")
        .order_by("-received_at")[:limit]
    )
    if not matters:
        return []
    embedder = INDEX.catch_up().embedder
    vectors = embedder.embed_batch([(m.title, m.content) for m in matters])
    petitioners = _petitioner_keys([m.pk for m in matters])
    filings = [
        collective.Filing(
            m.pk,
            timezone.localdate(m.received_at),
            m.division.code,
            v,
            min(petitioners[m.pk])[1] if petitioners.get(m.pk) else None,
        )
        for m, v in zip(matters, vectors, strict=True)
    ]
    names = {m.division.code[:TOWNSHIP_DIGITS]: m.division.name for m in matters}
    # The township itself, coded with 9 digits or padded to 12, names the place better than a village.
    padded = {p + "000": p for p in names}
    for code, name in Division.objects.filter(code__in=[*names, *padded]).values_list("code", "name"):
        names[padded.get(code, code)] = name
    by_id = {m.pk: m for m in matters}
    groups = collective.find_collective(
        filings,
        window_days=days,
        min_count=COLLECTIVE_MIN_COUNT,
        place_digits=TOWNSHIP_DIGITS,
        place_names=names,
    )
    return [(g, [by_id[i] for i in g.ids]) for g in groups]
