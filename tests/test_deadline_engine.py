"""The deadline engine on its own (no database).

Every expected date below was worked out by hand from the State Council schedules:
- 2025 National Day + Mid-Autumn: 10-01..10-08 off; Sun 09-28 and Sat 10-11 are 调休 working days.
- 2026 Spring Festival: 02-15..02-23 off; Sat 02-14 and Sat 02-28 are 调休 working days.
- 2025 Dragon Boat: 05-31..06-02 off. 2025 Qingming: 04-04..04-06 off.
"""

import functools
import random
from datetime import date, timedelta

import chinese_calendar
import pytest

from xinfang.deadlines.engine import (
    BUILTIN_LAST_YEAR,
    Deadline,
    Pause,
    Period,
    ScheduleUnknown,
    WorkCalendar,
    compute_deadline,
    light,
    naive_due_date,
    window_is_open,
)
from xinfang.deadlines.policies import NATIONAL, ZHEJIANG

D = date


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar()


def due(cal, start, days, working=False, **kw):
    return compute_deadline(start, Period(days, working), cal, **kw).due


# --- the calendar itself -------------------------------------------------------------------------


def test_builtin_schedule_includes_tiaoxiu_days(cal):
    assert BUILTIN_LAST_YEAR == 2026
    assert cal.is_workday(D(2025, 9, 28))  # Sunday, 调休
    assert cal.is_workday(D(2025, 10, 11))  # Saturday, 调休
    assert not cal.is_workday(D(2025, 10, 8))  # Wednesday, holiday
    assert not cal.is_workday(D(2025, 9, 27))  # ordinary Saturday
    assert cal.is_workday(D(2026, 2, 14))
    assert cal.is_workday(D(2026, 2, 28))
    assert not cal.is_workday(D(2026, 2, 23))  # Monday, holiday
    assert cal.next_workday(D(2025, 10, 1)) == D(2025, 10, 9)
    assert cal.next_workday(D(2025, 9, 27)) == D(2025, 9, 28)
    assert cal.next_workday(D(2025, 9, 30)) == D(2025, 9, 30)
    assert cal.working_days_in(D(2025, 9, 27), D(2025, 10, 12)) == 6  # 9-28,29,30, 10-9,10,11
    assert cal.working_days_in(D(2025, 10, 2), D(2025, 10, 1)) == 0


def test_builtin_schedule_matches_chinese_calendar_day_by_day(cal):
    day = D(2020, 1, 1)
    while day <= D(2026, 12, 31):
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --- the two examples from the issue ------------------------------------------------------------


def test_example_15_calendar_days_rolls_over_national_day(cal):
    # 09-16 + 15 = 10-01 (holiday) -> first working day after the break is 10-09
    assert due(cal, D(2025, 9, 16), 15) == D(2025, 10, 9)


def test_example_15_working_days_across_national_day(cal):
    # 09-28(1) 29(2) 30(3) | 10-09(4) 10(5) 11(6) 13(7) .. 17(11) 20(12) 21(13) 22(14) 23(15)
    assert due(cal, D(2025, 9, 26), 15, working=True) == D(2025, 10, 23)


