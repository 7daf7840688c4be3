"""Row scoping: which cases a staff user may see. The rule is written once, as a query (`scope_q`);
the check of one case (`can_see`) asks the database the same question.

- Territorial units (党委政府, 信访部门, 乡镇街道) see cases located in the divisions they cover, and
  cases held by them or their sub-units (属地).
- Every unit sees cases it, or one of its sub-units, was ever given (the type's link rows, 属事).
- A case type may hide some cases from some units and users although the rule above shows them
  (accusations from the accused): its `hidden_q`.
- Analysts (aggregates only), administrators (configuration only) and auditors see no case.
"""

from django.db.models import Exists, OuterRef, Q

from xinfang.org.models import Division


def scope_q(case_model, user) -> Q | None:
    """The cases of `case_model` that `user` may see, or None for a user who sees none."""
    if not getattr(user, "is_authenticated", False) or not user.does_casework:
        return None
    from .registry import of

    case_type = of(case_model)
    unit = user.unit
    # The cheap column tests first, the EXISTS over the links last: both databases evaluate an OR
    # in this order, and PostgreSQL otherwise hashes all of a unit's links on every list.
    visible = Q(pk__in=[])
    if unit.is_territorial:
        for path in territory_paths(unit):
            visible |= Q(division__path__startswith=path)
        visible |= Q(holder_unit__path__startswith=unit.path)
    links = case_type.link_model.objects.filter(
        **{case_type.case_field: OuterRef("pk"), "unit_path__startswith": unit.path}
    )
    visible |= Q(Exists(links))
    if case_type.hidden_q is not None:
        visible &= ~case_type.hidden_q(unit, user)
    return visible


def scope_filter(queryset, user):
    q = scope_q(queryset.model, user)
    return queryset.none() if q is None else queryset.filter(q)


def can_see(user, case) -> bool:
    """Whether `user` may see `case`: the same query as lists use, for one row."""
    return scope_filter(type(case).objects.filter(pk=case.pk), user).exists()


def scope_keys(user) -> list[str] | None:
    """The rule as keys a search index can hold (petitions/migrations/0019): a case carries
    ``_d<code>`` for its division and every division above it, ``_h<id>`` for its holder unit and
    every unit above, ``_u<id>`` for every unit it was given to and every unit above; a case the user
    may see carries one of the user's keys. Only a way to ask an index for fewer candidates: the rule
    (`scope_q`) still decides, and `hidden_q` is not in the keys. None: the keys would not narrow
    (a territorial unit whose divisions, with those above them, are all the divisions)."""
    unit = getattr(user, "unit", None)
    if unit is None:
        return None
    keys = [f"_u{unit.pk}"]
    if unit.is_territorial:
        paths = territory_paths(unit)
        inside = Q(pk__in=[])
        for path in paths:
            inside |= Q(path__startswith=path)
        above = {path[: i + 1] for path in paths for i, ch in enumerate(path) if ch == "/"}
        if not Division.objects.exclude(inside).exclude(path__in=above).exists():
            return None
        keys += [f"_d{path.strip('/').rsplit('/', 1)[-1]}" for path in paths] + [f"_h{unit.pk}"]
    return keys


def case_keys(division_path: str, holder_path: str, link_paths) -> set[str]:
    """The keys of one case (`scope_keys`), as the database's triggers write them."""

    def each(prefix, path):
        return {prefix + part for part in path.strip("/").split("/")}

    keys = each("_d", division_path) | each("_h", holder_path)
    for path in link_paths:
        keys |= each("_u", path)
    return keys


def territory_paths(unit):
    """Division paths a territorial unit covers, cached on the unit instance."""
    if not hasattr(unit, "_territory_paths"):
        unit._territory_paths = list(Division.objects.filter(units=unit).values_list("path", flat=True))
    return unit._territory_paths


def stats_divisions(user) -> list[int] | None:
    """The divisions whose cases count in `user`'s statistics: those of their government (the
    nearest 党委政府 at or above their unit) and below. None: the whole deployment (the users of
    the top government and the units under it); [] for a user without a unit."""
    unit = getattr(user, "unit", None)
    if unit is None:
        return []
    gov = unit.government() or unit
    if gov.parent_id is None:  # the top government: the whole deployment
        return None
    paths = list(Division.objects.filter(units=gov).values_list("path", flat=True))
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return list(Division.objects.filter(q).values_list("pk", flat=True))
