"""三率 of a territory on the dashboard: 及时受理率, 按期办结率 and 群众满意率, counted as unit scoring
counts them (score_counts.py, the same definitions and the same ten-minute cache), summed over the
territory's units, with each unit's own line for the drill-down."""

from xinfang.org.models import Unit
from xinfang.supervision.common import oversight_root
from xinfang.supervision.score_counts import cached_unit_counts
from xinfang.supervision.scorecard import Counts, score

# score line → the name the dashboard gives it
RATES = {"timely": "及时受理率", "reply": "按期办结率", "satisfaction": "群众满意率"}
NOTES = {
    "timely": "按期转送交办或告知受理的环节 ÷ 本期到期的这些环节",
    "reply": "按期出具处理意见、复查意见、复核意见的环节 ÷ 本期到期的这些环节",
    "satisfaction": "评价为满意、基本满意的 ÷ 本期已评价的",
}


def territory_units(user, division) -> list[Unit]:
    """The units counted for `division`: its government's tree when the user oversees it, else the
    whole tree the user oversees."""
    root = oversight_root(user.unit)
    government = Unit.objects.filter(divisions=division, kind=Unit.Kind.GOVERNMENT).order_by("path").first()
    if government is not None and government.path.startswith(root.path):
        root = government
    return list(Unit.objects.filter(path__startswith=root.path).order_by("path"))


def _lines(counts: Counts) -> dict:
    return {line.key: line for line in score(counts).lines}


def three_rates(units, first, last) -> list[dict]:
    counts = cached_unit_counts(first, last)
    total = sum((counts.get(u.pk, Counts()) for u in units), Counts())
    lines = _lines(total)
    return [
        {"key": key, "label": label, "note": NOTES[key], "line": lines[key]} for key, label in RATES.items()
    ]


def by_unit(units, first, last, key) -> list[tuple]:
    """(unit, line) of every unit with something to count for rate `key`, the lowest rate first."""
    counts = cached_unit_counts(first, last)
    rows = [(u, _lines(counts[u.pk])[key]) for u in units if u.pk in counts]
    rows = [(u, line) for u, line in rows if line.denominator]
    rows.sort(key=lambda r: (r[1].rate, -r[1].denominator, r[0].path))
    return rows
