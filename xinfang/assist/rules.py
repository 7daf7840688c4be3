"""Routing rules from the database, and their first draft from what the units say they handle."""

from django.db import transaction

from xinfang.intelligence import routing
from xinfang.org.models import Unit

from .models import RoutingRule


def rules_of(owner: Unit) -> list[routing.Rule]:
    rows = RoutingRule.objects.filter(owner=owner, active=True, target__active=True).select_related(
        "category", "division", "target"
    )
    return [
        routing.Rule(
            target_id=r.target_id,
            target_name=r.target.name,
            category_id=r.category_id,
            category_name=r.category.name if r.category_id else "",
            division_path=r.division.path if r.division_id else "",
            division_name=r.division.name if r.division_id else "",
            division_level=r.division.level if r.division_id else 0,
        )
        for r in rows
    ]


def route_matter(matter, owner: Unit, allowed_ids=None) -> routing.Route:
    return routing.route(
        rules_of(owner),
        matter.division.path,
        matter.category_id,
        matter.category.parent_id,
        allowed_ids=allowed_ids,
    )


@transaction.atomic
def derive_rules(owner: Unit) -> int:
    """Add the rules that follow from the unit tree for a dispatching unit; returns how many were new.

    For the units directly under the owner's government: each department handles its categories
    (属事); each township handles its categories within its own divisions; each lower government's
    petition bureau takes the matters of that government's divisions (属地). Existing rules, and rules
    an administrator switched off, are left as they are."""
    gov = owner.government()
    if gov is None:
        return 0
    wanted = set()
    children = Unit.objects.filter(parent=gov, active=True).exclude(pk=owner.pk)
    for unit in children.prefetch_related("categories", "divisions", "children__divisions"):
        categories = [c.pk for c in unit.categories.all()]
        divisions = [d.pk for d in unit.divisions.all()]
        if unit.kind == Unit.Kind.TOWNSHIP:
            wanted |= {(c, d, unit.pk) for c in categories for d in divisions}
        elif unit.kind == Unit.Kind.GOVERNMENT:
            for bureau in unit.children.all():
                if bureau.kind == Unit.Kind.PETITION_BUREAU and bureau.active:
                    wanted |= {(None, d, bureau.pk) for d in divisions}
        elif not unit.is_territorial:
            wanted |= {(c, None, unit.pk) for c in categories}
    have = set(RoutingRule.objects.filter(owner=owner).values_list("category_id", "division_id", "target_id"))
    new = [
        RoutingRule(owner=owner, category_id=c, division_id=d, target_id=t, note="根据单位职责生成")
        for c, d, t in sorted(wanted - have, key=str)
    ]
    RoutingRule.objects.bulk_create(new)
    return len(new)
