"""What the registration panel shows for a petition being typed in."""

from xinfang.core.params import whole_number
from xinfang.intelligence import urgency
from xinfang.org.models import Division, Unit
from xinfang.petitions.models import petitioner_keys

from . import places, similar_matters
from .suggest import suggest_category

MAX_TEXT = 20000  # characters of title + content read; the rest of a very long letter adds little


def urgency_of(title: str, text: str):
    return urgency.assess(title[:MAX_TEXT], text[:MAX_TEXT])


def _pk(data, name, model):
    pk = whole_number((data.get(name) or "").strip(), minimum=1)
    return model.objects.filter(pk=pk).first() if pk is not None else None


def locate_problem(title: str, text: str, address: str):
    """(PlaceMatch, divisions, from_address): 问题属地 is where the problem is, read from the title and
    text. The petitioner's address (where they live, often elsewhere) is read only when the text
    names no place at all, and the page then says the guess comes from the address."""
    place, divisions = places.locate(f"{title}\n{text}")
    if place.code or place.candidates or not address.strip():
        return place, divisions, False
    place, divisions = places.locate("", address)
    return place, divisions, bool(place.code or place.candidates)


def read_form(data, user) -> dict:
    title = (data.get("title") or "")[:MAX_TEXT]
    text = (data.get("content") or "")[:MAX_TEXT]
    address = " ".join(v for k, v in data.items() if k.endswith("-address") and v)[:1000]
    division = _pk(data, "division", Division)
    complained_unit = _pk(data, "complained_unit", Unit)
    if not (title.strip() or text.strip()):
        return {"empty": True}
    advice = suggest_category(title, text)
    place, divisions, from_address = locate_problem(title, text, address)
    index_note = ""
    try:
        found = similar_matters.for_text(
            title,
            text,
            user,
            petitioner_keys=petitioner_keys(data),
            division=division or divisions.get(place.code),
            complained_unit=complained_unit,
        )
    except similar_matters.IndexNotReady as exc:
        found, index_note = [], str(exc)
    return {
        "advice": advice,
        "best": advice.items[0] if advice.items else None,
        "place": place,
        "place_division": divisions.get(place.code) if place.code else None,
        "place_candidates": [divisions[c] for c in place.candidates if c in divisions],
        "place_from_address": from_address,
        "urgency": urgency_of(title, text),
        "similar": found,
        "index_note": index_note,
        "collective": similar_matters.collective_hint(found, division or divisions.get(place.code)),
    }
