"""Routing rules: which unit a dispatching unit sends a matter to.

A rule names a category (属事: the department that handles that kind of matter), a division (属地: the
township or district responsible for the place), or both (a kind of matter that the place itself
handles). The most specific matching rule decides; two equally specific rules with different targets
are a tie, which is reported rather than broken, and the learned suggestion then leads.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    target_id: int
    target_name: str
    category_id: int | None = None  # a second-level category, or a first-level one for all its items
    category_name: str = ""
    division_path: str = ""  # materialised path of the division subtree ("/99/9901/990102/"), or ""
    division_name: str = ""
    division_level: int = 0

    @property
    def kind(self) -> str:
        return "属事" if self.category_id is not None else "属地"

    def describe(self) -> str:
        parts = []
        if self.division_path:
            parts.append(self.division_name)
        if self.category_id is not None:
            parts.append(f"“{self.category_name}”类事项")
        return f"{self.kind}规则：{''.join(parts)}由「{self.target_name}」办理"


@dataclass
class Route:
    target_id: int | None  # set only when the rules are certain
    candidates: list[Rule] = field(default_factory=list)  # the most specific matching rules
    reason: str = ""

    @property
    def certain(self) -> bool:
        return self.target_id is not None


def specificity(rule: Rule, category_id: int) -> tuple[int, int]:
    """A category named exactly beats its first level, which beats none; then the deeper division."""
    if rule.category_id is None:
        category_rank = 0
    else:
        category_rank = 2 if rule.category_id == category_id else 1
    return (category_rank, rule.division_level if rule.division_path else 0)


def matches(rule: Rule, division_path: str, category_id: int, category_parent_id: int | None) -> bool:
    if rule.category_id is not None and rule.category_id not in (category_id, category_parent_id):
        return False
    return not rule.division_path or division_path.startswith(rule.division_path)


def route(
    rules, division_path: str, category_id: int, category_parent_id: int | None, allowed_ids=None
) -> Route:
    """The unit the rules send a matter to, or the tied candidates when they do not decide.

    `allowed_ids`, when given, are the units that may receive this matter: the accused unit of a
    检举控告 is not among them, and a rule pointing there does not count."""
    found = [
        r
        for r in rules
        if (allowed_ids is None or r.target_id in allowed_ids)
        and matches(r, division_path, category_id, category_parent_id)
    ]
    if not found:
        return Route(None, [], "没有适用的分办规则")
    found.sort(key=lambda r: specificity(r, category_id), reverse=True)
    best = specificity(found[0], category_id)
    top = [r for r in found if specificity(r, category_id) == best]
    targets = {r.target_id for r in top}
    if len(targets) == 1:
        return Route(top[0].target_id, top, top[0].describe())
    names = "、".join(dict.fromkeys(r.target_name for r in top))
    return Route(None, top, f"规则同样适用于{names}，需要人工选择")
