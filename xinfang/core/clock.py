"""The product's one clock for business time: when a matter was received, what day it is for a
deadline, when an act happened. Everything that decides by the date reads `now()` or `today()`.

System timestamps (a row's created_at, leases, sessions, rate-limit windows) stay on the real
clock: they say when the machine did something, not what day it is in the case.

The clock can be moved (`travel_to`): tests set it to the day they are about, and the product then
behaves exactly as on that day, whatever the machine's date. A moved clock keeps running: it is the
real time plus a fixed offset, so events recorded one after another stay in order. The offset is a
module global, not thread-local, so a test's live server thread sees the same day as the test.
"""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.utils import timezone

_offset = timedelta(0)


def now() -> datetime:
    return timezone.now() + _offset


def today() -> date:
    return timezone.localdate(now())


def travel_to(moment: datetime | date | None) -> None:
    """Move the clock so that it now reads `moment` (a date means 10:00 local time that day);
    None puts it back on the real time."""
    global _offset
    if moment is None:
        _offset = timedelta(0)
        return
    if not isinstance(moment, datetime):
        moment = local_datetime(moment, time(10))
    _offset = moment - timezone.now()


@contextmanager
def moved_to(moment: datetime | date):
    """The clock at `moment` inside the block, back where it was afterwards."""
    global _offset
    saved = _offset
    travel_to(moment)
    try:
        yield
    finally:
        _offset = saved


def local_datetime(day: date, at: time = time(0)) -> datetime:
    """An aware datetime at local time `at` on `day`."""
    return timezone.make_aware(datetime.combine(day, at))
