"""The rules of grading and recommending, as plain functions of the records. Plain Python."""

from .choices import GO_AHEAD, RiskLevel

HIGH_SHARE = 0.5  # most of those heard object
LOW_SHARE = 0.2  # a minority objects …
SUPPORT_SHARE = 0.5  # … and most support


def suggested_level(reached: int, supported: int, objected: int) -> str:
    """The level the heard views point to (the assessors decide, with their reasons):
    high when most of those reached object, low when most support and at most a fifth object,
    medium otherwise. "" when nobody was reached."""
    if reached <= 0:
        return ""
    if objected / reached > HIGH_SHARE:
        return RiskLevel.HIGH
    if supported / reached > SUPPORT_SHARE and objected / reached <= LOW_SHARE:
        return RiskLevel.LOW
    return RiskLevel.MEDIUM


def needs_reason(level: str, recommendation: str) -> bool:
    """A high risk with the recommendation to go ahead (实施 or 调整后实施) needs an explicit reason."""
    return level == RiskLevel.HIGH and recommendation in GO_AHEAD
