"""The working-day calendar as administrators see and edit it.

What the deadline engine does with a year (xinfang/deadlines/engine.py), and so what this page says:
- a year up to BUILTIN_LAST_YEAR has the State Council's schedule built in; rows in CalendarDay
  adjust single days (a local holiday);
- a later year counts only once it is marked complete (a ScheduleYear row), and only if every year
  before it is known too. Until then its CalendarDay rows have no effect at all: calendar-day
  deadlines that end in it are estimated by weekends alone (shown as 暂定) and working-day deadlines
  that reach it cannot be computed.
"""

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date

import chinese_calendar
from django.db import transaction

from xinfang.cases.engine import refresh_estimated_deadlines
from xinfang.core import clock
from xinfang.deadlines.engine import BUILTIN_LAST_YEAR, WorkCalendar
from xinfang.deadlines.models import CalendarDay, ScheduleYear
from xinfang.deadlines.schedule_text import Schedule

from . import changes

BUILTIN, COMPLETE, INCOMPLETE = "builtin", "complete", "incomplete"


@dataclass(frozen=True)
class YearState:
    year: int
    state: str  # BUILTIN / COMPLETE / INCOMPLETE
    note: str  # the complete year's source
    adjustments: int  # CalendarDay rows in the year
    missing_before: int | None  # an earlier year that is not known yet (it blocks this one)

    @property
    def counts(self) -> bool:
        """Whether deadlines use this year's schedule."""
        return self.state != INCOMPLETE and self.missing_before is None

    @property
    def label(self) -> str:
        if self.state == BUILTIN:
            return "国务院安排已内置"
        if self.state == COMPLETE and self.missing_before is None:
            return "年度日历完整"
        return "年度日历未完整 — 期限按估算"


def year_state(year: int) -> YearState:
    entered = dict(ScheduleYear.objects.values_list("year", "note"))
    first, last = date(year, 1, 1), date(year, 12, 31)
    adjustments = CalendarDay.objects.filter(date__range=(first, last)).count()
    missing = next((y for y in range(BUILTIN_LAST_YEAR + 1, year) if y not in entered), None)
    if year <= BUILTIN_LAST_YEAR:
        state = BUILTIN
    elif year in entered:
        state = COMPLETE
    else:
        state = INCOMPLETE
    return YearState(year, state, entered.get(year, ""), adjustments, missing)


def calendar_with(extra: dict[date, bool] | None = None, extra_year: int | None = None) -> WorkCalendar:
    """The calendar as saved, or as it would be with `extra` days and `extra_year` complete."""
    overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
    overrides.update(extra or {})
    years = set(ScheduleYear.objects.values_list("year", flat=True))
    if extra_year is not None:
        years.add(extra_year)
    return WorkCalendar(overrides, entered_years=years)


@dataclass(frozen=True)
class Cell:
    day: date | None
    mark: str  # "休", "班" or ""
    css: str  # classes for the cell
    title: str  # what the day is, in words


def month_grids(year: int, cal: WorkCalendar, *, highlight=(), notes=None) -> list[tuple[int, list]]:
    """Twelve months of weeks (Monday first) of cells: 休 on a day off that is not a plain weekend,
    班 on a working weekend day. Days of a year the calendar does not know are estimated by
    weekends (css "estimate"), and the adjustments saved for them are marked but pending (css
    "pending": they count once the year is complete); `highlight` days are the ones being entered."""
    notes = notes or {}
    saved = {
        d: (w, n)
        for d, w, n in CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday", "note")
    }
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar().monthdatescalendar(year, month):
            weeks.append([_cell(d, month, cal, d in highlight, notes.get(d), saved.get(d)) for d in week])
        months.append((month, weeks))
    return months


def _cell(day: date, month: int, cal: WorkCalendar, highlighted: bool, note, saved) -> Cell:
    if day.month != month:
        return Cell(None, "", "blank", "")
    note = note or (saved[1] if saved else "")
    weekend = day.weekday() >= 5
    css = ["day"]
    known = cal.is_known(day)
    if known:
        working = cal.is_workday(day)
        special = working == weekend or _holiday(day, note)
    elif saved is not None:
        working, special = saved[0], True
        css += ["estimate", "pending"]
    else:
        working, special = not weekend, False
        css.append("estimate")
    mark = ("班" if working else "休") if special else ""
    css.append("work" if working else "rest")
    if mark:
        css.append("special")
    if highlighted:
        css.append("entered")
    words = "上班" if working else "休息"
    if note:
        words += f"（{note}）"
    if not known:
        words += "，已录入，该年标记完整后生效" if saved is not None else "，按双休日估算"
    return Cell(day, mark, " ".join(css), f"{day.month}月{day.day}日 {words}")


def _holiday(day: date, note: str) -> bool:
    """A weekend that is part of a holiday (to mark it 休 like the weekdays around it)."""
    if note:
        return True
    if day.year <= BUILTIN_LAST_YEAR:
        return chinese_calendar.is_holiday(day) and chinese_calendar.get_holiday_detail(day)[1] is not None
    return False


def differences(schedule: Schedule, cal: WorkCalendar) -> list[tuple[date, bool, bool | None]]:
    """(day, in the schedule, in the calendar now or None if unknown) where they differ."""
    rows = []
    for day, working in sorted(schedule.days.items()):
        now = cal.is_workday(day) if cal.is_known(day) else None
        if now is not None and now != working:
            rows.append((day, working, now))
    return rows


def others_in_year(schedule: Schedule) -> list[CalendarDay]:
    """Saved adjustments of the year that the schedule does not list: they stay as they are."""
    return list(CalendarDay.objects.filter(date__year=schedule.year).exclude(date__in=list(schedule.days)))


@transaction.atomic
def save_schedule(request, schedule: Schedule, source: str) -> tuple[ScheduleYear, tuple[int, int]]:
    """Save every day of the schedule and mark its year complete, in one step; then compute again
    the deadlines that were estimated for want of it. Returns the year and (refreshed, still
    estimated)."""
    for day, working in sorted(schedule.days.items()):
        CalendarDay.objects.update_or_create(
            date=day, defaults={"is_workday": working, "note": schedule.notes.get(day, "")[:100]}
        )
    year, created = ScheduleYear.objects.update_or_create(year=schedule.year, defaults={"note": source[:200]})
    rest, work = len(schedule.rest_days), len(schedule.work_days)
    counts = refresh_estimated_deadlines(clock.today())
    changes.record(
        request,
        changes.ADDED if created else changes.CHANGED,
        year,
        f"录入全年节假日安排并标记为完整：放假{rest}天、调休上班{work}天；依据：{source or '未填写'}；"
        f"重新计算了{counts[0]}件事项的估算期限",
    )
    return year, counts


@transaction.atomic
def mark_complete(request, year: int, source: str) -> tuple[ScheduleYear, tuple[int, int]]:
    row, created = ScheduleYear.objects.update_or_create(year=year, defaults={"note": source[:200]})
    days = CalendarDay.objects.filter(date__year=year).count()
    counts = refresh_estimated_deadlines(clock.today())
    changes.record(
        request,
        changes.ADDED if created else changes.CHANGED,
        row,
        f"标记{year}年日历为完整（已录入{days}个调整日）；依据：{source or '未填写'}；"
        f"重新计算了{counts[0]}件事项的估算期限",
    )
    return row, counts


def refreshed_text(counts: tuple[int, int]) -> str:
    refreshed, still = counts
    text = f"原按双休日估算期限的事项中，{refreshed}件已按新日历重新计算。" if refreshed else ""
    if still:
        text += f"仍有{still}件的期限落在尚未录入安排的年份，继续按估算。"
    return text