# --- calendar-day periods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (D(2025, 9, 23), 15, D(2025, 10, 9)),  # ends 10-08, last holiday day
        (D(2025, 9, 13), 15, D(2025, 9, 28)),  # ends on 调休 Sunday: working, no roll
        (D(2025, 9, 26), 15, D(2025, 10, 11)),  # ends on 调休 Saturday: working, no roll
        (D(2025, 9, 27), 15, D(2025, 10, 13)),  # ends on Sunday 10-12 -> Monday
        (D(2025, 9, 12), 15, D(2025, 9, 28)),  # ends on Saturday 09-27 -> the 调休 Sunday after it
        (D(2025, 10, 1), 15, D(2025, 10, 16)),  # starts on a holiday
        (D(2025, 10, 3), 5, D(2025, 10, 9)),  # starts and ends inside the holiday
        (D(2026, 2, 1), 15, D(2026, 2, 24)),  # ends 02-16 in Spring Festival
        (D(2026, 1, 30), 15, D(2026, 2, 14)),  # ends on 调休 Saturday before the festival
        (D(2026, 2, 13), 15, D(2026, 2, 28)),  # ends on 调休 Saturday after the festival
        (D(2026, 2, 14), 15, D(2026, 3, 2)),  # ends on Sunday 03-01 -> Monday
        (D(2026, 2, 17), 5, D(2026, 2, 24)),  # starts on a holiday, ends 02-22 in the holiday
        (D(2026, 2, 17), 15, D(2026, 3, 4)),  # starts on a holiday, ends on a Wednesday
        (D(2025, 12, 20), 60, D(2026, 2, 24)),  # 60-day handling ends 02-18 in Spring Festival
        (D(2025, 7, 3), 60, D(2025, 9, 1)),  # plain Monday
    ],
)
def test_calendar_days(cal, start, days, expected):
    result = compute_deadline(start, Period(days), cal)
    assert result.due == expected
    assert result.provisional is False


# --- working-day periods -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, days, expected",
    [
        # 5-working-day windows (jurisdiction dispute, Zhejiang registration)
        (D(2025, 9, 22), 5, D(2025, 9, 28)),  # 23 24 25 26 | Sun 28: ends on the 调休 Sunday
        (D(2025, 9, 30), 5, D(2025, 10, 14)),  # 10-09 10 11 13 14
        (D(2025, 10, 1), 5, D(2025, 10, 14)),  # starts on a holiday: same as above
        (D(2025, 10, 3), 5, D(2025, 10, 14)),
        (D(2025, 10, 6), 3, D(2025, 10, 11)),  # 10-09 10 | Sat 11 (调休)
        (D(2025, 9, 29), 1, D(2025, 9, 30)),
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # Friday -> the 调休 Sunday, skipping Saturday
        (D(2026, 2, 12), 5, D(2026, 2, 26)),  # 13 | Sat 14 | 24 25 26
        (D(2026, 2, 15), 5, D(2026, 2, 28)),  # starts on a holiday: 24 25 26 27 | Sat 28
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 2, 9), 15, D(2026, 3, 6)),  # 10..14 (5) | 24..28 (10) | 03-02..06 (15)
    ],
)
def test_working_days(cal, start, days, expected):
    result = compute_deadline(start, Period(days, working=True), cal)
    assert result.due == expected
    assert result.provisional is False


def test_dispute_window_is_open_through_the_last_day(cal):
    period = NATIONAL["jurisdiction_dispute"]
    assert period == Period(5, working=True)
    assert window_is_open(D(2025, 10, 14), D(2025, 9, 30), period, cal)
    assert not window_is_open(D(2025, 10, 15), D(2025, 9, 30), period, cal)


def test_zhejiang_registration_is_5_working_days(cal):
    assert compute_deadline(D(2026, 2, 12), ZHEJIANG["dispatch"], cal).due == D(2026, 2, 26)
    assert compute_deadline(D(2026, 2, 12), NATIONAL["dispatch"], cal).due == D(2026, 2, 27)  # 15 日


# --- zero-day periods ----------------------------------------------------------------------------


def test_zero_calendar_days_is_the_start_day_or_the_next_working_day(cal):
    assert due(cal, D(2025, 9, 30), 0) == D(2025, 9, 30)
    assert due(cal, D(2025, 9, 28), 0) == D(2025, 9, 28)  # 调休 Sunday
    assert due(cal, D(2025, 10, 1), 0) == D(2025, 10, 9)


def test_zero_working_days_is_the_start_day(cal):
    assert due(cal, D(2025, 9, 30), 0, working=True) == D(2025, 9, 30)
    # not rolled even when the start day is a holiday, exactly like the day-by-day reference
    assert due(cal, D(2025, 10, 1), 0, working=True) == D(2025, 10, 1)
    assert naive_due_date(D(2025, 10, 1), Period(0, True), cal.is_workday) == D(2025, 10, 1)


