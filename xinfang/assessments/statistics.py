"""Statistics of the assessments a user may count: by decision type and risk level, decisions taken
against the recommendation, and the petitions and disputes linked to assessed decisions afterwards.
Assessments are few (hundreds a year in a city): plain queries."""

from dataclasses import dataclass

from django.db.models import Count, Q

from xinfang.cases.registry import all_types
from xinfang.cases.scoping import territory_paths

from .choices import DecisionType, RiskLevel
from .models import Assessment, CaseReference


def counted_by(user):
    """Casework staff count what they may see; analysts the assessments in their unit's territory."""
    if user.does_casework:
        return Assessment.objects.visible_to(user)
    q = Q(pk__in=[])
    for path in territory_paths(user.unit):
        q |= Q(division__path__startswith=path)
    return Assessment.objects.filter(q)


@dataclass
class Table:
    rows: list  # [(label, [count per level], total)]
    levels: list  # level labels, then "未定级"
    totals: list


def by_type_and_level(assessments) -> Table:
    counts = {
        (row["decision_type"], row["risk_level"]): row["n"]
        for row in assessments.values("decision_type", "risk_level").annotate(n=Count("pk")).order_by()
    }
    levels = [*RiskLevel.values, ""]
    rows = []
    for t in DecisionType:
        cells = [counts.get((t.value, level), 0) for level in levels]
        if sum(cells):
            rows.append((t.label, cells, sum(cells)))
    totals = [sum(r[1][i] for r in rows) for i in range(len(levels))]
    return Table(rows, [*RiskLevel.labels, "未定级"], [*totals, sum(totals)])


def against_recommendation(assessments):
    return (
        assessments.filter(against_recommendation=True)
        .select_related("deciding_organ")
        .order_by("-decided_on")
    )


def linked_afterwards(assessments) -> list[tuple[str, int]]:
    """(case type label, how many) of the cases linked to these assessments after the decision."""
    counts = dict(
        CaseReference.objects.filter(assessment__in=assessments.values("pk"))
        .values_list("case_type")
        .annotate(n=Count("pk"))
        .order_by()
    )
    labels = {t.key: t.label for t in all_types()}
    return [(labels.get(key, key), n) for key, n in sorted(counts.items())]
