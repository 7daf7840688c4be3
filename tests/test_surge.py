"""Volume surges (xinfang.intelligence.surge): weekday and seasonal expectations, the expected range,
sensitive periods, sparse keys, severity, rising trends (plain Python, no database)."""

from datetime import date, timedelta

import numpy as np
import pytest
from scipy.stats import nbinom

from xinfang.intelligence import surge
from xinfang.intelligence.surge import (
    LEVELS,
    SensitivePeriod,
    Settings,
    detect,
    detect_counts,
    detect_rising,
    expectations,
    rising_counts,
    year_shift,
)

# Mondays high, weekends low: Monday 100, Tuesday–Friday 40, Saturday 25, Sunday 20 (305 a week).
WEEK = [100, 40, 40, 40, 40, 25, 20]
MONDAY = date(2025, 9, 1)  # a Monday, far from the Spring Festival


def weekly_series(first: date, weeks: int, pattern=WEEK) -> np.ndarray:
    """One key: `weeks` weeks of the pattern, starting on `first` (a Monday)."""
    assert first.weekday() == 0
    return np.array([pattern * weeks], dtype=np.int64)


def with_last_day(counts: np.ndarray, value: int) -> np.ndarray:
    counts = counts.copy()
    counts[0, -1] = value
    return counts


def day_of(counts: np.ndarray, first: date) -> date:
    return first + timedelta(days=counts.shape[1] - 1)


# -------------------------------------------------------------------------------- weekday pattern
def test_expected_value_follows_the_weekday():
    # 10 weeks and a Monday: the Monday baseline is the 8 previous Mondays, the level the 8 weeks.
    first = MONDAY
    counts = np.concatenate([weekly_series(first, 10), [[100]]], axis=1)
    day = day_of(counts, first)
    assert day.weekday() == 0
    checks = expectations(counts, first, day)
    assert checks["day"].expected[0] == pytest.approx(100.0)
    assert checks["week"].expected[0] == pytest.approx(305.0)
    assert checks["week"].observed[0] == 305  # Tuesday..Sunday of week 10 and this Monday
    assert checks["day"].seasonal[0] == 1.0  # no year of history


def test_a_normal_monday_is_quiet_and_a_doubled_sunday_fires():
    first = MONDAY
    monday = np.concatenate([weekly_series(first, 10), [[112]]], axis=1)  # a busy but normal Monday
    assert detect(monday, first, day_of(monday, first)) == []
    sunday = with_last_day(weekly_series(first, 10), 40)  # twice the usual Sunday
    day = day_of(sunday, first)
    assert day.weekday() == 6
    surges = detect(sunday, first, day, keys=["信访量"])
    assert [(s.key, s.period, s.first, s.last, s.observed) for s in surges] == [
        ("信访量", "day", day, day, 40)
    ]
    assert surges[0].expected == pytest.approx(20.0)
    assert surges[0].high < 40 and surges[0].low <= 20 <= surges[0].high
    assert not surges[0].tightened
    # 40 on a Sunday is a surge; 40 on a Tuesday is an ordinary Tuesday.
    tuesday = np.concatenate([weekly_series(first, 10), [[100, 40]]], axis=1)
    assert day_of(tuesday, first).weekday() == 1
    assert detect(tuesday, first, day_of(tuesday, first)) == []


def test_a_sparse_key_does_not_fire_on_two():
    # 2 a week, on Monday and Friday: on a Wednesday about 0.2 are expected.
    first = MONDAY
    sparse = [1, 0, 0, 0, 1, 0, 0]
    counts = np.tile(np.array(sparse, dtype=np.int64), 10)[None, :]
    counts = np.concatenate([counts, [[0, 0, 2]]], axis=1)  # Monday, Tuesday, then Wednesday: 2
    day = day_of(counts, first)
    assert day.weekday() == 2
    checks = expectations(counts, first, day)
    assert checks["day"].expected[0] < 1
    assert detect(counts, first, day) == []
    assert detect(counts, first, day, settings=Settings(min_day=1)) == []  # not for lack of a minimum
    assert [s.period for s in detect(with_last_day(counts, 6), first, day)] == ["day"]


def test_too_little_history_means_no_checks():
    counts = weekly_series(MONDAY, 3)
    assert detect(with_last_day(counts, 500), MONDAY, day_of(counts, MONDAY)) == []
    assert expectations(counts, MONDAY, day_of(counts, MONDAY)) == {}


