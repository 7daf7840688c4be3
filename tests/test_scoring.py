"""Unit scoring (考核): the counts behind every score line, read from records made through the real
write path, and the formulas of the scheme on hand-computed numbers."""

from dataclasses import fields
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from conftest import Driver, at

from xinfang.petitions.services import link_repeat, perform
from xinfang.supervision import ownership, score_counts
from xinfang.supervision.models import ScoreScheme
from xinfang.supervision.scorecard import PARTS, Counts, Weights, score

START, END, TODAY = date(2025, 4, 1), date(2025, 6, 30), date(2025, 7, 10)


def walk(world, received, *steps, **register):
    """Register a matter on `received` (a 2025 date) and run each (action, (month, day), params)."""
    d = Driver(world, start=at(2025, *received))
    matter = d.register(**register)
    for action, day, *params in steps:
        d.now = at(2025, *day)
        matter = d.do(matter, action, days=0, **(params[0] if params else {}))
    return matter


def own(world, matter, started, target, resolved=None):
    owned = ownership.take_ownership(
        world.sam,
        matter,
        leader=world.leo,
        unit=world.units.d1_dept,
        plan="领导包案化解。",
        target_date=target,
        now=at(2025, *started),
    )
    if resolved:
        ownership.resolve_ownership(world.leo, owned, resolution="solved", result="已化解。", on=resolved)
    return owned


@pytest.fixture
def book(world):
    """Matters of 东城区住建局 (d1_dept), judged for the period 2025-04-01..06-30 on 07-10.

    National rules: 转送交办 and 受理 15 days, 办理 60 days, 评价 30 days, each counted from the day
    after the start and, if it ends on a rest day, ending on the next working day (2025: 劳动节
    05-01..05-05, 端午 05-31..06-02)."""
    w = world
    sat, basic, unsat = {"rating": "satisfied"}, {"rating": "basically"}, {"rating": "unsatisfied"}
    m = SimpleNamespace()
    # A: 受理 due 04-02+15 = 04-17, accepted 04-03 (on time); 办理 due 04-03+60 = 06-02 (端午) → 06-03,
    #    approved 04-21 (on time); rated 满意 04-22.
    m.A = walk(
        w,
        (4, 1),
        ("assign", (4, 2)),
        ("accept", (4, 3)),
        ("submit_reply", (4, 20)),
        ("approve_reply", (4, 21)),
        ("rate", (4, 22), sat),
    )
    # B: 受理 due 04-17, accepted 04-20 (late); 办理 due 04-20+60 = 06-19, approved 06-21 (late);
    #    rated 基本满意 06-22.
    m.B = walk(
        w,
        (4, 1),
        ("assign", (4, 2)),
        ("accept", (4, 20)),
        ("submit_reply", (6, 20)),
        ("approve_reply", (6, 21)),
        ("rate", (6, 22), basic),
    )
    # C: 受理 due 04-08+15 = 04-23, accepted 04-09; 办理 due 04-09+60 = 06-08 (Sun) → 06-09,
    #    approved 05-07; rated 不满意 05-08.
    m.C = walk(
        w,
        (4, 7),
        ("assign", (4, 8)),
        ("accept", (4, 9)),
        ("submit_reply", (5, 6)),
        ("approve_reply", (5, 7)),
        ("rate", (5, 8), unsat),
    )
    # D: as C, approved 04-29 (on time); 评价 due 04-29+30 = 05-29, never rated.
    m.D = walk(
        w,
        (4, 7),
        ("assign", (4, 8)),
        ("accept", (4, 9)),
        ("submit_reply", (4, 28)),
        ("approve_reply", (4, 29)),
    )
    # E: 受理 due 06-04+15 = 06-19, never accepted.
    m.E = walk(w, (6, 3), ("assign", (6, 4)))
    # F: 受理 due 04-15+15 = 04-30, accepted 04-16; 办理 due 04-16+60 = 06-15 (Sun) → 06-16; reply
    #    submitted 06-10 but never approved.
    m.F = walk(w, (4, 14), ("assign", (4, 15)), ("accept", (4, 16)), ("submit_reply", (6, 10)))
    # G (received before the period): 受理 due 03-19 (outside); 办理 due 03-05+60 = 05-04 (劳动节) →
    #    05-06, inside the period, approved 03-11 (on time); rated 03-12 (outside).
    m.G = walk(
        w,
        (3, 3),
        ("assign", (3, 4)),
        ("accept", (3, 5)),
        ("submit_reply", (3, 10)),
        ("approve_reply", (3, 11)),
        ("rate", (3, 12), sat),
    )
    # I: 受理 due 05-07+15 = 05-22, accepted 05-26 (late); 办理 due 05-26+60 = 07-25 (outside).
    m.I = walk(w, (5, 6), ("assign", (5, 7)), ("accept", (5, 26)))
    # J: 受理 due 04-17, accepted 04-20 (late); 办理 due 06-19; a hearing from 06-10 still under way:
    #    the clock is paused, so it is not 超期未答复 although its provisional due date (06-20) passed.
    m.J = walk(w, (4, 1), ("assign", (4, 2)), ("accept", (4, 20)), ("start_hearing", (6, 10)))
    assert m.J.clock_paused and m.J.due_date == date(2025, 6, 20)
    # H, for 东湖街道办 (t1): 受理 due 04-17, accepted 04-03; 办理 due 06-03, still handling.
    m.H = walk(w, (4, 1), ("assign", (4, 2), {"unit": w.units.t1}), ("accept", (4, 3), {"actor": w.tom}))
    # Repeat petitions: of A and C in the period; of H (t1's); of G before the period.
    m.R1, m.R2, m.R3, m.R4 = (walk(w, day) for day in ((5, 10), (6, 1), (5, 12), (3, 20)))
    for again, original in ((m.R1, m.A), (m.R2, m.C), (m.R3, m.H), (m.R4, m.G)):
        link_repeat(again.pk, w.alice, original, now=again.received_at)
    # 包案: B open all along; F resolved 06-15; G resolved before the period; I started after it.
    m.own_B = own(w, m.B, (4, 10), date(2025, 6, 30))
    m.own_F = own(w, m.F, (5, 1), date(2025, 6, 30), resolved=date(2025, 6, 15))
    m.own_G = own(w, m.G, (3, 10), date(2025, 3, 31), resolved=date(2025, 3, 25))
    m.own_I = own(w, m.I, (7, 5), date(2025, 7, 31))
    return m


