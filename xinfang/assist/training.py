"""Training, versioning and loading of the category and unit models.

History is the deployment's own matters: the category staff finally chose (a corrected suggestion
ends up here) and the unit each dispatching unit sent a matter to. A fifth of the history, chosen by
matter id, is held out and scored; the version keeps those scores, so the list of versions says how
each one did on matters it never saw. With too little history the category model falls back to the
project's own example corpus, and says so.
"""

import threading
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from xinfang.intelligence import classify
from xinfang.intelligence.corpus import default_corpus
from xinfang.org.models import Unit
from xinfang.petitions.models import Category, Matter, MatterEvent

from .models import ModelVersion

Kind = ModelVersion.Kind
HELD_OUT_EVERY = 5  # matter ids ≡ 0 (mod 5) are scored, never trained on


class TrainingError(Exception):
    """Training could not produce a model; the message says why, in Chinese."""


def unit_context(title: str, dispatcher: Unit, division_name: str, category: str) -> str:
    """The unit model reads who is dispatching, where and what, beside the text: the same words
    mean different units at the city and at a district."""
    return f"〔交办单位：{dispatcher.name}〕〔属地：{division_name}〕〔分类：{category}〕{title}"


def category_history(limit):
    rows = Matter.objects.order_by("-id").values_list("id", "title", "content", "category_id")[:limit]
    return [classify.Row(str(pk), title, text, str(cat)) for pk, title, text, cat in rows]


def unit_history(limit):
    events = (
        MatterEvent.objects.filter(action__in=["forward", "assign"])
        .select_related("matter__division", "matter__category", "actor_unit")
        .only(
            "data",
            "actor_unit__name",
            "matter__id",
            "matter__title",
            "matter__content",
            "matter__division__name",
            "matter__category__name",
        )
        .order_by("-id")[:limit]
    )
    unit_ids = dict(Unit.objects.values_list("name", "id"))
    rows = []
    for e in events:
        target = unit_ids.get((e.data or {}).get("unit"))
        if target is None:
            continue  # a unit renamed since: its old name no longer identifies it
        m = e.matter
        title = unit_context(m.title, e.actor_unit, m.division.name, m.category.name)
        rows.append(classify.Row(str(m.id), title, m.content, str(target)))
    return rows


def corpus_rows():
    """The project's example corpus, labelled with this deployment's category ids by name."""
    ids = {}
    for pk, name in Category.objects.filter(parent__isnull=False, active=True).values_list("id", "name"):
        ids.setdefault(name, pk)
    rows = []
    for i, (title, text, leaf) in enumerate(default_corpus()):
        if leaf in ids:
            rows.append(classify.Row(f"c{i}", title, text, str(ids[leaf])))
    return rows


def split(rows, corpus: bool):
    """Held-out rows by matter id (every fifth filling of the corpus), the rest to train on."""

    def held(i, row):
        key = i if corpus else int(row.id)
        return key % HELD_OUT_EVERY == 0

    test = [r for i, r in enumerate(rows) if held(i, r)]
    train = [r for i, r in enumerate(rows) if not held(i, r)]
    return train, test


