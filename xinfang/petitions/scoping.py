"""Row scoping: which matters a staff user may see. The rule is written once, as a query
(`scope_q`); the check of one matter (`can_see`) asks the database the same question.

- Territorial units (党委政府, 信访部门, 乡镇街道) see matters whose division lies in the divisions
  they cover, and matters held by them or their sub-units (属地).
- Every unit sees matters it, or one of its sub-units, was ever given (MatterUnit, 属事).
- A 检举控告 (art. 30, 46) is hidden: before its named parties are resolved (screening.py) from
  everyone but its screening unit; afterwards from each accused unit and its sub-units, and from
  each accused person and the colleagues of their own unit (its head included).
- Analysts (aggregates only), administrators (configuration only) and auditors see no matter.
"""

from django.db.models import Exists, OuterRef, Q

from xinfang.org.models import Division

from .choices import Nature


def unit_ancestor_ids(unit):
    return [int(x) for x in unit.path.strip("/").split("/") if x]


def hidden_q(unit, user=None) -> Q:
    """Accusations that `unit` (and `user`, when given) must not see."""
    from .models import AccusedParty

    ancestors = unit_ancestor_ids(unit)
    parties = AccusedParty.objects.filter(matter=OuterRef("pk"))
    named = Q(Exists(parties.filter(user__isnull=True, unit_id__in=ancestors))) | Q(
        Exists(parties.filter(user__isnull=False, unit_id=unit.pk))
    )
    if user is not None:
        named |= Q(Exists(AccusedParty.objects.filter(matter=OuterRef("pk"), user=user)))
    unscreened = Q(screened_at__isnull=True) & ~Q(screening_unit_id__in=ancestors)
    return Q(nature=Nature.ACCUSATION) & (unscreened | named)


def scope_q(user) -> Q | None:
    """The matters `user` may see, or None for a user who sees none."""
    if not getattr(user, "is_authenticated", False) or not user.does_casework:
        return None
    from .models import MatterUnit

    unit = user.unit
    # The cheap column tests first, the EXISTS over the unit links last: both databases evaluate an
    # OR in this order, and PostgreSQL otherwise hashes all of a unit's links on every list.
    visible = Q(pk__in=[])
    if unit.is_territorial:
        for path in territory_paths(unit):
            visible |= Q(division__path__startswith=path)
        visible |= Q(holder_unit__path__startswith=unit.path)
    visible |= Q(Exists(MatterUnit.objects.filter(matter=OuterRef("pk"), unit_path__startswith=unit.path)))
    return visible & ~hidden_q(unit, user)


def scope_filter(queryset, user):
    q = scope_q(user)
    return queryset.none() if q is None else queryset.filter(q)


def can_see(user, matter) -> bool:
    """Whether `user` may see `matter`: the same query as lists use, for one row."""
    from .models import Matter

    return Matter.objects.filter(pk=matter.pk).visible_to(user).exists()


def hidden_from(matter, unit) -> bool:
    """Whether a 检举控告 must be kept from `unit` (as a dispatch target, an addressee of a
    督办 or a notice): the same rule as `hidden_q`, for one matter."""
    if matter.nature != Nature.ACCUSATION:
        return False
    if matter.pk is None:  # being registered: not screened yet
        return not (matter.screening_unit and unit.is_within(matter.screening_unit))
    return type(matter).objects.filter(pk=matter.pk).filter(hidden_q(unit)).exists()


def hidden_from_user(matter, user) -> bool:
    if matter.nature != Nature.ACCUSATION:
        return False
    return type(matter).objects.filter(pk=matter.pk).filter(hidden_q(user.unit, user)).exists()


def party_covers(party, unit) -> bool:
    """Whether an AccusedParty keeps the matter from `unit`: a named unit covers itself and its
    sub-units, a named person their own unit (not the units below it)."""
    return unit.pk == party.unit_id if party.user_id else unit.is_within(party.unit)


def territory_paths(unit):
    """Division paths a territorial unit covers, cached on the unit instance."""
    if not hasattr(unit, "_territory_paths"):
        unit._territory_paths = list(Division.objects.filter(units=unit).values_list("path", flat=True))
    return unit._territory_paths
