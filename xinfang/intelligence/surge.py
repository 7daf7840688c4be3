"""Volume surges (信访量异常升高): which keys got far more petitions than their own history predicts.

A key is anything hashable — (category id, division id), a unit, "repeat". The core, `detect`, takes a
dense 2-D array of daily counts (keys × days, column 0 = `start`) and looks at one day for all keys at
once with numpy; `detect_counts` wraps it for a mapping key → {date: count}. Two checks per key:

* day: the count of the day against the same weekday of the previous 8 weeks;
* week: the 7 days ending that day against the 8 weeks before them.

Expected value. Level: the mean of the 8 previous weekly totals, the largest week capped at what the
other seven make plausible, so that one earlier surge does not hide the next. Day check: the level
times the key's share of the same weekday in those weeks, shrunk towards the share of all keys
together (a key with 10 petitions in 8 weeks has no weekday pattern of its own to speak of; the
offices' Monday peak and empty Sundays are common to all). Seasonality: when a year of history exists,
the expected value is multiplied by what the season did last year — for the week check the matching
week against the 8 weeks before it, for the day check the matching day against the same weekday of
its 8 weeks (a holiday's single days show). One key's factor is noisy (one week or one day of
counts), so it is shrunk towards the factor of all keys, by how much the keys' factors really differ
against its noise (empirical Bayes), and clipped to [1/3, 3]; what noise is left widens the range.
"Matching" is 364 days back (same weekday) except around the Spring Festival: from 7 weeks before to
17 weeks after it, last year is matched by its own Spring Festival (`SPRING_FESTIVAL`). The festival
moves by up to 30 days, and its trough sits in the 8-week baseline for weeks after it: a calendar
match sets this year's climb out of the trough against a last year without one and fires on the
holiday alone (on the benchmark's synthetic counts, week precision 0.13 instead of 0.87). Other
holidays (国庆、五一) keep their Gregorian dates, which the 364 days match. A floor keeps sparse keys
from expecting nothing.

Input: a dense array rather than per-key mappings, because the checks are the same arithmetic for
every key and numpy does them at once: 10,000 keys × 800 days take about 30 ms per day examined.

Expected range. The count is taken as negative binomial: variance μ + κμ² (κ, the over-dispersion, is
estimated from the baseline of all keys unless given) plus the uncertainty of μ estimated from 8 weeks.
The score is −log10 P(X ≥ observed); a surge needs score ≥ `threshold` (3: one in a thousand) and at
least `min_day` / `min_week` petitions, so an expected 0.3 and an observed 2 is noise, not a surge.
`high` is the largest count that does not fire. In a sensitive period (敏感时期) the threshold is
multiplied by the period's factor (0.5: one in thirty is enough) and the result says so.

`detect_rising` uses the same machinery for a rising trend of one series (repeat petitions, collective
petitions): the last 4 weeks against the 8 weeks before.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from scipy.stats import nbinom

LEVELS = {1: "一般", 2: "较重", 3: "严重"}

# 春节 (first day of the lunar year), checked against the new moons of 2000–2040 and the State
# Council's holiday notices of 2004–2026.
SPRING_FESTIVAL = {
    year: date(year, month, day)
    for year, (month, day) in {
        2000: (2, 5), 2001: (1, 24), 2002: (2, 12), 2003: (2, 1), 2004: (1, 22), 2005: (2, 9),
        2006: (1, 29), 2007: (2, 18), 2008: (2, 7), 2009: (1, 26), 2010: (2, 14), 2011: (2, 3),
        2012: (1, 23), 2013: (2, 10), 2014: (1, 31), 2015: (2, 19), 2016: (2, 8), 2017: (1, 28),
        2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22),
        2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
        2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8),
        2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24), 2040: (2, 12),
    }.items()
}  # fmt: skip
SPRINGS = sorted(SPRING_FESTIVAL.values())
# Days around the Spring Festival in which last year is matched by its Spring Festival.
SPRING_WINDOW = (-49, 119)
YEAR = 364  # 52 weeks: last year's same weekday

MAX_SCORE = 99.0


@dataclass(frozen=True)
class Settings:
    """Tuning of the detector; the defaults were set on bench_warnings.py's synthetic counts."""

    threshold: float = 3.0  # score needed: −log10 of the tail probability
    levels: tuple[float, float] = (5.0, 8.0)  # score (after tightening) for 较重, 严重
    min_day: int = 3  # fewest petitions in a day that can be a surge
    min_week: int = 5  # ... in a week, and in the 4 weeks of a trend
    weeks: int = 8  # baseline weeks
    min_weeks: int = 4  # fewer weeks of history: no check
    floor_day: float = 0.2  # expected per day at least this
    floor_week: float = 1.0  # expected per week at least this
    weekday_prior: float = 14.0  # petitions' worth of the all-keys weekday share in a key's share
    season_clip: tuple[float, float] = (1 / 3, 3.0)
    dispersion: float | None = None  # κ in variance μ + κμ²; None: estimated from the data
    min_dispersion: float = 0.01
    max_dispersion: float = 0.5
    default_dispersion: float = 0.05  # when no key has enough petitions to estimate it
    lunar: bool = True  # match last year by the Spring Festival around it