# ---------------------------------------------------------------------------------------- season
def seasonal_counts(rise_last_year: bool) -> tuple[np.ndarray, date, date]:
    """30 a day for two years; the week ending `day` has 48 a day, and so had last year's (or not)."""
    first = date(2023, 6, 5)
    day = date(2025, 7, 20)  # 364 days after 2024-07-21; far from the Spring Festival
    counts = np.full((1, (day - first).days + 1), 30, dtype=np.int64)
    t = (day - first).days
    counts[0, t - 6 : t + 1] = 48
    if rise_last_year:
        counts[0, t - 364 - 6 : t - 364 + 1] = 48
    return counts, first, day


def test_a_rise_seen_last_year_is_expected():
    counts, first, day = seasonal_counts(rise_last_year=True)
    assert year_shift(day) == 364
    week = expectations(counts, first, day)["week"]
    assert week.seasonal[0] == pytest.approx(1.6)  # 336 / 210
    assert week.expected[0] == pytest.approx(336.0)
    assert [s for s in detect(counts, first, day) if s.period == "week"] == []


def test_the_same_rise_without_precedent_fires():
    counts, first, day = seasonal_counts(rise_last_year=False)
    surges = [s for s in detect(counts, first, day) if s.period == "week"]
    assert len(surges) == 1
    assert surges[0].observed == 336 and surges[0].expected == pytest.approx(210.0)
    assert surges[0].seasonal == pytest.approx(1.0)


def test_spring_festival_years_are_matched_by_the_festival():
    # 2026-02-17 is the Spring Festival, 2025-01-29 the one before: 384 days.
    assert year_shift(date(2026, 2, 20)) == 384
    assert year_shift(date(2026, 2, 20), lunar=False) == 364
    assert year_shift(date(2025, 2, 1)) == (date(2025, 1, 29) - date(2024, 2, 10)).days == 354
    assert year_shift(date(2025, 9, 1)) == 364
    assert surge.SPRING_FESTIVAL[2024] == date(2024, 2, 10)


def test_a_holiday_trough_in_the_baseline_is_matched_by_the_festival():
    # Both years: 40 a day, 10 a day for the 10 days from the Spring Festival (2025-01-29,
    # 2026-02-17). The baseline of the week ending 2026-04-15 (the 8 weeks before it) holds this
    # year's trough: (56 × 40 − 10 × 30) / 8 = 242.5 a week. Matched by the festival (384 days back),
    # last year's same week had the trough in its baseline too and shows the climb back to 280; the
    # calendar match (364 days back) has no trough in its baseline and expects too little.
    first = date(2024, 10, 1)
    day = date(2026, 4, 15)
    counts = np.full((1, (day - first).days + 1), 40, dtype=np.int64)
    for festival in (date(2025, 1, 29), date(2026, 2, 17)):
        t = (festival - first).days
        counts[0, t : t + 10] = 10
    assert year_shift(day) == 384
    matched = expectations(counts, first, day)["week"]
    assert matched.seasonal[0] == pytest.approx(280 / 242.5)
    assert matched.expected[0] == pytest.approx(280.0)
    calendar = expectations(counts, first, day, settings=Settings(lunar=False))["week"]
    assert calendar.seasonal[0] == pytest.approx(1.0)
    assert calendar.expected[0] == pytest.approx(242.5)


# -------------------------------------------------------------------------------- expected range
def test_exact_range_and_score_without_dispersion():
    # 30 every day, κ = 0: the predictive variance is μ (1 + 1/8) = 33.75 for μ = 30.
    counts = np.full((1, 71), 30, dtype=np.int64)
    counts[0, -1] = 45
    first = MONDAY
    day = day_of(counts, first)
    settings = Settings(dispersion=0.0)
    check = expectations(counts, first, day, settings=settings)["day"]
    r, p = 30 * 30 / 3.75, 30 / 33.75
    assert check.expected[0] == pytest.approx(30.0)
    assert check.score[0] == pytest.approx(-np.log10(nbinom.sf(44, r, p)))
    assert check.high[0] == nbinom.isf(1e-3, r, p)
    assert check.score[0] < 3  # 45 against 30 is not a surge ...
    assert detect(counts, first, day, settings=settings) == []