def test_zero_day_warn_from_is_the_start_day(cal):
    result = compute_deadline(D(2025, 9, 30), Period(0), cal)
    assert result.warn_from == D(2025, 9, 30)


def test_negative_period_is_refused():
    with pytest.raises(ValueError, match="不能为负数"):
        Period(-1)


# --- admin overrides -----------------------------------------------------------------------------


def test_local_holiday_pushes_calendar_deadline():
    cal = WorkCalendar({D(2025, 10, 9): False})
    assert due(cal, D(2025, 9, 16), 15) == D(2025, 10, 10)


def test_local_holiday_pushes_working_deadline():
    cal = WorkCalendar({D(2025, 10, 9): False})
    assert due(cal, D(2025, 9, 26), 15, working=True) == D(2025, 10, 24)


def test_weekend_made_working_day_by_override():
    base = WorkCalendar()
    cal = WorkCalendar({D(2025, 10, 12): True})
    assert due(base, D(2025, 9, 27), 15) == D(2025, 10, 13)
    assert due(cal, D(2025, 9, 27), 15) == D(2025, 10, 12)
    assert due(base, D(2025, 10, 10), 2, working=True) == D(2025, 10, 13)
    assert due(cal, D(2025, 10, 10), 2, working=True) == D(2025, 10, 12)


def test_override_wins_over_builtin_tiaoxiu_day():
    cal = WorkCalendar({D(2025, 9, 28): False})
    assert not cal.is_workday(D(2025, 9, 28))
    assert due(cal, D(2025, 9, 13), 15) == D(2025, 9, 29)
    assert due(cal, D(2025, 9, 22), 5, working=True) == D(2025, 9, 29)


# --- years without a built-in schedule -----------------------------------------------------------

# A made-up 2027 schedule as an admin would enter it: New Year's Day off, Sat 01-09 a working day.
ENTERED_2027 = {D(2027, 1, 1): False, D(2027, 1, 9): True}


def test_working_days_into_unknown_year_raise_schedule_unknown(cal):
    with pytest.raises(ScheduleUnknown) as info:
        due(cal, D(2026, 12, 24), 10, working=True)
    assert info.value.year == 2027
    assert "2027年" in str(info.value)
    assert "尚未录入" in str(info.value)


def test_working_days_starting_in_unknown_year_raise(cal):
    with pytest.raises(ScheduleUnknown, match="2027年"):
        due(cal, D(2027, 3, 1), 5, working=True)


def test_working_days_that_stay_in_known_year_are_fine(cal):
    # 12-25(1) 28 29 30 31(5)
    assert due(cal, D(2026, 12, 24), 5, working=True) == D(2026, 12, 31)


def test_overrides_in_unknown_year_alone_do_not_make_it_known():
    cal = WorkCalendar(ENTERED_2027)
    with pytest.raises(ScheduleUnknown, match="2027年"):
        due(cal, D(2026, 12, 24), 10, working=True)


def test_entered_year_allows_working_days_in_2027():
    cal = WorkCalendar(ENTERED_2027, entered_years=[2027])
    # 12-25(1) 28 29 30 31(5) | 01-01 off | 01-04(6) 5 6 7 8(10) | Sat 01-09 (11)
    assert due(cal, D(2026, 12, 24), 10, working=True) == D(2027, 1, 8)
    assert due(cal, D(2026, 12, 24), 11, working=True) == D(2027, 1, 9)
    assert due(cal, D(2027, 1, 8), 1, working=True) == D(2027, 1, 9)
    assert due(cal, D(2027, 1, 9), 1, working=True) == D(2027, 1, 11)  # Sunday 01-10 is off
    # a calendar-day deadline in the entered year is exact, not provisional
    result = compute_deadline(D(2026, 12, 17), Period(15), cal)
    assert result == Deadline(due=D(2027, 1, 4), warn_from=D(2026, 12, 28), provisional=False)


def test_entered_year_does_not_reach_the_year_after():
    cal = WorkCalendar(ENTERED_2027, entered_years=[2027])
    with pytest.raises(ScheduleUnknown, match="2028年"):
        due(cal, D(2027, 12, 24), 10, working=True)