DEFAULT = Settings()


@dataclass(frozen=True)
class SensitivePeriod:
    """敏感时期: checks whose days fall in [first, last] need `factor` × the usual score (0 < factor ≤ 1)."""

    first: date
    last: date
    factor: float = 0.5
    name: str = ""


@dataclass(frozen=True)
class Surge:
    key: Hashable
    period: str  # "day", "week" or "trend"
    first: date
    last: date
    observed: int
    expected: float
    low: int  # the expected range: counts in [low, high] are ordinary
    high: int
    score: float  # −log10 P(count ≥ observed); ≥ threshold (× the sensitive factor) to be here
    level: int  # key of LEVELS
    tightened: bool  # a sensitive period lowered the threshold for this check
    seasonal: float  # last year's factor applied to the expected value (1.0 without a year of history)

    @property
    def severity(self) -> str:
        return LEVELS[self.level]

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected else math.inf

    @property
    def reason(self) -> str:
        if self.period == "day":
            span = f"{self.first:%Y-%m-%d} 当日"
            basis = "此前各周同一星期几"
        elif self.period == "week":
            span = f"{self.first:%Y-%m-%d}至{self.last:%Y-%m-%d} 一周"
            basis = "此前各周"
        else:
            weeks = ((self.last - self.first).days + 1) // 7
            span = f"{self.first:%Y-%m-%d}至{self.last:%Y-%m-%d} 近 {weeks} 周"
            basis = "此前各周"
        text = (
            f"{span}共 {self.observed} 件，按{basis}的水平"
            f"{'并参照去年同期走势' if self.seasonal != 1.0 else ''}预计约 {self.expected:.1f} 件"
            f"（正常范围 {self.low}–{self.high} 件），为预计的 {self.ratio:.1f} 倍，异常程度：{self.severity}"
        )
        if self.tightened:
            text += "；处于敏感时期，已从严研判"
        return text

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "period": self.period,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "observed": self.observed,
            "expected": round(self.expected, 2),
            "low": self.low,
            "high": self.high,
            "score": round(self.score, 2),
            "level": self.level,
            "severity": self.severity,
            "tightened": self.tightened,
            "seasonal": round(self.seasonal, 3),
            "reason": self.reason,
        }


# --------------------------------------------------------------------------------------- helpers
def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _periods(sensitive: Iterable) -> list[SensitivePeriod]:
    periods = [p if isinstance(p, SensitivePeriod) else SensitivePeriod(*p) for p in sensitive]
    for p in periods:
        if not 0 < p.factor <= 1:
            raise ValueError("敏感时期的从严系数须在 0 与 1 之间")
    return periods


