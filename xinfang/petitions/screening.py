"""核定被反映对象: resolving the units and people a 检举控告 names against the org tree.

Whatever the way in (portal, staff form, API, Open311, 台账), an accusation is registered with a
screening unit — the 纪检监察 side of the receiving organ (art. 22 routes accusations there) — and
until a person of that unit confirms who is named, nobody else sees the matter. The names arrive as
free text written any way ("东湖街道办事处彭刚", "彭刚主任", "区信访局"); `suggest` proposes units and
staff users from the text, the screener ticks the right ones and may add others, and `screen`
records them as AccusedParty rows. From then on the ordinary scope applies, minus the accused units
(with their sub-units) and people (with their whole unit).
"""

import re
from dataclasses import dataclass

from xinfang.cases import engine
from xinfang.cases.plan import current_session
from xinfang.org.models import CASEWORK_ROLES, Role, Unit, User

from .choices import Nature
from .models import AccusedParty, Matter
from .scoping import party_covers

SCREENING_ROLES = {Role.REGISTRAR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD}

# Endings that people drop when they name a unit: "东湖街道办事处" is written "东湖街道办", "东湖街道".
UNIT_ENDINGS = ["人民政府", "办事处", "委员会", "管理局", "政府", "办"]
PUNCTUATION = re.compile(r"[\s,，、;；:：.。()（）\[\]【】\"“”'‘’/\\|-]+")


@dataclass
class Suggestion:
    units: list  # [(Unit, how it was written)]
    users: list  # [(User, how it was written)]


def unit_spellings(unit: Unit) -> set[str]:
    """Ways a unit's name is written: full, short, without a common ending, without the name of
    the government it belongs to ("东城区住建局" for "东城区住房和城乡建设局" needs its short name)."""
    names = {unit.name, unit.short_name} - {""}
    for name in list(names):
        for ending in UNIT_ENDINGS:
            if name.endswith(ending) and len(name) - len(ending) >= 3:
                names.add(name[: -len(ending)])
    return {n for n in names if len(n) >= 3}


def normalise(text: str) -> str:
    return PUNCTUATION.sub("", text or "")


def suggest(*texts: str) -> Suggestion:
    """Units and staff whose names appear in `texts` (the named parties first, then the content)."""
    text = normalise("".join(texts))
    units, staff = _names()
    found = []
    for unit, spellings in units:
        written = max((s for s in spellings if s in text), key=len, default=None)
        if written:
            found.append((unit, written))
    # A longer match hides the shorter one inside it ("东城区信访局" is not also "信访局").
    found = [(u, w) for u, w in found if not any(w != w2 and w in w2 for _, w2 in found)]
    users = [(user, user.full_name) for user in staff if user.full_name in text]
    return Suggestion(units=found, users=users)


def _names():
    """The active units with their spellings and the staff with a name, read once per bulk session."""
    session = current_session()
    if session is not None and "screening_names" in session.memo:
        return session.memo["screening_names"]
    units = [(u, unit_spellings(u)) for u in Unit.objects.filter(active=True).order_by("path")]
    staff = [
        user
        for user in User.objects.filter(is_active=True, unit__isnull=False, role__in=CASEWORK_ROLES)
        .exclude(full_name="")
        .select_related("unit")
        if len(user.full_name) >= 2
    ]
    if session is not None:
        session.memo["screening_names"] = (units, staff)
    return units, staff


def suggestion_for(matter: Matter) -> Suggestion:
    named = " ".join(filter(None, [str(matter.complained_unit or ""), matter.complained_person]))
    # Without named parties (an Open311 report, a 台账 row) the names are somewhere in the text.
    found = suggest(named or f"{matter.title} {matter.content}")
    if matter.complained_unit and all(u.pk != matter.complained_unit_id for u, _ in found.units):
        found.units.insert(0, (matter.complained_unit, matter.complained_unit.name))
    return found


def discipline_unit_above(unit: Unit | None, *, avoid=()) -> Unit | None:
    """The 纪检监察 unit of `unit`'s government, or of the nearest government above it that has
    one, skipping units that `avoid` (unsaved AccusedParty rows) keep the matter from."""
    government = unit.government() if unit else None
    while government is not None:
        for candidate in Unit.objects.filter(
            parent=government, kind=Unit.Kind.DISCIPLINE, active=True
        ).order_by("path"):
            if not any(party_covers(p, candidate) for p in avoid):
                return candidate
        government = government.parent.government() if government.parent_id else None
    return None


