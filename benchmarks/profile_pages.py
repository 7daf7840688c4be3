"""The SQL behind one staff page, with each statement's time and the database's query plan.

    XINFANG_DATA_DIR=/tmp/xf-bench-load-… [XINFANG_DATABASE_URL=postgres://…] \\
        .venv/bin/python benchmarks/profile_pages.py [--account city_registrar] [--path /matters/] \\
        [--repeat 3] [--explain-ms 5] [--analyze]

Requests the page in-process (Django's test client, signed in as --account) against the database
the environment names — e.g. a data directory kept by `bench_load.py --keep` — and prints every
statement with its time (best of --repeat), and EXPLAIN (SQLite: EXPLAIN QUERY PLAN; PostgreSQL:
EXPLAIN, or EXPLAIN ANALYZE with --analyze) for the statements slower than --explain-ms. Without
--path it profiles 我的待办, 全部事项 and the detail page of a matter in the account's queue.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from xinfang.org.models import User  # noqa: E402


def explain(sql: str, analyze: bool) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(f"    {row[-1]}" for row in cur.fetchall())
        cur.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
        return "\n".join(f"    {row[0]}" for row in cur.fetchall())


def profile(client: Client, path: str, repeat: int, explain_ms: float, analyze: bool) -> str:
    best = None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            resp = client.get(path, HTTP_HOST="127.0.0.1")
            total = (time.perf_counter() - started) * 1000
        if best is None or total < best[0]:
            best = (total, list(ctx.captured_queries), resp)
    total, queries, resp = best
    body = resp.content.decode() if resp.status_code == 200 else ""
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    print(
        f"\n=== GET {path} → {resp.status_code}, {total:.1f} ms, {len(queries)} queries, {sql_ms:.1f} ms in SQL"
    )
    for q in queries:
        ms = float(q["time"]) * 1000
        print(f"  {ms:8.1f} ms  {q['sql'][:400]}")
        if ms >= explain_ms and q["sql"].lstrip().upper().startswith("SELECT"):
            print(explain(q["sql"], analyze))
    return body


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--account", default="city_registrar")
    parser.add_argument("--path", action="append", help="page to profile (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="requests per page; the fastest is shown")
    parser.add_argument("--explain-ms", type=float, default=5.0, help="EXPLAIN statements slower than this")
    parser.add_argument("--analyze", action="store_true", help="PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)")
    args = parser.parse_args(argv)
    client = Client()
    client.force_login(User.objects.get(username=args.account))
    print(f"{connection.vendor} · {args.account}")
    if args.path:
        for path in args.path:
            profile(client, path, args.repeat, args.explain_ms, args.analyze)
        return
    body = profile(client, "/matters/", args.repeat, args.explain_ms, args.analyze)
    profile(client, "/matters/?tab=all", args.repeat, args.explain_ms, args.analyze)
    found = re.search(r'href="/matters/(\d+)/"', body)
    if found:
        profile(client, f"/matters/{found.group(1)}/", args.repeat, args.explain_ms, args.analyze)


if __name__ == "__main__":
    main()
