"""Cases of any registered type as supervision refers to them: by their type's registry key and
their id. Whatever supervision asks of a case goes through here and the kernel — its type, its
page, whether a unit or a user must not see it (the type's `hidden_q`), the internal event that
notes a 督办 on it and lets the answering units see it — never through one type's own helpers."""

from xinfang.cases import engine, registry


def key_of(case) -> str:
    return registry.of(case).key


def label_of(case) -> str:
    return registry.of(case).label


def detail_url(case) -> str:
    """The staff page of the case ("" if its type has none)."""
    case_type = registry.of(case)
    return case_type.detail_url(case) if case_type.detail_url else ""


def load(refs, *, visible_to=None) -> list:
    """The cases named by (type key, id) pairs, in the order given; with `visible_to`, only those
    that user may see."""
    refs = [(key, pk) for key, pk in refs]
    ids_by_type = {}
    for key, pk in refs:
        ids_by_type.setdefault(key, []).append(pk)
    found = {}
    for key, ids in ids_by_type.items():
        case_type = registry.get(key)
        cases = case_type.model.objects.all()
        if visible_to is not None:
            cases = cases.visible_to(visible_to)
        for case in cases.filter(pk__in=ids).select_related(*case_type.select_related):
            found[(key, case.pk)] = case
    return [found[ref] for ref in refs if ref in found]


def hidden_from(cases, unit, user=None) -> list:
    """Those of `cases` that their type keeps from `unit` (and `user`, when given) although the
    general rule would show them — an accusation from the accused unit or person (the type's
    `hidden_q`): that unit may not be made to handle or answer them, nor see a 督办 on them."""
    cases = list(cases)
    hidden = set()
    ids_by_type = {}
    for case in cases:
        ids_by_type.setdefault(key_of(case), []).append(case.pk)
    for key, ids in ids_by_type.items():
        case_type = registry.get(key)
        if case_type.hidden_q is None:
            continue
        rows = case_type.model.objects.filter(pk__in=ids).filter(case_type.hidden_q(unit, user))
        hidden |= {(key, pk) for pk in rows.values_list("pk", flat=True)}
    return [case for case in cases if (key_of(case), case.pk) in hidden]


def waits_on_staff(case) -> bool:
    """Whether a unit owes the case its next act now: it waits on a deadline step that is not a
    window of the other side (a petitioner's time to ask for review)."""
    return bool(case.due_step) and case.due_step not in registry.of(case).workflow.windows


def note_on(case, action, actor, now, note, *, grant=()) -> object:
    """Note an act of supervision on the case (a 督办, a 批示, a 包案) as an internal event of its
    type, through the kernel, and let the units in `grant` (and their sub-units) see the case from
    now on (属事). Like every event it moves the case's version; `case` gets the new one."""

    def apply(act):
        for unit in grant:
            act.grant_access(unit)

    act = engine.record(registry.of(case), case.pk, actor, action, now=now, note=note, apply=apply)
    case.version = act.case.version
    return act.event