def test_non_contiguous_entered_year_is_not_usable():
    # 2027 is missing, so 2028 cannot be reached even though it was entered
    cal = WorkCalendar(entered_years=[2028])
    with pytest.raises(ScheduleUnknown):
        due(cal, D(2028, 3, 1), 5, working=True)


# --- provisional calendar-day deadlines ----------------------------------------------------------


def test_calendar_days_into_unknown_year_are_provisional(cal):
    # 12-17 + 15 = Fri 2027-01-01: a weekday, so kept (the real schedule will surely differ)
    assert compute_deadline(D(2026, 12, 17), Period(15), cal) == Deadline(
        due=D(2027, 1, 1), warn_from=D(2026, 12, 28), provisional=True
    )
    # 12-18 + 15 = Sat 2027-01-02 -> Monday 01-04 by the weekend rule
    result = compute_deadline(D(2026, 12, 18), Period(15), cal)
    assert (result.due, result.provisional) == (D(2027, 1, 4), True)
    # 12-20 + 15 = Mon 2027-01-04
    result = compute_deadline(D(2026, 12, 20), Period(15), cal)
    assert (result.due, result.provisional) == (D(2027, 1, 4), True)


def test_calendar_days_starting_in_unknown_year_are_provisional(cal):
    # 2027-03-01 + 60 = Fri 04-30
    result = compute_deadline(D(2027, 3, 1), Period(60), cal)
    assert (result.due, result.provisional) == (D(2027, 4, 30), True)


def test_roll_from_known_rest_day_into_unknown_year_keeps_the_rest_day():
    # 12-16 + 15 = Thu 12-31, made a local holiday; the next day is in unknown 2027.
    cal = WorkCalendar({D(2026, 12, 31): False})
    result = compute_deadline(D(2026, 12, 16), Period(15), cal)
    assert (result.due, result.provisional) == (D(2027, 1, 1), True)


def test_known_calendar_deadline_is_not_provisional(cal):
    assert compute_deadline(D(2025, 9, 16), Period(15), cal).provisional is False
    assert compute_deadline(D(2026, 12, 10), Period(15), cal).provisional is False  # Fri 12-25


# --- pauses (hearings) ---------------------------------------------------------------------------

# 2025-06-02 (Dragon Boat holiday, not counted anyway) + 30 = Wed 07-02.
BASE = D(2025, 6, 2)


def test_pause_base_case(cal):
    assert due(cal, BASE, 30) == D(2025, 7, 2)


def test_pause_of_n_days_shifts_calendar_deadline_by_n(cal):
    assert due(cal, BASE, 30, pauses=[Pause(D(2025, 6, 9), D(2025, 6, 15))]) == D(2025, 7, 9)
    assert due(cal, BASE, 30, pauses=[Pause(D(2025, 6, 10), D(2025, 6, 10))]) == D(2025, 7, 3)


def test_pause_outside_period_has_no_effect(cal):
    assert due(cal, BASE, 30, pauses=[Pause(D(2025, 7, 3), D(2025, 7, 20))]) == D(2025, 7, 2)
    assert due(cal, BASE, 30, pauses=[Pause(D(2025, 5, 20), D(2025, 6, 2))]) == D(2025, 7, 2)


def test_pause_straddling_start_counts_only_days_inside(cal):
    # 06-03 and 06-04 are inside the period
    assert due(cal, BASE, 30, pauses=[Pause(D(2025, 5, 30), D(2025, 6, 4))]) == D(2025, 7, 4)


def test_pause_straddling_end_resumes_after_the_pause(cal):
    # 06-30, 07-01, 07-02 were still owed when the pause began: 07-05 + 3 = Tue 07-08
    assert due(cal, BASE, 30, pauses=[Pause(D(2025, 6, 30), D(2025, 7, 5))]) == D(2025, 7, 8)


def test_two_pauses_add_up(cal):
    pauses = [Pause(D(2025, 6, 20), D(2025, 6, 22)), Pause(D(2025, 6, 9), D(2025, 6, 10))]
    assert due(cal, BASE, 30, pauses=pauses) == D(2025, 7, 7)


