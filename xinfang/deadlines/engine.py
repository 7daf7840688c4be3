"""Legal deadline arithmetic on the Chinese working-day calendar. Plain Python, no Django.

Rules:
- the start day is not counted;
- calendar-day periods that end on a rest day or public holiday end on the next working day;
- working days follow the State Council schedule including 调休 working weekends, with an
  admin-edited override table that takes precedence;
- a working-day period that runs into a year with no known schedule is refused (ScheduleUnknown);
- pause intervals (hearings) are not counted; extensions lengthen the period.

Days are looked up in arrays built once per calendar, so one deadline costs a few bisects instead
of a day-by-day walk.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar import constants as _cc

BUILTIN_FIRST_YEAR = min(_cc.holidays).year
BUILTIN_LAST_YEAR = max(d.year for d in list(_cc.holidays) + list(_cc.workdays))


class ScheduleUnknown(ValueError):
    """A working-day computation needs a year whose holiday schedule nobody has entered."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"{year}年的法定节假日和调休安排尚未录入，无法按工作日计算期限；"
            f"请系统管理员在「工作日历」中录入{year}年的安排后重试。"
        )


@dataclass(frozen=True)
class Period:
    """N days, calendar or working."""

    days: int
    working: bool = False

    def __post_init__(self):
        if self.days < 0:
            raise ValueError("期限天数不能为负数")

    def label(self) -> str:
        return f"{self.days}个工作日" if self.working else f"{self.days}日"


@dataclass(frozen=True)
class Pause:
    """Days first..last (inclusive) that do not count, e.g. a hearing."""

    first: date
    last: date


@dataclass(frozen=True)
class Deadline:
    due: date
    warn_from: date  # the day on which 70% of the period has been used (临期)
    provisional: bool = False  # calendar-day end rolled over weekends only: schedule of that year unknown


WARN_FRACTION = 0.7