def _factor(periods: list[SensitivePeriod], first: date, last: date) -> float:
    """The strictest factor of the periods that overlap [first, last]; 1.0 if none."""
    factors = [p.factor for p in periods if _as_date(p.first) <= last and _as_date(p.last) >= first]
    return min(factors, default=1.0)


def year_shift(day: date, lunar: bool = True) -> int:
    """Days back to the matching day of last year: its Spring Festival near one, else 52 weeks."""
    if lunar:
        for year in (day.year, day.year + 1):
            this, before = SPRING_FESTIVAL.get(year), SPRING_FESTIVAL.get(year - 1)
            if this and before and SPRING_WINDOW[0] <= (day - this).days <= SPRING_WINDOW[1]:
                return (this - before).days
    return YEAR


def _capped(x: np.ndarray) -> np.ndarray:
    """x (keys × samples) with each row's largest sample capped at what the others make plausible."""
    n = x.shape[1]
    top = x.argmax(axis=1)
    rows = np.arange(x.shape[0])
    biggest = x[rows, top]
    others = (x.sum(axis=1) - biggest) / (n - 1)
    out = x.copy()
    out[rows, top] = np.minimum(biggest, others + 3 * np.sqrt(others) + 3)
    return out


def _dispersion(samples: np.ndarray, settings: Settings) -> float:
    """κ of variance μ + κμ², from keys whose baseline samples average at least 5.

    From the differences of consecutive samples, whose median square is robust to a holiday week or a
    past surge and blind to a slow trend; then a trimmed mean over the keys.
    """
    if settings.dispersion is not None:
        return settings.dispersion
    mean = samples.mean(axis=1)
    busy = mean >= 5
    if busy.sum() < 1 or samples.shape[1] < 3:
        return settings.default_dispersion
    steps = np.diff(samples[busy], axis=1)
    variance = np.median(steps * steps, axis=1) / (2 * 0.4549)  # median of χ²(1) is 0.4549
    estimates = np.sort((variance - mean[busy]) / mean[busy] ** 2)
    cut = len(estimates) // 10
    kappa = float(estimates[cut : len(estimates) - cut].mean())
    return min(max(kappa, settings.min_dispersion), settings.max_dispersion)


def _season(now: np.ndarray, before: np.ndarray, span: int, kappa: float, settings: Settings):
    """Per key: last year's seasonal factor, and the variance of its logarithm.

    now: last year's counts in the window matching this year's (a day, a week, 4 weeks: `span`
    baseline units); before: its baseline samples (keys × n: the same weekdays, or weekly totals).
    The factor is now's rate over before's mean. A key's own ratio is noisy (one day or week of
    counts): it is shrunk towards the ratio of all keys by how far the keys' ratios really differ
    (τ², estimated on the busy keys) against its noise, as in empirical Bayes.
    """
    k, n = before.shape
    before = _capped(before)
    now_total, before_total = now.astype(np.float64), before.sum(axis=1)
    if before_total.sum() <= 0:
        return np.ones(k), np.zeros(k)
    lo, hi = np.log(settings.season_clip)
    rate = np.log(max(now_total.sum(), 0.5) / span) - np.log(before_total.sum() / n)
    pooled = float(np.clip(rate, lo, hi))
    own = np.log((now_total + 0.5) / span) - np.log((before_total + 0.5) / n)
    noise = 1 / (now_total + 0.5) + kappa / span + 1 / (before_total + 0.5) + kappa / n
    busy = (now_total >= 20) & (before_total >= 20)
    spread = 0.0
    if busy.sum() >= 3:
        excess = np.sort((own[busy] - pooled) ** 2 - noise[busy])
        cut = len(excess) // 10
        spread = max(float(excess[cut : len(excess) - cut].mean()), 0.0)
    weight = spread / (spread + noise)
    return np.exp(np.clip(pooled + weight * (own - pooled), lo, hi)), weight * noise