def test_pause_after_original_end_but_inside_extended_period_counts(cal):
    # first pause moves the end to 07-09; the second (07-05..06) then falls inside: 07-11
    pauses = [Pause(D(2025, 6, 9), D(2025, 6, 15)), Pause(D(2025, 7, 5), D(2025, 7, 6))]
    assert due(cal, BASE, 30, pauses=pauses) == D(2025, 7, 11)


def test_overlapping_pauses_count_each_day_once(cal):
    union = due(cal, BASE, 30, pauses=[Pause(D(2025, 6, 9), D(2025, 6, 15))])
    overlapping = [Pause(D(2025, 6, 9), D(2025, 6, 13)), Pause(D(2025, 6, 11), D(2025, 6, 15))]
    nested = [Pause(D(2025, 6, 9), D(2025, 6, 15)), Pause(D(2025, 6, 10), D(2025, 6, 11))]
    assert due(cal, BASE, 30, pauses=overlapping) == union == D(2025, 7, 9)
    assert due(cal, BASE, 30, pauses=nested) == D(2025, 7, 9)


def test_pause_can_push_calendar_deadline_onto_a_holiday(cal):
    # 09-16 + 15 = 10-01 already; a 1-day pause makes it 10-02, still rolled to 10-09
    assert due(cal, D(2025, 9, 16), 15, pauses=[Pause(D(2025, 9, 20), D(2025, 9, 20))]) == D(2025, 10, 9)
    # 09-10 + 15 = Thu 09-25; a 3-day pause -> Sun 09-28, a 调休 working day
    assert due(cal, D(2025, 9, 10), 15, pauses=[Pause(D(2025, 9, 15), D(2025, 9, 17))]) == D(2025, 9, 28)


def test_pause_on_working_days_counts_only_working_days(cal):
    start = D(2025, 9, 26)  # + 15 working days = 10-23
    # 10-01..10-10 holds only two working days (10-09, 10-10): 10-24, 10-27
    assert due(cal, start, 15, True, pauses=[Pause(D(2025, 10, 1), D(2025, 10, 10))]) == D(2025, 10, 27)
    # a pause entirely within the holiday changes nothing
    assert due(cal, start, 15, True, pauses=[Pause(D(2025, 10, 4), D(2025, 10, 8))]) == D(2025, 10, 23)
    # a 7-day pause 10-13..10-19 holds 5 working days: 10-24 27 28 29 30
    assert due(cal, start, 15, True, pauses=[Pause(D(2025, 10, 13), D(2025, 10, 19))]) == D(2025, 10, 30)
    # the same 7-day pause on a calendar-day period counts 7 days
    assert due(cal, D(2025, 10, 9), 15, pauses=[Pause(D(2025, 10, 13), D(2025, 10, 19))]) == D(2025, 10, 31)


def test_pause_moves_warn_from_too(cal):
    plain = compute_deadline(BASE, Period(30), cal)
    paused = compute_deadline(BASE, Period(30), cal, pauses=[Pause(D(2025, 6, 9), D(2025, 6, 15))])
    assert plain.warn_from == D(2025, 6, 23)  # 21 days
    assert paused.warn_from == D(2025, 6, 30)


# --- extensions ----------------------------------------------------------------------------------


def test_extension_60_plus_30(cal):
    start = D(2025, 7, 3)
    plain = compute_deadline(start, NATIONAL["handling"], cal)
    extended = compute_deadline(start, NATIONAL["handling"], cal, extension=NATIONAL["extension_max"])
    assert plain.due == D(2025, 9, 1)
    # 07-03 + 90 = 10-01 -> 10-09
    assert extended.due == D(2025, 10, 9)
    # 70% of 90 = 63 days: 09-04
    assert extended.warn_from == D(2025, 9, 4)
    assert extended == compute_deadline(start, Period(90), cal)


def test_extension_across_spring_festival(cal):
    # 12-20 + 90 = Fri 2026-03-20
    result = compute_deadline(D(2025, 12, 20), Period(60), cal, extension=Period(30))
    assert result.due == D(2026, 3, 20)


