"""Rate limits (xinfang.core.ratelimit): atomic counts under parallel requests, a block that lasts
until its window ends, tries at a secret taken back when right, ended windows purged, addresses."""

import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.db import connection

from xinfang.core import ratelimit
from xinfang.core.models import RateCounter
from xinfang.core.tasks import purge_rate_counters
from xinfang.petitions.models import new_tracking_code

HOUR = 1_800_000_000 // 3600 * 3600  # the start of an hour (epoch seconds)


@pytest.fixture
def file_cache(settings, tmp_path):
    """Django's cache as the embedded set-up has it (a file cache), instead of the tests' memory one."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }


def test_exactly_the_limit_is_allowed_and_the_block_lasts_until_the_window_ends(db):
    hits = [ratelimit.hit("k", "3/h", now=HOUR + 600) for _ in range(4)]
    assert [h.allowed for h in hits] == [True, True, True, False]
    assert [h.remaining for h in hits] == [2, 1, 0, 0]
    assert hits[-1].retry_after == 3000 and hits[-1].until == HOUR + 3600
    assert not ratelimit.hit("k", "3/h", now=HOUR + 600 + 301).allowed  # not forgotten after 5 minutes
    assert not ratelimit.hit("k", "3/h", now=HOUR + 3599).allowed
    fresh = ratelimit.hit("k", "3/h", now=HOUR + 3600)  # the next window
    assert fresh.allowed and fresh.count == 1
    assert ratelimit.hit("other", "3/h", now=HOUR + 600).count == 1  # counted per key
    assert ratelimit.hit("k", "3/d", now=HOUR + 600).count == 1  # and per window length


def test_a_blocked_address_stays_blocked_for_the_whole_window(client, db, file_cache, monkeypatch):
    """30 wrong tries an hour from one address: the 31st is refused until the hour is over, also
    when the limiter's clock has moved five minutes on (the counter expired after 300 s before)."""
    now = [HOUR + 60]
    monkeypatch.setattr(time, "time", lambda: now[0])

    def wrong_try():
        return client.post("/portal/track/", {"code": new_tracking_code(), "phone_tail": "0000"}).status_code

    assert [wrong_try() for _ in range(30)] == [200] * 30
    assert wrong_try() == 429
    now[0] += 301
    assert wrong_try() == 429
    now[0] = HOUR + 3599
    assert wrong_try() == 429
    now[0] = HOUR + 3600
    assert wrong_try() == 200


# Committed data (like every test that commits): serialized_rollback restores the migrated rows, and a
# flush without it would re-create content types under the next such test of the same worker.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_requests_get_exactly_the_limit(live_server, file_cache, monkeypatch):
    """100 wrong tracking tries from one address, 10 connections at a time (the test server's listen
    queue), against a 30-an-hour limit: exactly 30 answers."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: HOUR + 60))
    url = f"{live_server.url}/portal/track/"
    with urllib.request.urlopen(url) as page:  # noqa: S310 — the test's own server
        cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)

    def post(code):
        body = f"csrfmiddlewaretoken={token}&code={code}&phone_tail=0000".encode()
        request = urllib.request.Request(url, data=body, headers={"Cookie": f"csrftoken={cookie}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(post, [new_tracking_code() for _ in range(100)]))
    assert Counter(statuses) == {200: 30, 429: 70}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_counting_in_the_database_loses_no_hit():
    workers, per_worker = 8, 25
    start = threading.Barrier(workers)
    counts, errors = [], []

    def count():
        try:
            start.wait()
            for _ in range(per_worker):
                counts.append(ratelimit.hit("burst", "100/h", now=HOUR + 10).count)
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=count) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(counts) == list(range(1, workers * per_worker + 1))  # every count once, none lost
    assert RateCounter.objects.get(key="burst").hits == 200


def test_a_right_try_is_taken_back_and_a_refused_one_counts_only_where_it_was_refused(db):
    buckets = [("code", "2/h"), ("address", "5/h")]
    at = HOUR + 5
    wrong = ratelimit.Attempt(buckets, now=at)
    assert wrong.allowed and wrong.remaining == 1
    right = ratelimit.Attempt(buckets, now=at)
    right.succeeded()
    last = ratelimit.Attempt(buckets, now=at)
    assert last.allowed and last.remaining == 0 and last.until == HOUR + 3600
    refused = ratelimit.Attempt(buckets, now=at + 100)
    assert not refused.allowed and refused.retry_after == 3600 - 105
    hits = dict(RateCounter.objects.values_list("key", "hits"))
    assert hits == {"code": 3, "address": 2}  # the refused try did not count for the address


def test_ended_windows_are_purged_by_the_periodic_job(db):
    ratelimit.hit("old", "5/m", now=time.time() - 120)
    ratelimit.hit("current", "5/h", now=time.time())
    purge_rate_counters.call_local()
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["current"]


@pytest.mark.parametrize(
    "ip, counted",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # the same subscriber's network
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", "unknown"),
    ],
)
def test_addresses_are_counted_by_subscriber(ip, counted):
    assert ratelimit.address(ip) == counted


def test_rates_are_checked(db):
    assert ratelimit.parse("120/m") == (120, 60)
    for bad in ["0/m", "ten/m", "5/w", "5"]:
        with pytest.raises(ValueError, match="格式不正确"):
            ratelimit.parse(bad)