def _bounds(mu, var, threshold):
    """(low, high) of NB(μ, var): counts above high have tail probability ≤ 10^−threshold."""
    r = mu * mu / (var - mu)
    p = mu / var
    q = 10.0 ** -np.asarray(threshold, dtype=float)
    high = nbinom.isf(q, r, p)
    low = nbinom.ppf(q, r, p)
    return np.nan_to_num(low).astype(int), np.nan_to_num(high).astype(int)


def _score(observed, mu, var):
    r = mu * mu / (var - mu)
    p = mu / var
    with np.errstate(divide="ignore"):
        score = -nbinom.logsf(observed - 1, r, p) / math.log(10)
    return np.minimum(np.nan_to_num(score, nan=MAX_SCORE, posinf=MAX_SCORE), MAX_SCORE)


@dataclass
class _Check:
    """One check for all keys: observed and the predictive mean and variance."""

    period: str
    first: date
    last: date
    observed: np.ndarray
    mu: np.ndarray
    var: np.ndarray
    seasonal: np.ndarray
    minimum: int
    factor: float


def _predict(base, length, weeks, season, floor, kappa):
    """Predictive mean and variance of a window of `length` baseline units (a day, a week).

    base: the estimated mean of one unit per key, from `weeks` samples; season: (factor, variance of
    its logarithm). Besides the count's own variance μ + κμ²/length, the variance holds the estimate's
    uncertainty, (m + κm²)/weeks scaled to the window, and the seasonal factor's.
    """
    factor, log_variance = season
    mu = np.maximum(base * length * factor, max(floor, 1e-6))
    m = base * factor
    var = mu + kappa * mu * mu / length + (length**2) * (m + kappa * m * m) / weeks
    var += (base * length * factor) ** 2 * log_variance
    var = np.maximum(var, mu * (1 + 1 / weeks))  # μ at the floor: still more spread than Poisson
    return mu, var


def _emit(check: _Check, keys: Sequence, settings: Settings) -> list[Surge]:
    threshold = settings.threshold * check.factor
    candidates = np.flatnonzero((check.observed >= check.minimum) & (check.observed > check.mu))
    if not len(candidates):
        return []
    mu, var, observed = check.mu[candidates], check.var[candidates], check.observed[candidates]
    score = _score(observed, mu, var)
    fired = score >= threshold
    candidates, mu, var, observed, score = (a[fired] for a in (candidates, mu, var, observed, score))
    if not len(candidates):
        return []
    low, high = _bounds(mu, var, threshold)
    relative = score / check.factor
    level = 1 + (relative >= settings.levels[0]) + (relative >= settings.levels[1])
    return [
        Surge(
            key=keys[i],
            period=check.period,
            first=check.first,
            last=check.last,
            observed=int(observed[j]),
            expected=float(mu[j]),
            low=int(low[j]),
            high=int(high[j]),
            score=float(score[j]),
            level=int(level[j]),
            tightened=check.factor < 1.0,
            seasonal=float(check.seasonal[i]),
        )
        for j, i in enumerate(candidates)
    ]


def _sorted(surges: list[Surge]) -> list[Surge]:
    """Most severe first: level, then the score relative to the threshold that applied."""
    return sorted(surges, key=lambda s: (-s.level, -s.score))


def _index(start: date, day: date, width: int) -> int:
    t = (_as_date(day) - _as_date(start)).days
    if not 0 <= t < width:
        raise ValueError(f"{day} 不在数据的日期范围内")
    return t


