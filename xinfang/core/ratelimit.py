"""Fixed-window request counting in the shared cache, for the API and the citizen portal.

``parse("120/m")`` gives (120, 60). ``hit(key, rate)`` counts one request and says whether it is
within the limit, and if not how many seconds until the window ends. The count lives in Django's
cache (a file cache shared by the web workers by default; Redis or memcached in larger set-ups).
"""

import time

from django.core.cache import cache

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse(rate: str) -> tuple[int, int]:
    count, _, unit = rate.partition("/")
    if not count.isdigit() or unit not in UNITS or int(count) < 1:
        raise ValueError(f"频率限制「{rate}」格式不正确，应为「次数/单位」，单位为 s、m、h 或 d，如 120/m。")
    return int(count), UNITS[unit]


def hit(key: str, rate: str, now: float | None = None) -> tuple[bool, int]:
    limit, window = parse(rate)
    now = time.time() if now is None else now
    window_index = int(now // window)
    cache_key = f"ratelimit:{key}:{window}:{window_index}"
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the entry expired between add and incr: this request opens a new window
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    retry_after = int((window_index + 1) * window - now) + 1
    return count <= limit, retry_after