def train(kind: str, *, by: str = "", use_corpus: bool = False) -> ModelVersion:
    """Train a new version of `kind` and make it active."""
    limit = settings.XINFANG_MODEL_MAX_DOCS
    corpus = False
    if kind == Kind.CATEGORY:
        rows = [] if use_corpus else category_history(limit)
        if len({r.label for r in rows}) < 2 or len(rows) < settings.XINFANG_MODEL_MIN_HISTORY:
            rows, corpus = corpus_rows(), True
    elif kind == Kind.UNIT:
        rows = unit_history(limit)
        if len({r.label for r in rows}) < 2 or len(rows) < settings.XINFANG_MODEL_MIN_HISTORY:
            raise TrainingError(
                f"本地交办记录只有{len(rows)}条，少于{settings.XINFANG_MODEL_MIN_HISTORY}条，"
                "暂不训练承办单位模型（分办仍按规则建议）。"
            )
    else:
        raise TrainingError(f"未知的模型类型：{kind}")
    if not rows:
        raise TrainingError("没有可用于训练的样本：请先导入内容分类。")
    train_rows, test_rows = split(rows, corpus)
    if corpus:  # the same examples give the same model: fit them once per process
        key = tuple((r.id, r.title, r.text, r.label) for r in rows)
        if key not in _corpus_fits:
            _corpus_fits.clear()
            _corpus_fits[key] = _fit(train_rows, test_rows)
        model, scores = _corpus_fits[key]
    else:
        model, scores = _fit(train_rows, test_rows)
    with transaction.atomic():
        last = ModelVersion.objects.select_for_update().filter(kind=kind).aggregate(n=Max("number"))["n"]
        ModelVersion.objects.filter(kind=kind, active=True).update(active=False)
        return ModelVersion.objects.create(
            kind=kind,
            number=(last or 0) + 1,
            source=ModelVersion.Source.DEFAULT if corpus else ModelVersion.Source.HISTORY,
            active=True,
            trained_by=by,
            train_count=len(train_rows),
            test_count=len(test_rows),
            label_count=len(model.labels),
            macro_f1=scores.get("macro_f1"),
            accuracy=scores.get("accuracy"),
            ms_per_doc=scores.get("ms_per_doc"),
            report=scores.get("per_label", {}),
            weights=model.to_bytes(),
        )


def _fit(train_rows, test_rows):
    model = classify.TextClassifier().fit(
        [r.title for r in train_rows], [r.text for r in train_rows], [r.label for r in train_rows]
    )
    return model, (classify.score(model, test_rows) if test_rows else {})


_corpus_fits: dict = {}  # {the corpus rows: (model, scores)}, one entry


@transaction.atomic
def activate(version: ModelVersion) -> ModelVersion:
    """Make `version` the one in use (rolling back is activating an older version)."""
    ModelVersion.objects.filter(kind=version.kind, active=True).exclude(pk=version.pk).update(active=False)
    ModelVersion.objects.filter(pk=version.pk).update(active=True)
    version.active = True
    return version


def rollback(kind: str) -> ModelVersion:
    """Activate the version before the active one."""
    current = ModelVersion.objects.filter(kind=kind, active=True).first()
    older = ModelVersion.objects.filter(kind=kind)
    if current is not None:
        older = older.filter(number__lt=current.number)
    previous = older.order_by("-number").first()
    if previous is None:
        raise TrainingError("没有更早的版本可以回退。")
    return activate(previous)


# ---------------------------------------------------------------- the model in use, per process

_loaded: dict = {}  # kind -> (version id, ModelVersion without weights, TextClassifier)
_checked: dict = {}  # kind -> monotonic time of the last look at which version is active
_lock = threading.Lock()
RECHECK_SECONDS = 30


def active_model(kind: str):
    """(ModelVersion, TextClassifier) in use for `kind`, or (None, None). The active version id is
    looked up at most every 30 s; weights are read only when it changes."""
    now = time.monotonic()
    with _lock:
        cached = _loaded.get(kind)
        if cached is not None and now - _checked.get(kind, 0) < RECHECK_SECONDS:
            return cached[1], cached[2]
        _checked[kind] = now
        active_id = ModelVersion.objects.filter(kind=kind, active=True).values_list("id", flat=True).first()
        if active_id is None:
            _loaded.pop(kind, None)
            return None, None
        if cached is None or cached[0] != active_id:
            version = ModelVersion.objects.get(pk=active_id)
            model = classify.TextClassifier.from_bytes(bytes(version.weights))
            version.weights = b""
            cached = _loaded[kind] = (active_id, version, model)
        return cached[1], cached[2]


def forget_loaded():
    """Drop the per-process cache (tests, and after a rollback in this process)."""
    with _lock:
        _loaded.clear()
        _checked.clear()