def _checks(counts, start, day, sensitive, settings: Settings) -> list[_Check]:
    """The day and week checks of all keys on `day` ([] with too little history)."""
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError("counts 须为二维数组（键 × 日）")
    day = _as_date(day)
    t = _index(start, day, counts.shape[1])
    periods = _periods(sensitive)
    n = min(settings.weeks, (t - 6) // 7)
    if n < settings.min_weeks or not len(counts):
        return []
    k = len(counts)
    block = counts[:, t - 7 * n - 6 : t + 1].astype(np.float64).reshape(k, n + 1, 7)
    weekly = _capped(block[:, :n, :].sum(axis=2))  # weeks ending t−7n … t−7
    same_day = _capped(block[:, :n, 6])  # t−7n … t−7: the same weekday as t
    weekly_sum, same_sum = weekly.sum(axis=1), same_day.sum(axis=1)
    pooled_share = same_sum.sum() / weekly_sum.sum() if weekly_sum.sum() > 0 else 1 / 7
    a = settings.weekday_prior
    share = (same_sum + a * pooled_share) / (weekly_sum + a)
    level = weekly_sum / n
    kappa_day = _dispersion(same_day, settings)
    kappa_week = _dispersion(weekly, settings)
    then = t - year_shift(day, settings.lunar)  # last year's matching day
    if then - 7 * n - 6 >= 0:
        past = counts[:, then - 7 * n - 6 : then + 1].astype(np.float64).reshape(k, n + 1, 7)
        season_day = _season(past[:, n, 6], past[:, :n, 6], 1, kappa_day, settings)
        season_week = _season(past[:, n, :].sum(axis=1), past[:, :n, :].sum(axis=2), 1, kappa_week, settings)
    else:
        season_day = season_week = (np.ones(k), np.zeros(k))
    mu_d, var_d = _predict(level * share, 1, n, season_day, settings.floor_day, kappa_day)
    mu_w, var_w = _predict(level, 1, n, season_week, settings.floor_week, kappa_week)
    week_first = day - timedelta(days=6)
    return [
        _Check("day", day, day, block[:, n, 6], mu_d, var_d, season_day[0], settings.min_day,
               _factor(periods, day, day)),
        _Check("week", week_first, day, block[:, n, :].sum(axis=1), mu_w, var_w, season_week[0],
               settings.min_week, _factor(periods, week_first, day)),
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------ public
@dataclass(frozen=True)
class Expectation:
    """One check of every key (arrays, a row per key): what was seen and what was expected."""

    period: str
    first: date
    last: date
    observed: np.ndarray
    expected: np.ndarray
    low: np.ndarray
    high: np.ndarray  # a count above high (and at least the minimum count) is a surge
    score: np.ndarray
    seasonal: np.ndarray
    threshold: float  # score needed, after a sensitive period's tightening


def detect(
    counts: np.ndarray,
    start: date,
    day: date,
    keys: Sequence[Hashable] | None = None,
    sensitive: Iterable = (),
    settings: Settings = DEFAULT,
) -> list[Surge]:
    """Day and week surges of every key on `day`, most severe first.

    counts: keys × days, column 0 is `start`, one column per calendar day; columns after `day` are
    ignored. keys: a label per row (default the row numbers). sensitive: `SensitivePeriod`s or tuples
    (first, last, factor). Needs `min_weeks` weeks before the week examined; seasonality needs a year
    and 8 weeks more.
    """
    keys = range(len(counts)) if keys is None else keys
    if len(keys) != len(counts):
        raise ValueError("keys 与 counts 的行数不一致")
    surges = []
    for check in _checks(counts, start, day, sensitive, settings):
        surges += _emit(check, keys, settings)
    return _sorted(surges)


def expectations(
    counts: np.ndarray, start: date, day: date, sensitive: Iterable = (), settings: Settings = DEFAULT
) -> dict[str, Expectation]:
    """The day and week checks of every key on `day`, surge or not ({} with too little history):
    for showing the normal range beside a count, and for testing the detector."""
    out = {}
    for check in _checks(counts, start, day, sensitive, settings):
        threshold = settings.threshold * check.factor
        low, high = _bounds(check.mu, check.var, threshold)
        out[check.period] = Expectation(
            period=check.period,
            first=check.first,
            last=check.last,
            observed=check.observed,
            expected=check.mu,
            low=low,
            high=high,
            score=np.where(check.observed > 0, _score(check.observed, check.mu, check.var), 0.0),
            seasonal=check.seasonal,
            threshold=threshold,
        )
    return out


def detect_rising(
    counts: np.ndarray,
    start: date,
    day: date,
    keys: Sequence[Hashable] | None = None,
    recent_weeks: int = 4,
    settings: Settings = DEFAULT,
) -> list[Surge]:
    """Rising trends: the `recent_weeks` weeks ending `day` against the `settings.weeks` weeks before.

    For a few series such as repeat and collective petitions per day (keys "repeat", "collective").
    The same expected value (weekly level, seasonal factor) and range; period "trend".
    """
    counts = np.asarray(counts)
    day = _as_date(day)
    t = _index(start, day, counts.shape[1])
    keys = range(len(counts)) if keys is None else keys
    span = 7 * recent_weeks
    n = min(settings.weeks, (t + 1 - span) // 7)
    if n < settings.min_weeks or not len(counts):
        return []
    k = len(counts)
    first = t - span + 1
    weekly = _capped(counts[:, first - 7 * n : first].astype(np.float64).reshape(k, n, 7).sum(axis=2))
    kappa = _dispersion(weekly, settings)
    then = t - year_shift(day, settings.lunar)
    if then - span - 7 * n + 1 >= 0:
        past = counts[:, then - span - 7 * n + 1 : then + 1].astype(np.float64)
        before = past[:, : 7 * n].reshape(k, n, 7).sum(axis=2)
        season = _season(past[:, 7 * n :].sum(axis=1), before, recent_weeks, kappa, settings)
    else:
        season = (np.ones(k), np.zeros(k))
    mu, var = _predict(weekly.mean(axis=1), recent_weeks, n, season, settings.floor_week, kappa)
    observed = counts[:, first : t + 1].sum(axis=1).astype(np.float64)
    check = _Check("trend", day - timedelta(days=span - 1), day, observed, mu, var, season[0],
                   settings.min_week, 1.0)  # fmt: skip
    return _sorted(_emit(check, keys, settings))


def dense(
    series: Mapping[Hashable, Mapping[date, int]], first: date, last: date
) -> tuple[list[Hashable], np.ndarray]:
    """(keys, keys × days array) from key → {date: count}; days outside [first, last] are dropped."""
    first, last = _as_date(first), _as_date(last)
    keys = list(series)
    width = (last - first).days + 1
    out = np.zeros((len(keys), max(width, 0)), dtype=np.int64)
    for row, key in enumerate(keys):
        for when, count in series[key].items():
            column = (_as_date(when) - first).days
            if 0 <= column < width:
                out[row, column] += count
    return keys, out


def _earliest(series: Mapping[Hashable, Mapping[date, int]], day: date) -> date:
    """The first day with data: days before it are unknown, not zero."""
    return min((_as_date(when) for counts in series.values() for when in counts), default=day)


def history_days(settings: Settings = DEFAULT, recent_weeks: int = 4) -> int:
    """Days of history before the day examined that any check can use (seasonality included)."""
    longest_year = max((b - a).days for a, b in zip(SPRINGS, SPRINGS[1:], strict=False))
    return longest_year + 7 * (settings.weeks + recent_weeks) + 7


def detect_counts(
    series: Mapping[Hashable, Mapping[date, int]],
    day: date,
    sensitive: Iterable = (),
    settings: Settings = DEFAULT,
) -> list[Surge]:
    """`detect` for key → {date: count} (missing days are zero)."""
    day = _as_date(day)
    first = max(day - timedelta(days=history_days(settings)), _earliest(series, day))
    keys, counts = dense(series, first, day)
    return detect(counts, first, day, keys, sensitive, settings)


def rising_counts(
    series: Mapping[Hashable, Mapping[date, int]],
    day: date,
    recent_weeks: int = 4,
    settings: Settings = DEFAULT,
) -> list[Surge]:
    """`detect_rising` for key → {date: count}, e.g. {"repeat": {...}, "collective": {...}}."""
    day = _as_date(day)
    first = max(day - timedelta(days=history_days(settings, recent_weeks)), _earliest(series, day))
    keys, counts = dense(series, first, day)
    return detect_rising(counts, first, day, keys, recent_weeks, settings)
