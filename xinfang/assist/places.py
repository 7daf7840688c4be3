"""The place index of this deployment: its division tree and the landmarks an administrator added.
Built once per process and rebuilt when divisions or landmarks are added or removed."""

import threading

from django.db.models import Count, Max

from xinfang.intelligence.places import PlaceIndex
from xinfang.org.models import Division

from .models import Landmark

_lock = threading.Lock()
_state = {"key": None, "index": None}


def _version():
    d = Division.objects.aggregate(n=Count("id"), m=Max("id"))
    lm = Landmark.objects.aggregate(n=Count("id"), m=Max("id"))
    return (d["n"], d["m"], lm["n"], lm["m"])


def place_index() -> PlaceIndex:
    key = _version()
    with _lock:
        if _state["key"] != key:
            divisions = Division.objects.values_list("code", "name", "parent__code", "level")
            landmarks = Landmark.objects.values_list("name", "division__code")
            _state["index"] = PlaceIndex(list(divisions), list(landmarks))
            _state["key"] = key
        return _state["index"]


def locate(text: str, address: str = ""):
    """(PlaceMatch, {code: Division}) for the codes the match names."""
    match = place_index().locate(text, address)
    codes = [c for c in [match.code, *match.candidates] if c]
    return match, Division.objects.in_bulk(codes, field_name="code")