EXPECTED = Counts(
    timely_on=4,  # A, C, D, F (G's 受理 was due before the period)
    timely_late=3,  # B, I, J
    timely_open=1,  # E
    reply_on=4,  # A, C, D, G (G's 办理 was due 05-06)
    reply_late=1,  # B
    reply_open=1,  # F (submitted, not approved); J's clock is paused
    satisfied=2,  # A 满意, B 基本满意 (G's rating was before the period)
    rated=3,  # A, B, C
    unrated_expired=1,  # D (B's window ends 07-21, after the period)
    repeats=2,  # R1, R2
    petitions=8,  # A B C D E F I J received in the period
    owned=2,  # B, F
    owned_resolved=1,  # F
)


def test_unit_counts_field_by_field(world, book):
    counts = score_counts.unit_counts(START, END, TODAY)
    got = counts[world.units.d1_dept.pk]
    for f in fields(Counts):
        assert (f.name, getattr(got, f.name)) == (f.name, getattr(EXPECTED, f.name))
    assert counts[world.units.t1.pk] == Counts(timely_on=1, reply_open=1, repeats=1, petitions=1)
    assert world.units.d2_dept.pk not in counts


def test_score_of_the_fixture(world, book):
    result = score(score_counts.unit_counts(START, END, TODAY)[world.units.d1_dept.pk], Weights())
    # 及时受理率 5 × 4/(4+3+1) = 2.5; 按期办结率 10 × 4/(4+1+1) = 6.67; 满意率 10 × 2/3 = 6.67;
    # 参评率 5 × 3/(3+1) = 3.75; 重复信访 −1 × 2 = −2; 包案化解率 1/2 = 50% < 85% → −5.
    # 2.5 + 6.67 + 6.67 + 3.75 − 2 − 5 = 12.59
    lines = {line.key: line for line in result.lines}
    assert {k: line.points for k, line in lines.items()} == {
        "timely": 2.5,
        "reply": 6.67,
        "satisfaction": 6.67,
        "participation": 3.75,
        "repeats": -2.0,
        "ownership": -5.0,
    }
    assert {k: (line.numerator, line.denominator) for k, line in lines.items()} == {
        "timely": (4, 8),
        "reply": (4, 6),
        "satisfaction": (2, 3),
        "participation": (3, 4),
        "repeats": (2, 8),
        "ownership": (1, 2),
    }
    assert result.total == 12.59
    assert result.maximum == 30