def parties_of(units=(), users=()) -> list[AccusedParty]:
    """Unsaved AccusedParty rows for named units and named staff."""
    return [AccusedParty(unit=u, unit_path=u.path) for u in units] + [
        AccusedParty(unit=user.unit, unit_path=user.unit.path, user=user) for user in users
    ]


def screening_unit_for(registering_unit: Unit, named) -> Unit:
    """Who screens a new accusation: the nearest 纪检监察 unit that none of `named` (suggested
    parties) covers; without one, the registering unit's government, and last the registering
    unit itself, unless they are named too."""
    found = discipline_unit_above(registering_unit, avoid=named)
    if found is None:
        fallbacks = [registering_unit.government(), registering_unit]
        found = next((u for u in fallbacks if u and not any(party_covers(p, u) for p in named)), None)
    return found or registering_unit


def prepare(matter: Matter) -> None:
    """Set the screening unit of a new (unsaved) accusation, avoiding any unit its text names."""
    if matter.nature != Nature.ACCUSATION:
        return
    found = suggestion_for(matter)
    named = parties_of([u for u, _ in found.units], [user for user, _ in found.users])
    matter.screening_unit = screening_unit_for(matter.registering_unit, named)


class ScreeningError(Exception):
    """A refused screening, with a message in Chinese."""


def check_screener(actor, matter):
    if matter.nature != Nature.ACCUSATION or matter.screening_unit_id is None:
        raise ScreeningError("该事项不是检举控告事项，无需核定被反映对象。")
    if matter.screened_at is not None:
        raise ScreeningError("该事项的被反映对象已经核定。")
    if not (
        actor.does_casework and actor.role in SCREENING_ROLES and actor.unit.is_within(matter.screening_unit)
    ):
        raise ScreeningError(f"被反映对象由「{matter.screening_unit}」核定。")


@engine.atomic
def screen(matter_id, actor, *, units=(), users=(), note="", now=None) -> Matter:
    """Record who the accusation names; afterwards it is hidden from exactly them."""
    from .services import MATTER

    parties = parties_of(units, users)
    if not parties and not (note or "").strip():
        raise ScreeningError("没有勾选被反映的单位或人员时，请在说明中写明理由（如“未指向具体单位和人员”）。")

    def apply(a):
        matter = a.case
        check_screener(actor, matter)
        for party in parties:
            if party_covers(party, actor.unit) or party.user_id == actor.pk:
                raise ScreeningError(f"「{party}」被反映，本单位应当回避，请移交上级纪检监察机关核定。")
            a.add(party)
        matter.screened_at, matter.screened_by = a.now, actor
        # The unit holding the matter may be among the accused: the screening unit takes it over.
        if any(party_covers(p, matter.holder_unit) for p in parties):
            matter.holder_unit = matter.screening_unit
        a.grant_access(matter.holder_unit)
        a.notify_units = [matter.holder_unit]
        a.notice = ("screened", f"检举控告事项{matter.display_code}已核定被反映对象，请及时办理。")

    names = "、".join(str(p) for p in parties) or "未指向具体单位和人员"
    note = f"核定被反映对象：{names}。{note}".strip()
    return engine.record(MATTER, matter_id, actor, "screen_accused", now=now, note=note, apply=apply).case


@engine.atomic
def hand_up(matter_id, actor, *, reason, now=None) -> Matter:
    """The screening unit is itself named: the 纪检监察 unit of the level above screens instead."""
    from .services import MATTER

    if not (reason or "").strip():
        raise ScreeningError("请填写移交上级的理由。")

    def apply(a):
        matter = a.case
        check_screener(actor, matter)
        government = matter.screening_unit.government()
        above = discipline_unit_above(government.parent if government and government.parent_id else None)
        if above is None:
            raise ScreeningError("系统中没有上一级纪检监察机关，请线下移交并记录。")
        a.note = f"「{matter.screening_unit}」回避，移交「{above}」核定被反映对象：{reason}"
        matter.screening_unit = above
        a.grant_access(above)

    return engine.record(MATTER, matter_id, actor, "hand_up_screening", now=now, apply=apply).case