def test_working_extension(cal):
    # 09-26 + 5 + 10 working days = the 15-working-day date
    result = compute_deadline(D(2025, 9, 26), Period(5, True), cal, extension=Period(10, True))
    assert result.due == D(2025, 10, 23)


def test_extension_must_match_period_kind(cal):
    with pytest.raises(ValueError, match="计日方式"):
        compute_deadline(D(2025, 7, 3), Period(60), cal, extension=Period(30, working=True))


# --- warn_from and the traffic light -------------------------------------------------------------


@pytest.mark.parametrize(
    "start, period, warn_from, due_date",
    [
        (D(2025, 6, 2), Period(30), D(2025, 6, 23), D(2025, 7, 2)),  # 21 of 30 days
        (D(2025, 7, 3), Period(60), D(2025, 8, 14), D(2025, 9, 1)),  # 42 of 60 days
        (D(2025, 9, 16), Period(15), D(2025, 9, 27), D(2025, 10, 9)),  # ceil(10.5) = 11 days, not rolled
        (D(2025, 9, 26), Period(15, True), D(2025, 10, 17), D(2025, 10, 23)),  # 11th working day
        (D(2025, 9, 22), Period(5, True), D(2025, 9, 26), D(2025, 9, 28)),  # ceil(3.5) = 4th
    ],
)
def test_warn_from_and_light_boundaries(cal, start, period, warn_from, due_date):
    deadline = compute_deadline(start, period, cal)
    assert (deadline.warn_from, deadline.due) == (warn_from, due_date)
    assert light(warn_from - timedelta(days=1), deadline) == "normal"
    assert light(warn_from, deadline) == "warning"
    assert light(due_date, deadline) == "warning"
    assert light(due_date + timedelta(days=1), deadline) == "overdue"
    assert light(start, deadline) == "normal"


def test_light_on_zero_day_period(cal):
    deadline = compute_deadline(D(2025, 9, 30), Period(0), cal)
    assert light(D(2025, 9, 29), deadline) == "normal"
    assert light(D(2025, 9, 30), deadline) == "warning"
    assert light(D(2025, 10, 1), deadline) == "overdue"


def test_warn_from_never_after_due(cal):
    for days in range(0, 40):
        for working in (False, True):
            d = compute_deadline(D(2025, 9, 20), Period(days, working), cal)
            assert d.warn_from <= d.due


# --- randomized cross-check against the day-by-day reference -------------------------------------


def _random_cases(rng, n):
    first, last = D(2020, 1, 1), D(2026, 5, 31)
    span = (last - first).days
    for _ in range(n):
        start = first + timedelta(days=rng.randrange(span + 1))
        # 100 working days is at most ~5 months here, so every end stays inside 2026
        yield start, Period(rng.randrange(0, 101), working=rng.random() < 0.5)


def _reference_is_workday(overrides):
    # independent of WorkCalendar's arrays: straight from chinese_calendar plus the overrides
    @functools.cache
    def is_workday(day):
        return overrides[day] if day in overrides else chinese_calendar.is_workday(day)

    return is_workday


def test_random_cross_check_against_naive(cal):
    rng = random.Random(20250916)
    reference = _reference_is_workday({})
    checked = 0
    for start, period in _random_cases(rng, 4000):
        result = compute_deadline(start, period, cal)
        assert result.due == naive_due_date(start, period, reference), (start, period)
        assert result.provisional is False
        checked += 1
    assert checked == 4000


def test_random_cross_check_with_overrides():
    rng = random.Random(7)
    overrides = {}
    for _ in range(300):
        day = D(2020, 1, 1) + timedelta(days=rng.randrange(7 * 365))
        overrides[day] = rng.random() < 0.5
    cal = WorkCalendar(overrides)
    reference = _reference_is_workday(overrides)
    for start, period in _random_cases(rng, 2000):
        assert compute_deadline(start, period, cal).due == naive_due_date(start, period, reference), (
            start,
            period,
        )
