"""A year's holiday schedule read from text: the State Council's notice as published, or a small CSV.
Plain Python, no Django.

The notice (国务院办公厅关于X年部分节假日安排的通知) has one numbered item per holiday, e.g.
"一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。" Each item gives the
days off (a range, or one day) and the 调休 working days. A weekday written beside a date is checked
against the date, and "共N天" against the length of the range, so a wrong year or a typing slip is
reported instead of being saved.

The CSV has one day a line, "日期,类别[,说明]", the class being 休 (or 放假) or 班 (or 上班).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAYS = "一二三四五六日"
REST_WORDS = {"休", "放假", "休息"}
WORK_WORDS = {"班", "上班"}

_NUMBERED = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*(?P<name>[^：:]{1,20})[：:](?P<body>.*)$")
_TITLE_YEAR = re.compile(r"关于\s*(\d{4})\s*年(?:部分)?节假日安排")
_DAY = r"(?:(?P<{p}y>\d{{4}})年)?(?:(?P<{p}m>\d{{1,2}})月)?(?P<{p}d>\d{{1,2}})日(?:[（(](?P<{p}note>[^）)]*)[）)])?"
_REST = re.compile(_DAY.format(p="a") + r"(?:\s*至\s*" + _DAY.format(p="b") + r")?\s*放假")
_DATE = re.compile(_DAY.format(p="a"))
_TOTAL = re.compile(r"(?:共|放假)\s*(\d{1,2})\s*天")
_CSV_DATE = re.compile(r"^\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?\s*$")


@dataclass(frozen=True)
class Holiday:
    """One item of the notice: a holiday's days off and its 调休 working days."""

    name: str
    rest: tuple[date, ...]
    work: tuple[date, ...]


