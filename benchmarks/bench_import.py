"""Import benchmark: a 100,000-row .xlsx 台账 through the import job, next to row-by-row saves.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000] [--baseline-rows 2000] [--smoke]

In a fresh temporary XINFANG_DATA_DIR (SQLite): migrate, build the demo city, write an .xlsx with the
template's columns (realistic rows: 1–2 petitioners with ID numbers and phones, places by township
name, two-level categories, half of the rows with a 承办单位 so they are dispatched on import), then

* bulk: the import job as the page and `xinfang import matters` run it — read the file, check every
  row, write in chunks of 2,000 (bulk inserts, encryption, events, links, audit, notices);
* baseline: the same kind of rows, read and checked the same way, each saved through the per-matter
  write path (`register_matter`, then `perform` for the dispatch), as a loop over the ORM would.

Prints rows/s of both, the speed-up, peak memory, and checks the goal of 2,000 rows/s (MET / MISSED).
The baseline runs on fewer rows (its rate does not depend on the file size) so the run stays short.
"""

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_ROWS_PER_S = 2000
HEADER = ["编号", "信访人", "身份证号", "住址", "电话", "信访时间", "问题属地", "内容分类", "信访方式", "案情", "诉求",
          "办理时限", "承办单位", "办理意见"]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(rng) -> str:
    body = f"990102{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def write_ledger(path, rows, prefix, places, categories, units, seed):
    from openpyxl import Workbook

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("信访事项")
    sheet.append(HEADER)
    channels = ["来信", "来访", "网上", "电话", "领导接访"]
    for n in range(1, rows + 1):
        people = [
            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
            for _ in range(rng.choice((1, 1, 1, 2)))
        ]
        place, category = rng.choice(places), rng.choice(categories)
        unit = rng.choice(units) if rng.random() < 0.5 else ""
        sheet.append([
            f"{prefix}-{n:07d}",
            "、".join(people),
            "、".join(id_number(rng) for _ in people),
            f"{place}幸福路{rng.randint(1, 300)}号",
            "、".join(f"13{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}" for _ in people),
            f"2026-{rng.randint(1, 10)}-{rng.randint(1, 28)}",
            place,
            category,
            rng.choice(channels),
            f"反映{category.split('／')[1]}问题：{place}居民多次向有关部门反映，至今没有解决，影响正常生活。" * 2,
            "请求有关部门依法处理并答复",
            "2026-12-31",
            unit,
            "请依法按政策处理，按期答复信访人" if unit else "",
        ])  # fmt: skip
    book.save(path)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=2000)
    parser.add_argument(
        "--smoke", action="store_true", help="5,000 rows and 200 baseline rows: a quick check"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.baseline_rows = 5000, 200

    data_dir = Path(tempfile.mkdtemp(prefix="xf-bench-import-"))
    os.environ.update(XINFANG_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="xinfang.settings")
    os.environ.setdefault("XINFANG_NOTIFICATION_BACKEND", "xinfang.core.notifications.ConsoleBackend")
    sys.path.insert(0, str(ROOT))
    try:
        run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args, data_dir):
    import django

    django.setup()
    from django.core.management import call_command
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = False  # notices stay in the outbox; delivering them is not part of importing
    call_command("migrate", verbosity=0)
    from xinfang.demo.city import build_city
    from xinfang.ledger import jobs
    from xinfang.ledger.models import ImportJob
    from xinfang.ledger.rows import RowChecker
    from xinfang.ledger.writer import dispatch_action
    from xinfang.org.models import Role
    from xinfang.petitions.models import Category, Matter
    from xinfang.petitions.services import perform, register_matter

    city = build_city("Bench-2026!")
    actor = city.user(city.bureau, Role.DISPATCHER)
    places = [f"{d.spec.name}{div.name}" for d in city.districts for div, _unit in d.townships]
    categories = [
        f"{c.parent.name}／{c.name}"
        for c in Category.objects.filter(parent__isnull=False).select_related("parent")
    ]
    units = [u.name for u in city.units.values()] + [d.bureau.name for d in city.districts]

    started = time.perf_counter()
    big = data_dir / "台账-bulk.xlsx"
    write_ledger(big, args.rows, "TZ", places, categories, units, seed=1)
    small = data_dir / "台账-baseline.xlsx"
    write_ledger(small, args.baseline_rows, "RB", places, categories, units, seed=2)
    print(
        f"生成 .xlsx：{args.rows:,} 行（{big.stat().st_size / 1048576:.1f} MB），用时 {time.perf_counter() - started:.1f} s"
    )

    # baseline: read and check the same way, then one matter at a time through the ORM write path
    started = time.perf_counter()
    table = jobs.read(small)
    checker = RowChecker(actor, jobs.guess_mapping(table.header))
    for number, cells in table.rows():
        row, errors = checker.check(number, cells)
        assert not errors, errors
        matter = register_matter(
            actor, fields={**row.fields, "import_key": row.key}, petitioners=row.petitioners
        )
        if row.handling_unit is not None:
            action = dispatch_action(actor, row.handling_unit)
            perform(matter.pk, actor, action, unit=row.handling_unit, note=row.instructions)
    baseline_s = time.perf_counter() - started

    # bulk: the import job
    started = time.perf_counter()
    job = jobs.new_job(actor, big.read_bytes(), big.name)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
    phases = {}  # state -> first time seen
    job = jobs.run(job.pk, progress=lambda j: phases.setdefault(j.state, time.perf_counter()))
    bulk_s = time.perf_counter() - started
    assert job.state == ImportJob.State.DONE and job.written == args.rows, (
        job.state,
        job.written,
        job.errors[:3],
    )
    assert Matter.objects.count() == args.rows + args.baseline_rows

    bulk_rate, base_rate = args.rows / bulk_s, args.baseline_rows / baseline_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"{'方式':<28}{'行数':>10}{'用时 s':>10}{'行/秒':>10}")
    print(f"{'逐行 ORM 保存（基线）':<24}{args.baseline_rows:>10,}{baseline_s:>10.1f}{base_rate:>10,.0f}")
    print(f"{'台账导入任务（批量写入）':<23}{args.rows:>10,}{bulk_s:>10.1f}{bulk_rate:>10,.0f}")
    read_s = phases["checking"] - started
    check_s = phases["writing"] - phases["checking"]
    write_s = phases["done"] - phases["writing"]
    print(
        f"其中：读表头 {read_s:.1f} s，第一遍读文件并逐行检查 {check_s:.1f} s，"
        f"第二遍读文件、检查并写入 {write_s:.1f} s（{args.rows / write_s:,.0f} 行/秒）"
    )
    print(f"\n批量 / 逐行 = {bulk_rate / base_rate:.1f} 倍；进程内存峰值 {peak_mb:,.0f} MB")
    print(
        f"目标 ≥ {GOAL_ROWS_PER_S:,} 行/秒：{'MET' if bulk_rate >= GOAL_ROWS_PER_S else 'MISSED'}（{bulk_rate:,.0f}）"
    )


if __name__ == "__main__":
    main()
