"""Recording what staff did with a suggestion. The suggestion travels with the form as hidden fields
(`assist_<kind>` = label, `assist_<kind>_confidence`, `assist_<kind>_version`) and is compared with
what was saved. `summary` gives the figures of the feedback, per kind of suggestion."""

import math
from dataclasses import dataclass

from django.db.models import Count, Q

from xinfang.core.params import whole_number

from .models import Feedback, ModelVersion


@dataclass(frozen=True)
class KindSummary:
    """How staff answered the suggestions of one kind: `count` feedbacks, `accepted` of them taken
    as offered, `changed` corrected."""

    kind: str
    label: str
    count: int
    accepted: int

    @property
    def changed(self) -> int:
        return self.count - self.accepted


def summary() -> list[KindSummary]:
    """One line per kind of suggestion, in the order of ModelVersion.Kind: figures only, no matter."""
    counts = {
        row["kind"]: row
        for row in Feedback.objects.values("kind").annotate(
            n=Count("id"), accepted_n=Count("id", filter=Q(accepted=True))
        )
    }
    return [
        KindSummary(kind, label, counts.get(kind, {}).get("n", 0), counts.get(kind, {}).get("accepted_n", 0))
        for kind, label in ModelVersion.Kind.choices
    ]


def record(kind: str, data, matter, chosen, user) -> Feedback | None:
    suggested = (data.get(f"assist_{kind}") or "").strip()
    if not suggested or chosen is None:
        return None
    try:
        confidence = float(data.get(f"assist_{kind}_confidence") or 0)
    except ValueError:
        confidence = 0.0
    if not math.isfinite(confidence):  # "nan" and "inf" are floats too
        confidence = 0.0
    version_id = whole_number(data.get(f"assist_{kind}_version") or "", minimum=1)
    if version_id is not None and not ModelVersion.objects.filter(pk=version_id, kind=kind).exists():
        version_id = None  # a forged or stale id: the feedback is kept, the link is not
    return Feedback.objects.create(
        kind=kind,
        matter=matter,
        model_version_id=version_id,
        suggested=suggested[:100],
        confidence=min(max(confidence, 0.0), 1.0),
        chosen=str(chosen.pk),
        accepted=suggested == str(chosen.pk),
        user=user,
    )
