"""Memory of the 台账 import on hostile and on large files: peak RSS of the web request and of the
worker, each measured in its own fresh process, next to an idle process of the same code.

    .venv/bin/python benchmarks/bench_import_memory.py [--rows 100000] [--bomb-mb 1024] [--smoke]

In a fresh temporary XINFANG_DATA_DIR (SQLite): migrate, build the demo city, write three files —

* a zip bomb: an .xlsx of about 1 MB whose sheet unpacks to `--bomb-mb` MB (identical rows);
* a small file of 1,000,000 short rows (a few MB, about 25 times smaller than unpacked);
* a real 台账 of `--rows` rows (bench_import.py's generator: the template's columns, realistic rows);

then, each in a new process: an idle process (Django set up, the import code loaded: the worker's
baseline), a GET of the upload page (the web request's baseline: every app's views loaded), the
upload request (the page's POST through Django's test client, as a registrar's browser sends
it) and the worker's job (`jobs.run`, as the Huey task runs it; for the files the upload refuses,
the job is created directly so that the worker's own checks are measured too). Each process prints
its peak RSS (`ru_maxrss`) and what happened. Child processes run under a 6 GB address-space limit
so that running this on code without the limits cannot exhaust the machine.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ADDRESS_SPACE_LIMIT = 6 << 30


def xlsx_of_rows(path, rows):
    """A minimal .xlsx whose sheet is the XML of `rows` (an iterable of byte strings), streamed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for chunk in rows:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


# The required columns, so that the job gets past its column check and reads the rows.
HEADER = ["信访时间", "问题属地", "内容分类", "信访方式", "案情"]


def inline(*values) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + "</row>"


