"""How long the demo takes to write its matters, through the bulk plan and through the ORM.

    .venv/bin/python benchmarks/bench_demo.py                  # 20,000 matters each way
    .venv/bin/python benchmarks/bench_demo.py --matters 2000   # smaller
    .venv/bin/python benchmarks/bench_demo.py --smoke          # 300 matters, both ways

Each way runs in a fresh data directory (`xinfang migrate`, the demo city, then the generator with
the same seed), in its own process so that neither warms the other's caches. The bulk way is what
`xinfang demo` does (every act through the write path, saved in bulk sessions of 1,000 matters);
the ORM way saves every act as it happens, 100 matters per transaction (what the demo did before).
Prints seconds, matters per second and the ratio, and checks that both ways wrote the same number
of matters, events and notices (tests/test_plans.py compares every row at a small size).
The goal: the bulk way writes 20,000 matters in at most 60 s on a 2-core machine.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

CHILD = r"""
import json, sys, time
import django
django.setup()
from django.db.models import Count
from xinfang.core.models import Notification
from xinfang.demo.city import build_city
from xinfang.demo.generate import Generator
from xinfang.petitions.models import Matter, MatterEvent

matters, seed, in_bulk = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "bulk"
city = build_city("qingxi-demo-2025")
started = time.perf_counter()
Generator(city, matters=matters, seed=seed, in_bulk=in_bulk).run()
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds,
    "matters": Matter.objects.count(),
    "events": MatterEvent.objects.count(),
    "notices": Notification.objects.count(),
    "statuses": dict(Matter.objects.values_list("status").annotate(n=Count("pk")).order_by()),
}))
"""


def run(way: str, matters: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="xf-bench-demo-") as data:
        env = {
            **os.environ,
            "XINFANG_DATA_DIR": data,
            "XINFANG_ENV_FILE": "/dev/null",
            "DJANGO_SETTINGS_MODULE": "xinfang.settings",
        }
        env.pop("XINFANG_DATABASE_URL", None)
        subprocess.run([PY, "-m", "xinfang", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        out = subprocess.run(
            [PY, "-c", CHILD, str(matters), str(seed), way],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matters", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="300 matters")
    parser.add_argument("--bulk-only", action="store_true", help="skip the (slow) ORM way")
    args = parser.parse_args(argv)
    n = 300 if args.smoke else args.matters
    results = {"bulk": run("bulk", n, args.seed)}
    if not args.bulk_only:
        results["orm"] = run("orm", n, args.seed)
    print(f"demo, {n} matters, seed {args.seed}, {os.cpu_count()} cores")
    print(f"{'way':<6}{'seconds':>10}{'matters/s':>12}{'events':>10}{'notices':>10}")
    for way, r in results.items():
        print(
            f"{way:<6}{r['seconds']:>10.1f}{r['matters'] / r['seconds']:>12.0f}{r['events']:>10}{r['notices']:>10}"
        )
    bulk = results["bulk"]
    goal = 60 * n / 20000
    print(
        f"goal: bulk ≤ {goal:.0f} s for {n} matters (60 s for 20,000) → {'MET' if bulk['seconds'] <= goal else 'MISSED'}"
    )
    if "orm" in results:
        orm = results["orm"]
        same = all(bulk[k] == orm[k] for k in ("matters", "events", "notices", "statuses"))
        print(
            f"ratio orm/bulk: {orm['seconds'] / bulk['seconds']:.1f}×; same rows written: {'yes' if same else 'NO'}"
        )
        if not same:
            print(json.dumps(results, ensure_ascii=False, indent=1))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
