"""Running an import job: check every row, then write the good ones in chunks.

The same function runs in the worker (`tasks.run_import`) and in `xinfang import matters`. Checking
comes first and writes nothing, so an all-or-nothing import with a bad row leaves the database as
it was. Writing goes chunk by chunk, each chunk one transaction with the job's counters; a killed
import leaves whole chunks only, and running the job again skips the rows already written (they
are found by their import key), so it finishes the file without duplicates.
"""

import io
import logging
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from xinfang.core import encrypted_files
from xinfang.core.tables import FileRefused, open_table
from xinfang.org.importers import RowError

from . import writer
from .columns import BY_KEY, guess_mapping, missing_required
from .models import ImportJob
from .rows import RowChecker

log = logging.getLogger("xinfang.ledger")
CHUNK = 2000
KEPT_ERRORS = 500  # shown on the page; every bad row is in the error workbook


def import_dir() -> Path:
    folder = settings.DATA_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read(source: Path | bytes):
    """A kept file (its path: stored encrypted) or an upload (its content) as a table, under the
    configured size limit; raises FileRefused."""
    content = source if isinstance(source, bytes) else encrypted_files.read(source)
    return open_table(content, max_bytes=settings.XINFANG_IMPORT_MAX_MB * 1048576)


def new_job(user, content: bytes, original_name: str) -> ImportJob:
    """Read the header of an uploaded file and keep the file, encrypted (it holds personal data),
    for the run; raises FileRefused (and keeps nothing)."""
    table = read(content)
    suffix = ".csv" if original_name.lower().endswith((".csv", ".txt")) else ".xlsx"
    stored = f"{secrets.token_hex(12)}{suffix}"
    encrypted_files.write(import_dir() / stored, content)
    return ImportJob.objects.create(
        user=user,
        original_name=original_name[:200],
        stored_name=stored,
        size=len(content),
        encoding=table.encoding,
        header=table.header,
        mapping=guess_mapping(table.header),
        total=len(table),
    )


def discard(job: ImportJob):
    """Forget a job that was never started, and its upload."""
    if job.stored_name:
        (import_dir() / job.stored_name).unlink(missing_ok=True)
    job.delete()


def mapping_problems(mapping: dict[str, int], header: list[str]) -> list[str]:
    """What is wrong with a column mapping, in Chinese; empty when it can be run."""
    problems = [f"必须指定「{c.label}」对应文件中的哪一列。" for c in missing_required(mapping)]
    used = {}
    for key, index in mapping.items():
        if not 0 <= int(index) < len(header):
            problems.append(f"「{BY_KEY[key].label}」对应的列不存在。")
        elif int(index) in used:
            problems.append(
                f"文件的「{header[int(index)]}」列同时对应了「{used[int(index)]}」和「{BY_KEY[key].label}」。"
            )
        used[int(index)] = BY_KEY[key].label
    return problems