def zip_bomb(path, megabytes):
    """Rows whose 案情 is one character repeated: deflate packs that about a thousand to one."""
    block = (inline("2026-11-02", "东湖街道", "城乡建设／物业管理", "来访", "电" * 30000) * 10).encode()
    return xlsx_of_rows(path, [inline(*HEADER).encode(), *[block] * (megabytes * 1048576 // len(block))])


def million_rows(path, count=1_000_000):
    """Short rows, each a little different: they compress about as well as a real sheet."""

    def rows():
        yield inline(*HEADER).encode()
        for start in range(1, count + 1, 10000):
            end = min(start + 10000, count + 1)
            yield "".join(
                inline(f"2026-1-{n % 28 + 1}", "东湖", "物业", "来访", n) for n in range(start, end)
            ).encode()

    return xlsx_of_rows(path, rows())


# ---------------------------------------------------------------- the measured processes


def child(args):
    import django

    django.setup()
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = False  # notices stay in the outbox; sending them is not importing
    from django.test import Client

    from xinfang.ledger import jobs, views  # noqa: F401  (loaded in every process, the baseline too)
    from xinfang.ledger.models import ImportJob
    from xinfang.org.models import User

    user = User.objects.get(username=args.user)
    started = time.perf_counter()
    if args.child == "idle":
        outcome = f"{ImportJob.objects.count()} 个导入任务"
    elif args.child == "page":
        client = Client()
        client.force_login(user)
        outcome = f"GET /ledger/：{client.get('/ledger/').status_code}"
    elif args.child == "upload":
        client = Client()
        client.force_login(user)
        with open(args.file, "rb") as f:
            response = client.post("/ledger/", {"file": f})
        if response.status_code == 302:
            outcome = f"已上传，待核对列（任务 {ImportJob.objects.latest('pk').pk}）"
        else:
            outcome = "拒绝：" + _error_of(response.content.decode())
    else:
        job = ImportJob.objects.filter(original_name=Path(args.file).name, state="mapping").first()
        if job is None:  # refused on upload: hand the file to the worker anyway
            stored = f"bench-{time.time_ns()}.xlsx"
            jobs.keep(stored, Path(args.file).read_bytes())
            job = ImportJob.objects.create(
                user=user,
                original_name=Path(args.file).name,
                stored_name=stored,
                header=HEADER,
                mapping=jobs.guess_mapping(HEADER),
            )
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
        try:
            job = jobs.run(job.pk)
            outcome = f"{job.get_state_display()}：{job.message}"
        except MemoryError:
            outcome = "内存不足（MemoryError）"
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rss_mb": rss_mb, "seconds": seconds, "outcome": outcome}, ensure_ascii=False))


def _error_of(page: str) -> str:
    start = page.find('<ul class="errorlist')
    if start < 0:
        return "（页面未显示错误）"
    text = page[page.find(">", start) + 1 : page.find("</ul>", start)]
    return text.replace("<li>", "").replace("</li>", " ").strip()


def measure(kind, data_dir, user, file=None) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--user", user]
    if file:
        command += ["--file", str(file)]

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    done = subprocess.run(command, capture_output=True, text=True, preexec_fn=limit, env=os.environ.copy())
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"rss_mb": float("nan"), "seconds": float("nan"), "outcome": f"进程失败：{last[:120]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bomb-mb", type=int, default=1024)
    parser.add_argument("--smoke", action="store_true", help="5,000 rows and a 100 MB bomb: a quick check")
    parser.add_argument("--child", choices=["idle", "page", "upload", "worker"], help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.smoke:
        args.rows, args.bomb_mb = 5000, 100
    data_dir = Path(tempfile.mkdtemp(prefix="xf-bench-import-memory-"))
    os.environ.update(
        XINFANG_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="xinfang.settings",
        XINFANG_ALLOWED_HOSTS="testserver",
        XINFANG_TOTP_REQUIRED="false",
        PYTHONPATH=str(ROOT),
    )
    os.environ.setdefault("XINFANG_NOTIFICATION_BACKEND", "xinfang.core.notifications.ConsoleBackend")
    try:
        run(args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args, data_dir):
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench_import import write_ledger

    from xinfang.demo.city import build_city
    from xinfang.org.models import Role
    from xinfang.petitions.models import Category

    city = build_city("Bench-2026!")
    user = city.user(city.bureau, Role.DISPATCHER).username
    places = [f"{d.spec.name}{div.name}" for d in city.districts for div, _unit in d.townships]
    categories = [
        f"{c.parent.name}／{c.name}"
        for c in Category.objects.filter(parent__isnull=False).select_related("parent")
    ]
    units = [u.name for u in city.units.values()] + [d.bureau.name for d in city.districts]

    files = data_dir / "files"
    files.mkdir()
    started = time.perf_counter()
    bomb = zip_bomb(files / "压缩炸弹.xlsx", args.bomb_mb)
    many = million_rows(files / "一百万行.xlsx")
    real = files / f"台账-{args.rows}行.xlsx"
    write_ledger(real, args.rows, "TZ", places, categories, units, seed=1)
    print(f"生成文件用时 {time.perf_counter() - started:.1f} s")
    print(
        f"上限：XINFANG_IMPORT_MAX_MB={settings.XINFANG_IMPORT_MAX_MB}，"
        f"XINFANG_IMPORT_MAX_UNPACKED_MB={getattr(settings, 'XINFANG_IMPORT_MAX_UNPACKED_MB', '（无）')}，"
        f"XINFANG_IMPORT_MAX_ROWS={getattr(settings, 'XINFANG_IMPORT_MAX_ROWS', '（无）')}\n"
    )

    def size(path):
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
        return f"{path.stat().st_size / 1048576:.1f} MB，解压后 {unpacked / 1048576:,.0f} MB"

    runs = [("空闲进程（任务基线）", "idle", None), ("打开上传页（请求基线）", "page", None)]
    for label, path in (("压缩炸弹", bomb), ("100万行小文件", many), (f"真实台账{args.rows:,}行", real)):
        print(f"{label}：{path.name}（{size(path)}）")
        runs += [(f"上传请求：{label}", "upload", path), (f"后台任务：{label}", "worker", path)]
    print()
    print(f"{'测量':<22}{'峰值 RSS':>10}{'用时':>9}  结果")
    for label, kind, path in runs:
        result = measure(kind, data_dir, user, path)
        print(
            f"{label:<22}{result['rss_mb']:>8,.0f} MB{result['seconds']:>7.1f} s  {result['outcome'][:110]}",
            flush=True,
        )


if __name__ == "__main__":
    main()