def test_judging_day_decides_what_is_open(world, book):
    unit = world.units.d1_dept.pk
    # E's 受理 is due 06-19: on that day it is not yet open; the next day it is.
    assert score_counts.unit_counts(START, END, date(2025, 6, 19))[unit].timely_open == 0
    assert score_counts.unit_counts(START, END, date(2025, 6, 20))[unit].timely_open == 1
    # F's 办理 is due 06-16 and D's 评价 window 05-29: both passed by 06-17, B's 06-19 not yet.
    early = score_counts.unit_counts(START, END, date(2025, 6, 17))[unit]
    assert (early.reply_open, early.unrated_expired, early.reply_late) == (1, 1, 1)


def test_matters_behind_every_part(world, book):
    m = book
    expected = {
        "timely_on": {m.A, m.C, m.D, m.F},
        "timely_late": {m.B, m.I, m.J},
        "timely_open": {m.E},
        "reply_on": {m.A, m.C, m.D, m.G},
        "reply_late": {m.B},
        "reply_open": {m.F},
        "satisfied": {m.A, m.B},
        "unsatisfied": {m.C},
        "rated": {m.A, m.B, m.C},
        "unrated_expired": {m.D},
        "repeats": {m.R1, m.R2},
        "petitions": {m.A, m.B, m.C, m.D, m.E, m.F, m.I, m.J},
        "owned": {m.B, m.F},
        "owned_resolved": {m.F},
        "owned_open": {m.B},
    }
    assert set(expected) == set(PARTS)
    unit = world.units.d1_dept.pk
    for part, matters in expected.items():
        got = set(score_counts.matters_behind(part, unit, START, END, TODAY).values_list("pk", flat=True))
        assert (part, got) == (part, {x.pk for x in matters})
    with pytest.raises(KeyError):
        score_counts.matters_behind("bogus", unit, START, END, TODAY)


def test_a_paused_step_counts_again_once_the_hearing_ends(world, book):
    # J: 04-21..06-09 used 50 of the 60 days; the 10 left run again from 07-02 → due 07-11.
    j = perform(book.J.pk, world.hope, "end_hearing", now=at(2025, 7, 1))
    assert (j.clock_paused, j.due_date) == (False, date(2025, 7, 11))
    unit = world.units.d1_dept.pk
    assert score_counts.unit_counts(START, END, TODAY)[unit].reply_open == 1  # still only F
    july = (date(2025, 7, 1), date(2025, 7, 31))
    assert score_counts.unit_counts(*july, date(2025, 7, 11))[unit].reply_open == 0  # the last day
    assert score_counts.unit_counts(*july, date(2025, 7, 12))[unit].reply_open == 1
    behind = score_counts.matters_behind("reply_open", unit, *july, date(2025, 7, 12))
    assert list(behind.values_list("pk", flat=True)) == [j.pk]


# ---------------------------------------------------------------- the formulas alone


def test_no_cases_is_no_data_not_full_marks():
    result = score(Counts())
    assert result.total == 0 and result.maximum == 30 and result.possible == 0  # 5 + 10 + 10 + 5
    assert result.rate is None and not result.ranked
    lines = {line.key: line for line in result.lines}
    for key in ("timely", "reply", "satisfaction", "participation"):
        assert (lines[key].points, lines[key].note, lines[key].rate) == (
            None,
            "无数据：本期无应计事项，不计分",
            None,
        )
    assert lines["repeats"].points == 0
    assert (lines["ownership"].points, lines["ownership"].note) == (0, "本期无包案事项，不扣分")


def test_a_unit_is_compared_on_what_it_has_data_for():
    # Two answers, both on time, nothing else: 10 of the 10 points possible, but too few to rank.
    idle = score(Counts(reply_on=2))
    assert (idle.total, idle.possible, idle.rate, idle.volume, idle.ranked) == (10, 10, 1.0, 2, False)
    # A busy unit at 90 % (参评率 100 %): 27.5 of 30, a lower rate than the idle one, but ranked.
    busy = score(
        Counts(timely_on=9, timely_late=1, reply_on=9, reply_late=1, satisfied=9, rated=10, unrated_expired=0)
    )
    assert busy.total == 27.5 and busy.rate == pytest.approx(27.5 / 30) and busy.ranked  # 4.5 + 9 + 9 + 5


