"""Hazard ledger benchmark: the statistics page's figures from the column store
(xinfang/hazards/statistics.py) and the quarterly summary for the 安委办, beside the same figures by
a plain ORM GROUP BY on the database, measured in the same run.

    .venv/bin/python benchmarks/bench_hazards.py [--hazards 1000000] [--enterprises 100000]
        [--repeats 5] [--orm-repeats 1] [--keep DIR] [--smoke]

Data (SQLite, in DIR: a temporary one unless --keep, reused when it holds a loaded database): the
demo city (divisions, units, accounts), then `--enterprises` enterprises in its townships, each
supervised by the department the demo gives its industry (district 应急管理, 住建, 市场监管, 教育;
city 交通运输, 文旅), with encrypted contacts; then `--hazards` hazards written in bulk SQL, spread
over the two years up to today: 3 % major, the older ones mostly struck off, the recent ones at
every stage, some overdue, a third of the open major ones 挂牌督办. Four scopes are measured: the
city (its 信访局, territorial: every hazard), a district (its 信访局), the district's 应急管理局 (a
supervising department: the hazards it holds) and one township.

Measured, for each scope × period (the last full quarter; the year to date):

* column store: the first refresh of a cold store (every hazard read once), then the report the
  statistics page shows (total, by supervising unit, by industry) `--repeats` times, and once more
  after 1,000 hazards changed (the store reads the changed rows by their `updated_at`);
* ORM: `statistics.plain_report`, the same figures by unit as one GROUP BY with filtered counts,
  `--orm-repeats` times. Both must agree for every unit (MATCH), or the script exits with 1;
* through Django's test client, after one first request that loads the URL conf (every app's
  views and their libraries: seconds, once per server process, not counted): the statistics page
  (year to date) `--repeats` times, and the quarterly summary as the page sends it
  (GET /hazards/summary/, .docx and .xlsx, with the list of major hazards), for the city and the
  district.

Printed: p50 / p95 / max per method, and each figure against its target (statistics p95 < 300 ms,
quarterly summary < 10 s).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics as stats
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as datetime_time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "bench_hazards.txt"


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hazards", type=int, default=1_000_000)
    p.add_argument("--enterprises", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=5, help="column-store calls per scope and period")
    p.add_argument("--orm-repeats", type=int, default=1, help="ORM GROUP BY calls per scope and period")
    p.add_argument("--keep", type=Path, help="data directory to create or reuse")
    p.add_argument("--smoke", action="store_true", help="20,000 hazards over 2,000 enterprises")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.smoke:
        args.hazards, args.enterprises = 20_000, 2_000
    return args


ARGS = parse()
DATA_DIR = ARGS.keep or Path(tempfile.mkdtemp(prefix="xf-bench-hazards-"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
os.environ["XINFANG_DATA_DIR"] = str(DATA_DIR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from xinfang.core import clock  # noqa: E402
from xinfang.demo import DEFAULT_PASSWORD  # noqa: E402
from xinfang.demo.city import build_city, city_exists, load_city, person_name  # noqa: E402
from xinfang.demo.prevention import KINDS, SUPERVISOR, TYPES  # noqa: E402
from xinfang.hazards import credit, statistics  # noqa: E402
from xinfang.hazards.choices import Level, ListingLevel, Source, Status, Stoppage  # noqa: E402
from xinfang.hazards.models import Enterprise, Hazard, HazardType  # noqa: E402
from xinfang.hazards.workflow import STEP_OF_STATUS  # noqa: E402
from xinfang.org.models import Role, User  # noqa: E402

S = Status
STATS_P95_MS = 300
SUMMARY_S = 10


def ms(seconds):
    return seconds * 1000


def percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return stats.median(ordered), p95, ordered[-1]


# ---------------------------------------------------------------- data


def make_enterprises(city, n, rng) -> list:
    """(id, industry, division id, supervising unit id) of n new enterprises."""
    places = [(d, t) for d in city.districts for t, _unit in d.townships]
    industries = list(KINDS)
    weights = [KINDS[i][2] for i in industries]
    rows = []
    for i in range(n):
        district, place = rng.choice(places)
        industry = rng.choices(industries, weights)[0]
        words, suffix, _w = KINDS[industry]
        key = SUPERVISOR[industry]
        unit = city.units[key[5:]] if key.startswith("city:") else district.units[key]
        body = "91" + place.code[:6] + f"{i:09d}"
        rows.append(
            Enterprise(
                name=f"{district.spec.short}{rng.choice(words)}{i:06d}号{suffix}",
                credit_code=body + credit.check_character(body),
                industry=industry,
                division=place,
                address=f"{place.name}{rng.randint(1, 300)}号",
                supervising_unit=unit,
                contact_name=person_name(rng),
                contact_phone=f"13{rng.randint(100000000, 999999999)}",
            )
        )
    Enterprise.objects.bulk_create(rows, batch_size=2000)
    return list(Enterprise.objects.values_list("pk", "industry", "division_id", "supervising_unit_id"))


def story(rng, today: date, found: date, major: bool) -> dict:
    """Status and dates of a hazard found on `found`, as its age makes likely."""
    age = (today - found).days
    notified = found + timedelta(days=1)
    due = notified + timedelta(days=rng.choice((7, 15, 30, 60)) * (3 if major else 1))
    working = S.GOVERNING if major else S.RECTIFYING
    r = rng.random()
    if age > 120:
        status = S.CLOSED if r < 0.93 else S.ACCEPTED if r < 0.95 else S.REVOKED if r < 0.96 else working
    elif age > 30:
        status = (
            S.CLOSED if r < 0.5 else S.ACCEPTED if r < 0.65 else S.ACCEPTANCE_PENDING if r < 0.75 else working
        )
    else:
        status = (
            S.REGISTERED
            if r < 0.1
            else S.ACCEPTANCE_PENDING
            if r < 0.3
            else S.ACCEPTED
            if r < 0.45
            else (S.PLAN_PENDING if major and r < 0.55 else working)
        )
    row = {"status": status, "found_on": found}
    if status in (S.REGISTERED, S.REVOKED):
        return row
    row |= {"notified_on": notified, "rectify_due": due}
    if status in (S.ACCEPTED, S.CLOSED):
        done = min(today, notified + timedelta(days=rng.randint(3, int((due - notified).days * 1.3) + 3)))
        row |= {"applied_on": done, "rectified_on": done, "rectified_on_time": done <= due}
        if status == S.CLOSED:
            row["closed_on"] = min(today, done + timedelta(days=rng.randint(0, 10)))
    if status in (S.RECTIFYING, S.PLAN_PENDING, S.GOVERNING):
        row |= {"due_date": due, "step_started_on": notified}
    return row


def load_hazards(city, enterprises, n, rng, today):
    """n hazards in bulk SQL (executemany), 50,000 rows a transaction."""
    types = {t.name: t.pk for t in HazardType.objects.all()}
    handler = User.objects.filter(role=Role.HANDLER, is_active=True).order_by("pk").first()
    fields = [f for f in Hazard._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    prepared = {f.name: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    # created and last changed at noon of the day found and of the day of the last step: a ledger
    # that grew over two years (the store's refresh then reads only what changes afterwards).
    stamps = {}

    def stamp(day):
        if day not in stamps:
            moment = clock.local_datetime(day, datetime_time(12))
            stamps[day] = connection.ops.adapt_datetimefield_value(moment)
        return stamps[day]

    prepared |= {"registered_by": handler.pk, "policy_set": "national", "source": Source.INSPECTION}
    sql = f"INSERT INTO {Hazard._meta.db_table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    names = [f.name for f in fields]
    span = 730
    batch = []

    def flush():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, batch)
        batch.clear()

    for i in range(n):
        pk, industry, division, unit = rng.choice(enterprises)
        major = rng.random() < 0.03
        found = today - timedelta(days=rng.randrange(span))
        row = dict(prepared)
        s = story(rng, today, found, major)
        status = s["status"]
        last_step = s.get("closed_on") or s.get("rectified_on") or s.get("notified_on") or found
        row |= {k: (v.isoformat() if isinstance(v, date) else v) for k, v in s.items()}
        row |= {"created_at": stamp(found), "updated_at": stamp(last_step)}
        row |= {
            "enterprise": pk,
            "industry": industry,
            "division": division,
            "holder_unit": unit,
            "registering_unit": unit,
            "hazard_type": types[rng.choice(TYPES[industry])],
            "level": Level.MAJOR if major else Level.GENERAL,
            "found_by": "监督检查",
            "location": "生产车间",
            "title": f"隐患{i}",
            "description": "检查发现的隐患。",
            "due_step": STEP_OF_STATUS.get(status, ""),
        }
        if major and status not in (S.REGISTERED, S.REVOKED):
            row |= {
                "plan_person": "厂长",
                "plan_unit": "安全科",
                "plan_measures": "停用设施，委托治理。",
                "plan_funds": str(Decimal(rng.randrange(10_000, 5_000_000))),
                "plan_deadline": row["rectify_due"],
                "plan_contingency": "应急预案。",
            }
            if status in (S.PLAN_PENDING, S.GOVERNING) and rng.random() < 0.35:
                row |= {"listed_level": ListingLevel.COUNTY, "listed_on": row["notified_on"]}
            if status == S.GOVERNING and rng.random() < 0.3:
                row["stoppage"] = Stoppage.PARTIAL
        batch.append([row[name] for name in names])
        if len(batch) == 50_000:
            flush()
    if batch:
        flush()


def load(city, args):
    marker = DATA_DIR / MARKER
    if marker.exists():
        print(f"沿用已有数据库 / reusing {DATA_DIR}: {marker.read_text().strip()}", flush=True)
        return
    rng = random.Random(args.seed)
    today = clock.today()
    t = time.perf_counter()
    enterprises = make_enterprises(city, args.enterprises, rng)
    print(f"装载 / {len(enterprises):,} enterprises in {time.perf_counter() - t:.0f}s", flush=True)
    t = time.perf_counter()
    load_hazards(city, enterprises, args.hazards, rng, today)
    print(f"装载 / {args.hazards:,} hazards in {time.perf_counter() - t:.0f}s", flush=True)
    marker.write_text(f"{args.hazards} hazards, {args.enterprises} enterprises\n")


# ---------------------------------------------------------------- measuring


def bench_user(username, unit, role):
    user, _ = User.objects.get_or_create(username=username, defaults={"unit": unit, "role": role})
    return user


def scopes(city):
    district = city.districts[0]
    township = district.townships[0][1]
    return [
        ("全市", bench_user("bench_city", city.bureau, Role.SUPERVISOR)),
        ("区县", bench_user("bench_district", district.bureau, Role.SUPERVISOR)),
        ("区应急管理局", bench_user("bench_yingji", district.units["yingji"], Role.HANDLER)),
        ("乡镇", bench_user("bench_township", township, Role.SUPERVISOR)),
    ]


def periods(today):
    q = (today.month - 1) // 3  # the quarter before the current one
    year, q = (today.year - 1, 4) if q == 0 else (today.year, q)
    first, last = statistics.quarter(f"{year}Q{q}")
    return [(f"{year}Q{q}", first, last), (f"{today.year}年至今", date(today.year, 1, 1), today)]


def figures_by_unit(report) -> dict:
    keys = ("found", "major", "rectified", "on_time", "overdue", "major_open", "listed")
    return {
        f.key: tuple(getattr(f, k) for k in keys) for f in report.by_unit if any(getattr(f, k) for k in keys)
    }


def plain_by_unit(rows) -> dict:
    keys = ("found", "major", "rectified", "on_time", "overdue", "major_open", "listed")
    return {r["holder_unit"]: tuple(r[k] for k in keys) for r in rows if any(r[k] for k in keys)}


def touch(n):
    """n open hazards accepted now (as the pages would, with a new updated_at)."""
    ids = list(
        Hazard.objects.filter(status=S.ACCEPTANCE_PENDING).order_by("?").values_list("pk", flat=True)[:n]
    )
    Hazard.objects.filter(pk__in=ids).update(
        status=S.ACCEPTED, rectified_on=clock.today(), rectified_on_time=True, updated_at=timezone.now()
    )
    return len(ids)


class Timer:
    """Wall-clock and CPU seconds of each call (on a machine shared with other work the wall
    clock counts the waits for a core; the CPU time is what the call itself costs)."""

    def __init__(self):
        self.wall, self.cpu = [], []

    def __call__(self, f, *a, **kw):
        t, c = time.perf_counter(), time.process_time()
        result = f(*a, **kw)
        self.wall.append(time.perf_counter() - t)
        self.cpu.append(time.process_time() - c)
        return result

    def __iadd__(self, other):
        self.wall += other.wall
        self.cpu += other.cpu
        return self

    def line(self, label, target_ms=None):
        p50, p95, top = (ms(v) for v in percentiles(self.wall))
        cpu95 = ms(percentiles(self.cpu)[1])
        verdict = "" if target_ms is None else ("  达标 / OK" if p95 < target_ms else "  未达标 / MISSED")
        return (
            f"  {label:<34} n={len(self.wall):>3}  p50 {p50:8.1f}  p95 {p95:8.1f}  max {top:8.1f} ms"
            f"  (CPU p95 {cpu95:7.1f} ms){verdict}"
        )


def main():
    args = ARGS
    settings.XINFANG_TOTP_REQUIRED = False  # the benchmark's accounts sign in with no second factor
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    city = load_city() if city_exists() else build_city(DEFAULT_PASSWORD)
    load(city, args)
    total = Hazard.objects.count()
    print(f"数据 / {total:,} hazards, {Enterprise.objects.count():,} enterprises in {DATA_DIR}", flush=True)
    today = clock.today()
    users = scopes(city)
    spans = periods(today)
    mismatches = []

    statistics.STORE.forget()
    cold = Timer()
    cold(statistics.STORE.current)
    print(
        f"\n列存储首次装载 / column store cold build: {cold.wall[0]:.1f} s (CPU {cold.cpu[0]:.1f} s)",
        flush=True,
    )

    store_all, orm_all, after_change = Timer(), Timer(), Timer()
    print("\n统计（每个范围 × 期间）/ statistics per scope × period: column store vs ORM GROUP BY (p95)")
    for label, user in users:
        area = statistics.area_of(user)
        for period, first, last in spans:
            store, orm = Timer(), Timer()
            for _ in range(args.repeats):
                report = store(statistics.report, area, first, last, today)
            for _ in range(args.orm_repeats):
                plain = orm(statistics.plain_report, area, first, last, today)
            match = figures_by_unit(report) == plain_by_unit(plain)
            if not match:
                mismatches.append(f"{label} {period}")
            store_all += store
            orm_all += orm
            print(
                f"  {label:<8} {period:<10} 排查{report.total.found:>8,}"
                f"  列存储 {ms(percentiles(store.wall)[1]):8.1f} ms (CPU {ms(percentiles(store.cpu)[1]):6.1f})"
                f"  ORM {ms(percentiles(orm.wall)[1]):9.1f} ms (CPU {ms(percentiles(orm.cpu)[1]):7.1f})"
                f"  {'MATCH' if match else 'MISMATCH'}",
                flush=True,
            )

    changed = touch(1000)
    for _label, user in users:
        area = statistics.area_of(user)
        for _period, first, last in spans:
            after_change(statistics.report, area, first, last, today)

    print("\n汇总 / all scopes and periods")
    print(store_all.line("column store (warm)", STATS_P95_MS))
    print(after_change.line(f"column store after {changed} changes", STATS_P95_MS))
    print(orm_all.line("ORM GROUP BY"))
    print(f"  first call after the changes (the store reads them): {ms(after_change.wall[0]):.1f} ms")

    print("\n页面 / the statistics page and the quarterly summary as the server sends them")
    client = Client()
    client.force_login(users[0][1])
    first_request = Timer()
    first_request(client.get, "/hazards/statistics/", HTTP_HOST="localhost")  # loads the URL conf
    print(
        f"  first request of the process (imports every app's views; not counted): {first_request.wall[0]:.1f} s"
    )
    for label, user in users[:2]:
        client.force_login(user)
        page = Timer()
        for _ in range(args.repeats):
            response = page(client.get, "/hazards/statistics/", HTTP_HOST="localhost")
            if response.status_code != 200:
                mismatches.append(f"statistics page {label}: HTTP {response.status_code}")
        print(page.line(f"statistics page, {label}", STATS_P95_MS))
    period, _first, _last = spans[0]
    summaries = Timer()
    for label, user in users[:2]:
        client.force_login(user)
        for fmt in ("docx", "xlsx"):
            response = summaries(
                client.get,
                "/hazards/summary/",
                {"kind": "quarterly", "period": period, "format": fmt},
                HTTP_HOST="localhost",
            )
            if response.status_code != 200:
                mismatches.append(f"summary {label} {fmt}: HTTP {response.status_code}")
            size = len(response.getvalue()) / 1024
            print(
                f"  {label:<8} {period} .{fmt:<4} {summaries.wall[-1]:6.2f} s"
                f" (CPU {summaries.cpu[-1]:5.2f} s)  {size:6.0f} KiB"
            )
    worst = max(summaries.wall)
    verdict = "达标 / OK" if worst < SUMMARY_S else "未达标 / MISSED"
    print(f"  slowest {worst:.2f} s (target < {SUMMARY_S} s): {verdict}")

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {rss:.0f} MiB; whole run {time.perf_counter() - started:.0f} s")
    if not ARGS.keep:
        shutil.rmtree(DATA_DIR, ignore_errors=True)
    if mismatches:
        print("不一致 / MISMATCH: " + "; ".join(mismatches))
        sys.exit(1)


if __name__ == "__main__":
    main()