class WorkCalendar:
    """Which days are working days, from `chinese-calendar` plus admin overrides.

    overrides: {date: True (working day) | False (rest day)}; they win over the built-in schedule.
    entered_years: years beyond the built-in data whose full schedule admins have entered
    (their holidays and 调休 days as overrides; every other weekday is a working day).
    """

    def __init__(self, overrides: dict[date, bool] | None = None, entered_years=()):
        self.overrides = dict(overrides or {})
        self.known_years = set(range(BUILTIN_FIRST_YEAR, BUILTIN_LAST_YEAR + 1)) | set(entered_years)
        self.first_year = min(self.known_years)
        self.last_year = self._last_contiguous_year()
        self.origin = date(self.first_year, 1, 1)
        end = date(self.last_year, 12, 31)
        n = (end - self.origin).days + 1
        is_work = bytearray(n)
        for i in range(n):
            is_work[i] = self._lookup(self.origin + timedelta(days=i))
        self._is_work = is_work
        # cumulative[i] = working days in origin..origin+i
        cumulative, total = [], 0
        for flag in is_work:
            total += flag
            cumulative.append(total)
        self._cumulative = cumulative

    def _last_contiguous_year(self) -> int:
        year = self.first_year
        while year + 1 in self.known_years:
            year += 1
        return year

    def _lookup(self, day: date) -> int:
        if day in self.overrides:
            return 1 if self.overrides[day] else 0
        if BUILTIN_FIRST_YEAR <= day.year <= BUILTIN_LAST_YEAR:
            return 1 if chinese_calendar.is_workday(day) else 0
        return 1 if day.weekday() < 5 else 0

    def _index(self, day: date) -> int:
        i = (day - self.origin).days
        if i < 0 or i >= len(self._is_work):
            raise ScheduleUnknown(day.year)
        return i

    def is_known(self, day: date) -> bool:
        return 0 <= (day - self.origin).days < len(self._is_work)

    def is_workday(self, day: date) -> bool:
        return bool(self._is_work[self._index(day)])

    def next_workday(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        i = self._index(day)
        target = (self._cumulative[i - 1] if i else 0) + 1
        j = bisect_left(self._cumulative, target, lo=i)
        if j >= len(self._cumulative):
            raise ScheduleUnknown(self.last_year + 1)
        return self.origin + timedelta(days=j)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start itself not counted)."""
        i = self._index(start)
        if n == 0:
            return start
        j = bisect_left(self._cumulative, self._cumulative[i] + n, lo=i)
        if j >= len(self._cumulative):
            raise ScheduleUnknown(self.last_year + 1)
        return self.origin + timedelta(days=j)

    def working_days_in(self, first: date, last: date) -> int:
        """Working days in first..last inclusive."""
        if last < first:
            return 0
        i, j = self._index(first), self._index(last)
        return self._cumulative[j] - (self._cumulative[i - 1] if i else 0)


def _add(cal: WorkCalendar, start: date, n: int, working: bool) -> date:
    return cal.add_working_days(start, n) if working else start + timedelta(days=n)


def _units_in(cal: WorkCalendar, first: date, last: date, working: bool) -> int:
    if working:
        return cal.working_days_in(first, last)
    return max(0, (last - first).days + 1)


def _end_of(cal: WorkCalendar, start: date, n: int, working: bool, pauses) -> date:
    end = _add(cal, start, n, working)
    not_before = start + timedelta(days=1)  # days up to here are already uncounted or not in the period
    for pause in sorted(pauses, key=lambda p: p.first):
        first = max(pause.first, not_before)
        if first > end or pause.last < first:
            continue
        consumed = _units_in(cal, first, min(end, pause.last), working)
        end = _add(cal, max(end, pause.last), consumed, working)
        not_before = pause.last + timedelta(days=1)  # overlapping pauses must not count a day twice
    return end


def compute_deadline(
    start: date,
    period: Period,
    calendar: WorkCalendar,
    *,
    extension: Period | None = None,
    pauses: tuple[Pause, ...] | list[Pause] = (),
) -> Deadline:
    """Due date of `period` counted from `start`, lengthened by `extension` and `pauses`.

    An extension must be of the same kind (calendar/working) as the period it extends.
    """
    n = period.days
    if extension is not None:
        if extension.working != period.working:
            raise ValueError("延期的计日方式必须与原期限一致")
        n += extension.days
    warn_units = math.ceil(n * WARN_FRACTION)
    if period.working:
        due = _end_of(calendar, start, n, True, pauses)
        warn = _end_of(calendar, start, warn_units, True, pauses)
        return Deadline(due=due, warn_from=min(warn, due))
    raw_end = _end_of(calendar, start, n, False, pauses)
    warn = min(_end_of(calendar, start, warn_units, False, pauses), raw_end)
    if calendar.is_known(raw_end):
        try:
            return Deadline(due=calendar.next_workday(raw_end), warn_from=warn)
        except ScheduleUnknown:
            pass  # the roll-forward crosses into an unknown year: fall through to the weekend rule
    due = raw_end
    # known days keep their schedule; only days of unknown years fall back to the weekend rule
    while not (calendar.is_workday(due) if calendar.is_known(due) else due.weekday() < 5):
        due += timedelta(days=1)
    return Deadline(due=due, warn_from=warn, provisional=True)


def window_is_open(today: date, start: date, period: Period, calendar: WorkCalendar) -> bool:
    """Whether an act that must happen within `period` after `start` can still happen today."""
    return today <= compute_deadline(start, period, calendar).due


def light(today: date, deadline: Deadline) -> str:
    """正常 / 临期 / 超期 as 'normal' / 'warning' / 'overdue'."""
    if today > deadline.due:
        return "overdue"
    if today >= deadline.warn_from:
        return "warning"
    return "normal"


def naive_due_date(start: date, period: Period, is_workday) -> date:
    """Day-by-day reference implementation, used by tests and the benchmark baseline."""
    day, counted = start, 0
    while counted < period.days:
        day += timedelta(days=1)
        if not period.working or is_workday(day):
            counted += 1
    if not period.working:
        while not is_workday(day):
            day += timedelta(days=1)
    return day
