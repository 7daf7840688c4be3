"""Row scoping: which matters a staff user may see (DESIGN §2, issue 2).

- Territorial units (党委政府, 信访部门, 乡镇街道) see matters whose division lies in the divisions
  they cover (属地).
- Every unit sees matters that were ever dispatched to it or to one of its sub-units (属事).
- A 检举控告 matter is never visible to the unit it accuses (or its sub-units), nor to a user whose
  name is the person it accuses.
- Analysts (aggregates only) and administrators (configuration only) see no individual matter.
"""

from django.db.models import Exists, OuterRef, Q

from xinfang.org.models import Division

from .choices import Nature


def unit_ancestor_ids(unit):
    return [int(x) for x in unit.path.strip("/").split("/") if x]


def scope_filter(queryset, user):
    if not getattr(user, "is_authenticated", False) or not user.does_casework:
        return queryset.none()
    unit = user.unit
    from .models import MatterUnit

    # The cheap column tests first, the EXISTS over the unit links last: both databases evaluate an
    # OR in this order, and PostgreSQL otherwise hashes all of a unit's links on every list.
    visible = Q(pk__in=[])
    if unit.is_territorial:
        for path in territory_paths(unit):
            visible |= Q(division__path__startswith=path)
        visible |= Q(holder_unit__path__startswith=unit.path)
    visible |= Q(Exists(MatterUnit.objects.filter(matter=OuterRef("pk"), unit_path__startswith=unit.path)))
    accused_here = Q(nature=Nature.ACCUSATION) & (
        Q(complained_unit_id__in=unit_ancestor_ids(unit))
        | (Q(complained_person=user.full_name) & ~Q(complained_person=""))
    )
    return queryset.filter(visible).exclude(accused_here)


def is_accused(matter, unit=None, user=None) -> bool:
    """Whether `unit` (or `user`) is the accused side of a 检举控告 matter."""
    if matter.nature != Nature.ACCUSATION:
        return False
    if user is not None and unit is None:
        unit = user.unit
    if unit is not None and matter.complained_unit_id and unit.is_within(matter.complained_unit):
        return True
    return bool(user is not None and matter.complained_person and user.full_name == matter.complained_person)


def can_see(user, matter) -> bool:
    """The same rules as scope_filter, for one matter already in memory (used on every write)."""
    from .models import MatterUnit

    if not getattr(user, "is_authenticated", False) or not user.does_casework:
        return False
    unit = user.unit
    if is_accused(matter, unit=unit, user=user):
        return False
    if unit.is_territorial:
        division_path = matter.division.path
        if any(division_path.startswith(p) for p in territory_paths(unit)):
            return True
    return MatterUnit.objects.filter(matter=matter, unit_path__startswith=unit.path).exists()


def territory_paths(unit):
    """Division paths a territorial unit covers, cached on the unit instance."""
    if not hasattr(unit, "_territory_paths"):
        unit._territory_paths = list(Division.objects.filter(units=unit).values_list("path", flat=True))
    return unit._territory_paths
