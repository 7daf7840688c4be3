"""Fixed-window request counting for the API, Open311 and the citizen portal.

``parse("120/m")`` gives (120, 60). ``hit(key, rate)`` counts one request in the current window and
says whether it is within the limit and when the window ends. Windows are aligned to the real clock
(an hourly window runs from one full hour to the next) and a count holds until its window ends.

``Attempt`` guards a secret (an integration token, a 查询码 with its phone tail): each try is counted
as a failure in every bucket *before* the secret is checked, so parallel tries cannot overtake the
count, and a try that turns out right is taken back. A refused try is not counted against the buckets
that did not refuse it.

The counts are kept by ``counters()``: with Redis configured (XINFANG_REDIS_URL), a key per
(key, window) in Redis, incremented with INCR and given the seconds left in the window (EXPIRE, by
this server's clock: Redis's own clock never matters) in one atomic transaction (MULTI/EXEC), so
every server counts into the same window and Redis forgets it when it ends; otherwise a row per (key, window) in the database, incremented with one atomic upsert (SQLite
and PostgreSQL), old windows deleted by a periodic job.
"""

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from .models import RateCounter

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse(rate: str) -> tuple[int, int]:
    count, _, unit = rate.partition("/")
    if not count.isdigit() or unit not in UNITS or int(count) < 1:
        raise ValueError(f"频率限制「{rate}」格式不正确，应为「次数/单位」，单位为 s、m、h 或 d，如 120/m。")
    return int(count), UNITS[unit]


class DatabaseCounters:
    """Counts in the core_ratecounter table (xinfang.core.models.RateCounter)."""

    table = RateCounter._meta.db_table

    def incr(self, key: str, start: int, end: int) -> int:
        """Add one to the window's count and return the new count, in one statement."""
        q = connection.ops.quote_name
        sql = (
            f"INSERT INTO {q(self.table)} ({q('key')}, {q('window_start')}, {q('window_end')}, {q('hits')}) "
            "VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT ({q('key')}, {q('window_start')}, {q('window_end')}) "
            f"DO UPDATE SET {q('hits')} = {q(self.table)}.{q('hits')} + 1 "
            f"RETURNING {q('hits')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, start, end])
            return cursor.fetchall()[0][0]

    def decr(self, key: str, start: int, end: int) -> None:
        q = connection.ops.quote_name
        sql = (
            f"UPDATE {q(self.table)} SET {q('hits')} = {q('hits')} - 1 "
            f"WHERE {q('key')} = %s AND {q('window_start')} = %s AND {q('window_end')} = %s AND {q('hits')} > 0"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, start, end])

    def purge(self, now: float) -> int:
        return RateCounter.objects.filter(window_end__lte=int(now)).delete()[0]


class RedisCounters:
    """Counts in Redis: key ``xinfang:rate:<window start>:<window end>:<key>``."""

    prefix = "xinfang:rate"

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)

    def _name(self, key, start, end):
        return f"{self.prefix}:{start}:{end}:{key}"

    def incr(self, key: str, start: int, end: int) -> int:
        """INCR and EXPIRE in one transaction: a count never outlives its window."""
        left = max(1, math.ceil(end - time.time()))
        with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(self._name(key, start, end))
            pipe.expire(self._name(key, start, end), left)
            count, _expiry_set = pipe.execute()
        return int(count)

    def decr(self, key: str, start: int, end: int) -> None:
        """One less, never below zero (a Lua script: read and write as one step)."""
        self.client.eval(
            "local n = tonumber(redis.call('GET', KEYS[1]) or '0') "
            "if n > 0 then return redis.call('DECR', KEYS[1]) end return 0",
            1,
            self._name(key, start, end),
        )

    def purge(self, now: float) -> int:
        return 0  # Redis expires each window's key when the window ends


_counters: dict[str, object] = {}


def counters():
    """The store of the counts: Redis when configured, else the database."""
    url = settings.REDIS_URL
    store = _counters.get(url)
    if store is None:
        store = _counters[url] = RedisCounters(url) if url else DatabaseCounters()
    return store


@dataclass(frozen=True)
class Hit:
    """One counted request: the count it made in its window, and the window."""

    key: str
    limit: int
    count: int
    start: int
    end: int
    now: float

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        """How many more requests the window allows after this one."""
        return max(0, self.limit - self.count)

    @property
    def until(self) -> int:
        return self.end

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window ends (at least 1)."""
        return max(1, math.ceil(self.end - self.now))


def hit(key: str, rate: str, now: float | None = None) -> Hit:
    limit, window = parse(rate)
    now = time.time() if now is None else now
    start = int(now // window) * window
    end = start + window
    return Hit(key, limit, counters().incr(key, start, end), start, end, now)


def purge(now: float | None = None) -> int:
    """Delete the counts of windows that have ended; returns how many."""
    return counters().purge(time.time() if now is None else now)


class Attempt:
    """One try at a secret, counted as a failure in each (key, rate) bucket before the check."""

    def __init__(self, buckets: list[tuple[str, str]], now: float | None = None):
        now = time.time() if now is None else now
        self.hits = [hit(key, rate, now) for key, rate in buckets]
        if not self.allowed:
            self._take_back([h for h in self.hits if h.allowed])

    @property
    def allowed(self) -> bool:
        return all(h.allowed for h in self.hits)

    @property
    def remaining(self) -> int:
        """Tries left after this one before a bucket refuses."""
        return min(h.remaining for h in self.hits)

    @property
    def until(self) -> int:
        """When a refused try may be made again (epoch seconds): the end of the refusing window,
        or for a try that used up a bucket, the end of that bucket's window."""
        blocking = [h for h in self.hits if not h.allowed] or [h for h in self.hits if h.remaining == 0]
        return max(h.end for h in blocking or self.hits)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.until - self.hits[0].now))

    def succeeded(self) -> None:
        """The secret was right: this try is no failure."""
        self._take_back(self.hits)

    @staticmethod
    def _take_back(hits: list[Hit]) -> None:
        for h in hits:
            counters().decr(h.key, h.start, h.end)


def address(ip: str) -> str:
    """A client address as it is counted: IPv4 as is, IPv6 by its /64 (one subscriber's network,
    whose other addresses cost the client nothing)."""
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