def claim(job_id) -> bool:
    """Take the job unless another run holds it (its claim is refreshed with every chunk)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.XINFANG_IMPORT_LEASE_SECONDS)
    free = ImportJob.objects.filter(pk=job_id, state__in=ImportJob.RUNNING_STATES).exclude(
        claimed_at__gt=stale
    )
    return free.update(claimed_at=now) == 1


def run(job_id, progress=None) -> ImportJob:
    """Run (or resume) a queued job to its end. `progress(job)` is called as it goes."""
    if not claim(job_id):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("user", "user__unit").get(pk=job_id)
    try:
        _run(job, progress or (lambda job: None))
    except FileRefused as exc:
        _finish(job, ImportJob.State.FAILED, message=str(exc))
    except Exception as exc:
        log.exception("台账导入任务 %s 失败", job.pk)
        _finish(
            job,
            ImportJob.State.FAILED,
            message=f"导入中断（{type(exc).__name__}: {exc}）。已写入的行会保留；重新导入同一文件会接着导入其余的行。",
        )
        raise
    job.refresh_from_db()
    return job


def _run(job: ImportJob, progress):
    path = import_dir() / job.stored_name
    if not job.stored_name or not path.is_file():
        raise FileRefused("上传的文件已不存在，请重新上传。")
    problems = mapping_problems(job.mapping, job.header)
    if problems:
        raise FileRefused("".join(problems))
    table = read(path)
    now = timezone.now()
    checker = RowChecker(
        job.user,
        {k: int(v) for k, v in job.mapping.items()},
        default_nature=job.default_nature or RowChecker.default_nature,
        default_request_type=job.default_request_type or RowChecker.default_request_type,
        now=now,
    )
    _save(job, state=ImportJob.State.CHECKING, total=len(table), checked=0)
    progress(job)
    bad, errors, first_row_of, good = {}, [], {}, []
    for i, (number, cells) in enumerate(table.rows, start=1):
        row, row_errors = checker.check(number, cells)
        if row is not None:
            earlier = first_row_of.setdefault(row.key, number)
            if earlier != number:
                what = "编号" if row.fields["ledger_number"] else "信访人、电话、信访时间和案情"
                row_errors = [RowError(number, "", f"与第{earlier}行的{what}相同，是重复的行")]
        if row_errors:
            bad[number] = row_errors
            errors += row_errors
        else:
            good.append(row)
        if i % CHUNK == 0:
            _save(job, checked=i, claimed_at=timezone.now())
            progress(job)
    if bad and job.mode == ImportJob.Mode.ALL:
        _finish(
            job,
            ImportJob.State.REJECTED,
            table=table,
            bad=bad,
            errors=errors,
            checked=len(table),
            message=f"共{len(bad)}行有错误，按「全部正确才导入」的选择，一行都没有导入。请修改后重新导入。",
        )
        progress(job)
        return

    _save(
        job,
        state=ImportJob.State.WRITING,
        checked=len(table),
        to_write=len(good),
        error_count=len(bad),
        written=0,
        skipped=0,
    )
    progress(job)
    for start in range(0, len(good), CHUNK):
        late = writer.write_chunk(job, job.user, good[start : start + CHUNK], now)
        for e in late:
            bad.setdefault(e.row, []).append(e)
            errors.append(e)
        job.refresh_from_db()
        progress(job)
    job.refresh_from_db()
    message = f"新登记{job.written}件；此前已导入、本次跳过{job.skipped}行"
    message += f"；有错误未导入{len(bad)}行，请下载错误行修改后再导入。" if bad else "。"
    _finish(job, ImportJob.State.DONE, table=table, bad=bad, errors=errors, message=message)
    progress(job)


def _save(job, **values):
    for name, value in values.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**values)


def _finish(job, state, *, table=None, bad=None, errors=(), message="", **values):
    bad, stored = bad or {}, job.stored_name
    error_file = _error_workbook(job, table, bad) if table is not None and bad else ""
    with transaction.atomic():
        _save(
            job,
            state=state,
            error_count=len(bad),
            errors=[[e.row, e.column, e.message] for e in errors[:KEPT_ERRORS]],
            error_file=error_file,
            message=message,
            finished_at=timezone.now(),
            claimed_at=None,
            stored_name="",
            **values,
        )
    if stored:
        (import_dir() / stored).unlink(missing_ok=True)  # the upload holds personal data


def _error_workbook(job, table, bad) -> str:
    """The refused rows as they were, with a last column saying what is wrong, ready to fix;
    kept encrypted like the upload."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("错误行")
    header = [WriteOnlyCell(sheet, value=h) for h in [*table.header, "错误说明"]]
    for cell in header:
        cell.font = Font(bold=True)
    sheet.append(header)
    for number, cells in table.rows:
        if number in bad:
            reasons = "；".join(f"{e.column}：{e.message}" if e.column else e.message for e in bad[number])
            padded = list(cells) + [None] * (len(table.header) - len(cells))
            sheet.append([*padded, f"原第{number}行 {reasons}"])
    name = f"{job.pk}-errors-{secrets.token_hex(8)}.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    encrypted_files.write(import_dir() / name, buffer.getvalue())
    return name


def remove_old_files(now=None) -> int:
    """Delete error workbooks older than XINFANG_EXPORT_KEEP_HOURS and uploads of abandoned jobs."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.XINFANG_EXPORT_KEEP_HOURS)
    removed = 0
    for job in ImportJob.objects.filter(created_at__lt=cutoff).exclude(error_file="", stored_name=""):
        if job.running:
            continue
        for name in (job.error_file, job.stored_name):
            if name:
                (import_dir() / name).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(error_file="", stored_name="")
        removed += 1
    return removed