def test_ownership_threshold():
    below = score(Counts(owned=20, owned_resolved=16))  # 80% < 85%
    at_line = score(Counts(owned=20, owned_resolved=17))  # exactly 85%
    above = score(Counts(owned=3, owned_resolved=3))
    assert below.total == -5 and below.lines[-1].note == "低于85%，扣5分"
    assert at_line.total == 0 and at_line.lines[-1].points == 0 and at_line.lines[-1].note == ""
    assert above.total == 0
    assert below.maximum == at_line.maximum == 30


def test_custom_weights_change_the_total():
    counts = Counts(
        timely_on=1, timely_late=1, reply_on=3, reply_open=1, rated=2, satisfied=1, repeats=3, petitions=10
    )
    # default: 5 × 1/2 + 10 × 3/4 + 10 × 1/2 + 5 × 2/2 − 1 × 3 = 2.5 + 7.5 + 5 + 5 − 3 = 17
    assert score(counts).total == 17
    custom = Weights(
        timely_acceptance=20,
        on_time_reply=8,
        satisfaction=4,
        participation=2,
        per_repeat=0.5,
        ownership_threshold=90,
        ownership_penalty=10,
    )
    # 20 × 1/2 + 8 × 3/4 + 4 × 1/2 + 2 × 1 − 0.5 × 3 = 10 + 6 + 2 + 2 − 1.5 = 18.5
    assert score(counts, custom).total == 18.5
    assert score(counts, custom).maximum == 34
    # 17/20 = 85%: enough under the default line, 10 points off under a 90% line
    owned = Counts(owned=20, owned_resolved=17)
    assert score(owned).total == 0 and score(owned, custom).total == -10


def test_counts_add_up():
    total = Counts(timely_on=1, repeats=2, owned=1) + Counts(timely_on=2, petitions=5, owned_resolved=1)
    assert total == Counts(timely_on=3, repeats=2, petitions=5, owned=1, owned_resolved=1)


# ---------------------------------------------------------------- the scheme in the database


def test_default_scheme_from_the_migration(db):
    scheme = ScoreScheme.objects.get(active=True)
    assert (
        scheme.timely_acceptance,
        scheme.on_time_reply,
        scheme.satisfaction,
        scheme.participation,
        scheme.per_repeat,
        scheme.ownership_threshold,
        scheme.ownership_penalty,
    ) == (5, 10, 10, 5, 1, 85, 5)
    assert score_counts.active_weights() == Weights()


def test_active_weights_read_the_edited_scheme(db):
    scheme = ScoreScheme.objects.get(active=True)
    scheme.satisfaction = Decimal("15")
    scheme.per_repeat = Decimal("0.5")
    scheme.save()
    assert score_counts.active_weights() == Weights(satisfaction=15, per_repeat=0.5)
    other = ScoreScheme.objects.create(name="市级方案", active=True, ownership_threshold=Decimal("90"))
    scheme.refresh_from_db()
    assert not scheme.active and ScoreScheme.objects.get(active=True) == other
    assert score_counts.active_weights() == Weights(ownership_threshold=90)
    ScoreScheme.objects.update(active=False)
    assert score_counts.active_weights() == Weights()


def test_a_matter_received_at_midnight_belongs_to_one_year_only(world):
    d = Driver(world, start=at(2026, 1, 1, 0))  # 2026-01-01 00:00 Beijing time
    d.do(d.register(), "assign", unit=world.units.d1_dept)
    unit = world.units.d1_dept.pk
    last_year = score_counts.unit_counts(date(2025, 1, 1), date(2025, 12, 31), date(2026, 3, 1)).get(
        unit, Counts()
    )
    this_year = score_counts.unit_counts(date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 1)).get(
        unit, Counts()
    )
    assert (last_year.petitions, this_year.petitions) == (0, 1)
    assert (
        score_counts.matters_behind(
            "petitions", unit, date(2025, 1, 1), date(2025, 12, 31), date(2026, 3, 1)
        ).count()
        == 0
    )
