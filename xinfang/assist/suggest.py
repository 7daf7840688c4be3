"""Suggestions for the registration and dispatch pages: category, handling unit, place, urgency."""

from dataclasses import dataclass, field

from xinfang.org.models import Unit
from xinfang.petitions.models import Category

from . import training
from .models import ModelVersion
from .rules import route_matter


@dataclass
class CategorySuggestion:
    category: Category
    confidence: float
    words: list[str]


@dataclass
class CategoryAdvice:
    version: ModelVersion | None
    items: list[CategorySuggestion] = field(default_factory=list)
    top_level: list[tuple[Category, float]] = field(default_factory=list)  # first level, summed


def suggest_category(title: str, text: str, top: int = 3) -> CategoryAdvice:
    version, model = training.active_model(ModelVersion.Kind.CATEGORY)
    if model is None or not (title.strip() or text.strip()):
        return CategoryAdvice(version)
    proba = model.proba(title, text)
    categories = Category.objects.filter(pk__in=[int(label) for label in proba], active=True).select_related(
        "parent"
    )
    by_id = {str(c.pk): c for c in categories}
    words = {s.label: s.words for s in model.suggest(title, text, top=top)}
    ranked = sorted(((p, label) for label, p in proba.items() if label in by_id), reverse=True)
    items = [CategorySuggestion(by_id[label], p, words.get(label, [])) for p, label in ranked[:top]]
    summed = {}
    for p, label in ranked:
        parent = by_id[label].top
        summed[parent] = summed.get(parent, 0.0) + p
    top_level = sorted(summed.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return CategoryAdvice(version, items, top_level)


@dataclass
class UnitSuggestion:
    unit: Unit
    confidence: float
    reason: str
    words: list[str] = field(default_factory=list)
    by_rule: bool = False


@dataclass
class UnitAdvice:
    rule_reason: str
    certain: bool
    items: list[UnitSuggestion]
    version: ModelVersion | None = None


def suggest_unit(matter, dispatcher: Unit, allowed_ids: set[int], top: int = 3) -> UnitAdvice:
    """Rules first: a certain rule is the suggestion. Otherwise the learned model's units among those
    the dispatcher may choose, with the rules' tied candidates ahead of the rest."""
    route = route_matter(matter, dispatcher, allowed_ids)
    units = Unit.objects.in_bulk([r.target_id for r in route.candidates])
    items = []
    if route.certain:
        unit = units[route.target_id]
        items.append(UnitSuggestion(unit, 1.0, route.reason, by_rule=True))
        return UnitAdvice(route.reason, True, items)
    tied = {r.target_id for r in route.candidates}
    version, model = training.active_model(ModelVersion.Kind.UNIT)
    if model is not None:
        title = training.unit_context(matter.title, dispatcher, matter.division.name, matter.category.name)
        proba = model.proba(title, matter.content)
        words = {s.label: s.words for s in model.suggest(title, matter.content, top=top)}
        # A unit the tied rules name goes ahead of one they do not.
        ranked = sorted(
            ((int(label) in tied, p, label) for label, p in proba.items() if int(label) in allowed_ids),
            reverse=True,
        )[:top]
        found = Unit.objects.in_bulk([int(label) for _, _, label in ranked])
        for in_rules, p, label in ranked:
            if int(label) in found:
                reason = "历史上相似事项交由该单位办理" + ("，且符合分办规则" if in_rules else "")
                items.append(UnitSuggestion(found[int(label)], p, reason, words.get(label, [])))
    if not items:
        items = [UnitSuggestion(units[uid], 0.0, "分办规则候选") for uid in tied if uid in units]
    return UnitAdvice(route.reason, False, items, version)