@dataclass
class Schedule:
    """What was read: the year, the holidays, every listed day (True: working day, False: day
    off), each day's note, and the problems found, in Chinese, one per line of the source."""

    year: int | None
    holidays: list[Holiday] = field(default_factory=list)
    days: dict[date, bool] = field(default_factory=dict)
    notes: dict[date, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def rest_days(self) -> list[date]:
        return sorted(d for d, working in self.days.items() if not working)

    @property
    def work_days(self) -> list[date]:
        return sorted(d for d, working in self.days.items() if working)

    def _put(self, day: date, working: bool, note: str, where: str):
        if day in self.days and self.days[day] != working:
            self.problems.append(f"{where}：{_cn(day)}既被列为放假又被列为上班")
            return
        self.days[day] = working
        self.notes[day] = note

    def _check(self):
        if not self.days and not self.problems:
            self.problems.append("没有读到任何放假或上班的日期")
        if self.year is not None:
            for day in sorted(self.days):
                if abs(day.year - self.year) > 1 or (day.year != self.year and not _next_to(day, self.year)):
                    self.problems.append(f"{_cn(day)}不在{self.year}年内")


def parse_notice(text: str, year: int | None = None) -> Schedule:
    """The schedule in the notice's text; `year` is read from its title when not given."""
    found = _TITLE_YEAR.search(text)
    titled = int(found.group(1)) if found else None
    schedule = Schedule(year=year or titled)
    if year is not None and titled is not None and titled != year:
        schedule.problems.append(f"所选年份是{year}年，而粘贴的是{titled}年的通知")
        return schedule
    year = schedule.year
    if year is None:
        schedule.problems.append(
            "没有找到年份：请选择年份，或连同标题（关于X年部分节假日安排的通知）一起粘贴"
        )
        return schedule
    for line in _items(text):
        item = _NUMBERED.match(line)
        if item is None or "放假" not in item.group("body"):
            continue
        name = item.group("name").strip()
        holiday = _read_item(name, item.group("body"), year, schedule)
        if holiday is not None:
            schedule.holidays.append(holiday)
            for day in holiday.rest:
                schedule._put(day, False, name, name)
            for day in holiday.work:
                schedule._put(day, True, f"{name}调休上班", name)
    if not schedule.holidays and not schedule.problems:
        schedule.problems.append("没有找到节假日条目：每个节日应单独一行，如「一、元旦：1月1日（周四）放假」")
    schedule._check()
    return schedule


def _items(text: str) -> list[str]:
    """The numbered items, each on one line. Text copied from a page or a PDF wraps, so the lines
    after an item up to the next item or an empty line are joined to it (only its 放假 range and
    the dates of its sentences that say 上班 are read, so a closing paragraph joined to the last
    item adds nothing)."""
    items, current = [], None
    for line in text.splitlines():
        line = line.strip()
        if _NUMBERED.match(line):
            current = len(items)
            items.append(line)
        elif not line:
            current = None
        elif current is not None:
            items[current] += line
    return items


def _read_item(name: str, body: str, year: int, schedule: Schedule) -> Holiday | None:
    rest_match = _REST.search(body)
    if rest_match is None:
        schedule.problems.append(f"{name}：没有读懂放假日期")
        return None
    first = _date_of(rest_match, "a", year, None)
    last = _date_of(rest_match, "b", year, first) if rest_match.group("bd") else first
    if first is None or last is None or last < first or (last - first).days > 15:
        schedule.problems.append(f"{name}：放假日期「{rest_match.group(0)}」不是有效的日期范围")
        return None
    rest = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    problems = _weekday_problems(rest_match, ("a", first), ("b", last))
    total = _TOTAL.search(body, rest_match.end())
    if total and int(total.group(1)) != len(rest):
        problems.append(f"写的是共{total.group(1)}天，日期范围却是{len(rest)}天")
    work = []
    for sentence in re.split(r"[。；;]", body[rest_match.end() :]):
        if "上班" not in sentence:
            continue
        for m in _DATE.finditer(sentence):
            day = _date_of(m, "a", year, None)
            if day is None:
                problems.append(f"上班日期「{m.group(0)}」不是有效的日期")
                continue
            problems += _weekday_problems(m, ("a", day))
            work.append(day)
    if problems:
        schedule.problems += [f"{name}：{p}" for p in problems]
        return None
    return Holiday(name=name, rest=rest, work=tuple(work))


def _date_of(match, p: str, year: int, after: date | None) -> date | None:
    """The date in group set `p`; a bare day ("至3日") is in the month of `after`."""
    y = int(match.group(f"{p}y")) if match.group(f"{p}y") else year
    if match.group(f"{p}m"):
        m = int(match.group(f"{p}m"))
    elif after is not None:
        m = after.month
        y = y if match.group(f"{p}y") else after.year
    else:
        return None
    try:
        return date(y, m, int(match.group(f"{p}d")))
    except ValueError:
        return None


def _weekday_problems(match, *days) -> list[str]:
    problems = []
    for p, day in days:
        note = match.group(f"{p}note") or ""
        written = re.search(r"(?:周|星期)([一二三四五六日天])", note)
        if written:
            weekday = "日" if written.group(1) == "天" else written.group(1)
            if WEEKDAYS[day.weekday()] != weekday:
                problems.append(f"{_cn(day)}是星期{WEEKDAYS[day.weekday()]}，文中写的是星期{weekday}")
    return problems


def parse_csv(text: str, year: int | None = None) -> Schedule:
    """Days from lines "日期,类别[,说明]"; a first line that is not a date is taken as the header."""
    schedule = Schedule(year=year)
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    for number, row in enumerate(rows, start=1):
        where = f"第{number}行"
        found = _CSV_DATE.match(row[0]) if row else None
        if found is None:
            if number == 1:
                continue  # a header
            schedule.problems.append(f"{where}：「{row[0].strip()}」不是日期（应如 2027-01-01）")
            continue
        try:
            day = date(*(int(g) for g in found.groups()))
        except ValueError:
            schedule.problems.append(f"{where}：「{row[0].strip()}」不是有效的日期")
            continue
        kind = row[1].strip() if len(row) > 1 else ""
        if kind not in REST_WORDS | WORK_WORDS:
            schedule.problems.append(f"{where}：类别应为「休」或「班」，而不是「{kind}」")
            continue
        note = row[2].strip()[:100] if len(row) > 2 else ""
        schedule._put(day, kind in WORK_WORDS, note or ("调休上班" if kind in WORK_WORDS else "放假"), where)
    if schedule.year is None and schedule.days:
        schedule.year = Counter(d.year for d in schedule.days).most_common(1)[0][0]
    schedule._check()
    return schedule


def _next_to(day: date, year: int) -> bool:
    """A day of the neighbouring year that a notice may list: the last or first days of the year."""
    return (day.year == year - 1 and day.month == 12) or (day.year == year + 1 and day.month == 1)


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
