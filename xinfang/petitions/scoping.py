"""Which matters a staff user may see: the kernel's rule (xinfang/cases/scoping.py) plus the
confidentiality of 检举控告 (art. 30, 46), which is the matter type's `hidden_q`.

An accusation is hidden: before its named parties are resolved (screening.py) from everyone but its
screening unit; afterwards from each named unit and its sub-units, and from each named person and the
colleagues of their own unit (its head included).
"""

from django.db.models import Exists, OuterRef, Q

from xinfang.cases.scoping import can_see, scope_filter, scope_q, territory_paths

from .choices import Nature

__all__ = [
    "can_see",
    "hidden_from",
    "hidden_from_user",
    "hidden_q",
    "party_covers",
    "scope_filter",
    "scope_q",
]
__all__ += ["territory_paths", "unit_ancestor_ids"]


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
        named |= Q(Exists(parties.filter(user=user)))
    unscreened = Q(screened_at__isnull=True) & ~Q(screening_unit_id__in=ancestors)
    return Q(nature=Nature.ACCUSATION) & (unscreened | named)


def party_covers(party, unit) -> bool:
    """Whether an AccusedParty keeps the matter from `unit`: a named unit covers itself and its
    sub-units, a named person their own unit (not the units below it)."""
    return unit.pk == party.unit_id if party.user_id else unit.is_within(party.unit)


def hidden_from(matter, unit, parties=None) -> bool:
    """`hidden_q` for one matter in memory and a unit (a dispatch target, the addressee of a 督办
    or a notice). `parties`: its AccusedParty rows, read from the database when not given.
    tests/test_accusations.py checks that both forms agree."""
    if matter.nature != Nature.ACCUSATION:
        return False
    if matter.screened_at is None:
        return not (matter.screening_unit_id and unit.is_within(matter.screening_unit))
    if parties is None:
        parties = list(matter.accused_parties.all()) if matter.pk else []
    return any(party_covers(p, unit) for p in parties)


def hidden_from_user(matter, user) -> bool:
    if matter.nature != Nature.ACCUSATION:
        return False
    parties = list(matter.accused_parties.all())
    return hidden_from(matter, user.unit, parties) or any(p.user_id == user.pk for p in parties)