def test_a_sensitive_period_lowers_the_threshold_and_says_so():
    counts = np.full((1, 71), 30, dtype=np.int64)
    counts[0, -1] = 45
    first = MONDAY
    day = day_of(counts, first)
    settings = Settings(dispersion=0.0)
    period = SensitivePeriod(day - timedelta(days=2), day + timedelta(days=3), 0.5, "全国两会")
    surges = detect(counts, first, day, sensitive=[period], settings=settings)
    assert [(s.period, s.observed, s.tightened) for s in surges] == [("day", 45, True)]
    assert surges[0].high == nbinom.isf(10**-1.5, 30 * 30 / 3.75, 30 / 33.75)
    assert "敏感时期" in surges[0].reason
    # A period that ended before the week examined changes nothing; tuples work too.
    before = (day - timedelta(days=30), day - timedelta(days=10), 0.5)
    assert detect(counts, first, day, sensitive=[before], settings=settings) == []
    # The week check is tightened when the period overlaps its 7 days.
    checks = expectations(
        counts, first, day, sensitive=[(day - timedelta(days=6), day - timedelta(days=6), 0.5)]
    )
    assert checks["week"].threshold == 1.5 and checks["day"].threshold == 3.0


def test_sensitive_factor_must_be_a_share():
    counts = np.full((1, 71), 30, dtype=np.int64)
    with pytest.raises(ValueError):
        detect(counts, MONDAY, day_of(counts, MONDAY), sensitive=[(MONDAY, MONDAY, 2.0)])


def test_the_range_covers_a_stationary_series():
    # 300 keys of Poisson counts at 0.5–40 a day, no pattern: over 30 days the range holds the true
    # mean of every key and nearly every count; false alarms stay near the nominal 1 in 1,000.
    rng = np.random.default_rng(7)
    means = np.exp(rng.uniform(np.log(0.5), np.log(40), 300))
    counts = rng.poisson(means[:, None], size=(300, 120))
    first = MONDAY
    inside, mean_inside, alarms, total = 0, 0, 0, 0
    for t in range(90, 120):
        day = first + timedelta(days=t)
        check = expectations(counts[:, : t + 1], first, day)["day"]
        inside += int(((check.low <= check.observed) & (check.observed <= check.high)).sum())
        mean_inside += int(((check.low <= means) & (means <= check.high)).sum())
        alarms += len(detect(counts[:, : t + 1], first, day))
        total += 300
    assert mean_inside == total
    assert inside / total > 0.995
    assert alarms / (2 * total) < 0.003


# --------------------------------------------------------------------------------------- severity
def test_severity_orders_the_surges():
    first = MONDAY
    base = np.tile(np.array(WEEK, dtype=np.int64), 10)
    counts = np.stack([base] * 4)
    counts[:, -1] = [20, 40, 60, 120]  # Sunday: expected 20; twice, three and six times that
    keys = ["正常", "两倍", "三倍", "六倍"]
    surges = [s for s in detect(counts, first, day_of(counts, first), keys=keys) if s.period == "day"]
    assert [s.key for s in surges] == ["六倍", "三倍", "两倍"]
    assert [s.level for s in surges] == sorted((s.level for s in surges), reverse=True)
    assert surges[0].severity == LEVELS[3] == "严重"
    assert surges[-1].severity == LEVELS[1] == "一般"
    assert all(a.score >= b.score for a, b in zip(surges, surges[1:], strict=False))
    assert surges[0].to_dict()["severity"] == "严重"


# --------------------------------------------------------------------------------------- wrappers
def test_mapping_wrapper_matches_the_array():
    first = MONDAY
    counts = with_last_day(np.tile(np.array(WEEK, dtype=np.int64), 10)[None, :], 40)
    day = day_of(counts, first)
    series = {("住建", "东城区"): {first + timedelta(days=i): int(c) for i, c in enumerate(counts[0]) if c}}
    from_mapping = detect_counts(series, day)
    from_array = detect(counts, first, day, keys=[("住建", "东城区")])
    assert from_mapping == from_array and len(from_mapping) == 1
    with pytest.raises(ValueError):
        detect(counts, first, day + timedelta(days=1))


def test_rising_trend_of_repeat_petitions():
    # 10 a day for 12 weeks, then 15 a day for the last 4 weeks; collective petitions stay at 3.
    first = MONDAY
    repeat = [10] * 56 + [15] * 28
    day = first + timedelta(days=len(repeat) - 1)
    series = {
        "repeat": {first + timedelta(days=i): c for i, c in enumerate(repeat)},
        "collective": {first + timedelta(days=i): 3 for i in range(len(repeat))},
    }
    found = rising_counts(series, day)
    assert [(s.key, s.period, s.first, s.last, s.observed) for s in found] == [
        ("repeat", "trend", day - timedelta(days=27), day, 420)
    ]
    assert found[0].expected == pytest.approx(280.0)
    assert "近 4 周" in found[0].reason
    counts = np.array([repeat], dtype=np.int64)
    assert detect_rising(counts, first, day, keys=["repeat"]) == found
    # A rise of a tenth is within the range.
    assert detect_rising(np.array([[10] * 56 + [11] * 28]), first, day) == []
