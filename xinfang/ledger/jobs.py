"""Running an import job: check every row, then write the good ones in chunks.

The same function runs in the worker (`tasks.run_import`) and in `xinfang import`, for every kind
of 台账 (kinds.py: matters, the enterprise register, hazards). The web
request only keeps the upload (encrypted) and reads its header (`new_job`, cheap whatever the file
holds); the job decrypts the file into memory (it is at most XINFANG_IMPORT_MAX_MB) and reads what it
unpacks to as a stream, twice: the first pass checks every row and writes nothing, so an
all-or-nothing import with a bad row leaves the database as it was; the second pass writes the rows
that passed, chunk by chunk, each chunk one transaction with the job's counters. Memory therefore
does not grow with the file (the rows are never all held), and the refused rows go straight into
the error workbook. A killed import leaves whole chunks only, and running the job again skips the
rows already written (they are found by their import key), so it finishes the file without duplicates.
"""

import io
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from xinfang.core import clock, sheets, storage
from xinfang.core.tables import WORKER_KINDS, FileRefused, Limits, Table, kind_of, open_table
from xinfang.core.workbook import Book
from xinfang.org.importers import RowError

from . import kinds
from .columns import guess_mapping, missing_required
from .models import BaseImportJob

log = logging.getLogger("xinfang.ledger")
CHUNK = 2000
KEPT_ERRORS = 500  # shown on the page; every bad row is in the error workbook


def keep(name: str, content: bytes) -> None:
    """Keep an upload or an error workbook in the "imports" storage (encrypted)."""
    # Replaced whole: a stale file of the same name (a restored database reuses ids) is never served.
    storages["imports"].replace(name, content)


def is_kept(name: str) -> bool:
    return bool(name) and storages["imports"].exists(name)


def content_of(name: str) -> bytes:
    """A kept file's content, decrypted."""
    return storage.read(storages["imports"], name)


def forget(name: str) -> None:
    storages["imports"].delete(name)


def limits() -> Limits:
    return Limits(
        max_bytes=settings.XINFANG_IMPORT_MAX_MB * 1048576,
        max_unpacked=settings.XINFANG_IMPORT_MAX_UNPACKED_MB * 1048576,
        max_rows=settings.XINFANG_IMPORT_MAX_ROWS,
    )


def read(source: str | bytes) -> Table:
    """A kept file (its name) or an upload (its content) as a table under the
    configured limits: its kind, header and first rows; raises FileRefused. Only the head of the
    file is read (the upload and mapping pages call it); `rows()` reads the rest as a stream."""
    content = source if isinstance(source, bytes) else content_of(source)
    return open_table(content, limits())


def _kind(kind) -> kinds.Kind:
    return kinds.get("matters") if kind is None else kind


def new_job(
    user, content: bytes, original_name: str, kind: kinds.Kind | None = None, *, here=False
) -> BaseImportJob:
    """Keep an uploaded file, encrypted (it holds personal data), and read its header; raises
    FileRefused (and keeps nothing). An .xls, .et or .ods file is only checked here and its header
    is read by the worker (`read_header`, queued after commit) unless `here` (the command line,
    which is a worker itself). The rows are counted by the job's first pass."""
    kind = _kind(kind)
    file_type = kind_of(content, limits())
    later = file_type in WORKER_KINDS and not here
    table = None if later else read(content)
    suffix = {"csv": ".csv", "xls": ".xls", "ods": ".ods"}.get(file_type, ".xlsx")
    stored = f"{secrets.token_hex(12)}{suffix}"
    keep(stored, content)
    job = kind.job_model.objects.create(
        user=user,
        original_name=original_name[:200],
        stored_name=stored,
        size=len(content),
        encoding=sheets.LABELS[file_type] if later else table.encoding,
        header=[] if later else table.header,
        mapping={} if later else guess_mapping(table.header, kind.columns),
        **kind.job_filter,
    )
    if later:
        from .tasks import read_header_later

        transaction.on_commit(lambda: read_header_later(job.pk, kind.key))
    return job


def reading(job: BaseImportJob) -> bool:
    """Whether the worker has still to read the job's header."""
    return job.state == BaseImportJob.State.MAPPING and not job.header


def read_header(job_id, kind: kinds.Kind | None = None) -> BaseImportJob:
    """The worker's reading of a kept file's header (an .xls, .et or .ods upload): the job is then
    ready for the column mapping, or failed with the reason."""
    kind = _kind(kind)
    job = kind.jobs().get(pk=job_id)
    if not reading(job):
        return job
    try:
        table = read(job.stored_name)
    except (FileRefused, FileNotFoundError) as exc:
        reason = str(exc) if isinstance(exc, FileRefused) else "上传的文件已不存在，请重新上传。"
        _finish(job, BaseImportJob.State.FAILED, message=reason)
        return job
    job.header, job.encoding = table.header, table.encoding
    job.mapping = guess_mapping(table.header, kind.columns)
    job.save(update_fields=["header", "mapping", "encoding"])
    return job


def discard(job: BaseImportJob):
    """Forget a job that was never started, and its upload."""
    if job.stored_name:
        forget(job.stored_name)
    job.delete()


def mapping_problems(mapping: dict[str, int], header: list[str], columns=None) -> list[str]:
    """What is wrong with a column mapping, in Chinese; empty when it can be run."""
    columns = _kind(None).columns if columns is None else columns
    by_key = {c.key: c for c in columns}
    problems = [f"必须指定「{c.label}」对应文件中的哪一列。" for c in missing_required(mapping, columns)]
    used = {}
    for key, index in mapping.items():
        if key not in by_key:
            problems.append("列的对应中有不认识的字段。")
        elif not 0 <= int(index) < len(header):
            problems.append(f"「{by_key[key].label}」对应的列不存在。")
        elif int(index) in used:
            problems.append(
                f"文件的「{header[int(index)]}」列同时对应了「{used[int(index)]}」和「{by_key[key].label}」。"
            )
        else:
            used[int(index)] = by_key[key].label
    return problems


def claim(job_id, kind: kinds.Kind | None = None) -> bool:
    """Take the job unless another run holds it (its claim is refreshed with every chunk)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.XINFANG_IMPORT_LEASE_SECONDS)
    free = (
        _kind(kind)
        .jobs()
        .filter(pk=job_id, state__in=BaseImportJob.RUNNING_STATES)
        .exclude(claimed_at__gt=stale)
    )
    return free.update(claimed_at=now) == 1


def run(job_id, progress=None, kind: kinds.Kind | None = None) -> BaseImportJob:
    """Run (or resume) a queued job to its end. `progress(job)` is called as it goes."""
    kind = _kind(kind)
    if not claim(job_id, kind):
        return kind.jobs().get(pk=job_id)
    job = kind.jobs().select_related("user", "user__unit").get(pk=job_id)
    try:
        _run(job, kind, progress or (lambda job: None))
    except FileRefused as exc:
        _finish(job, BaseImportJob.State.FAILED, message=str(exc))
    except Exception as exc:
        log.exception("台账导入任务 %s 失败", job.pk)
        _finish(
            job,
            BaseImportJob.State.FAILED,
            message=f"导入中断（{type(exc).__name__}: {exc}）。已写入的行会保留；重新导入同一文件会接着导入其余的行。",
        )
        raise
    job.refresh_from_db()
    return job


def _run(job: BaseImportJob, kind: kinds.Kind, progress):
    if not is_kept(job.stored_name):
        raise FileRefused("上传的文件已不存在，请重新上传。")
    problems = mapping_problems(job.mapping, job.header, kind.columns)
    if problems:
        raise FileRefused("".join(problems))
    table = read(job.stored_name)
    now = clock.now()  # the day the rows are checked against and registered on
    checker = kind.checker(job, now)
    refused = RefusedRows(job, table.header)

    # First pass: check every row, write nothing.
    _save(job, state=BaseImportJob.State.CHECKING, total=0, checked=0)
    progress(job)
    bad = set()  # positions (1 = first data row) of the rows refused
    first_row_of = {}
    count = 0
    for count, (number, cells) in enumerate(table.rows(), start=1):
        row, row_errors = checker.check(number, cells)
        if row is not None:
            earlier = first_row_of.setdefault(row.key, number)
            if earlier != number:
                what = kind.duplicate_what(row)
                row_errors = [RowError(number, "", f"与第{earlier}行的{what}相同，是重复的行")]
        if row_errors:
            bad.add(count)
            refused.add(number, cells, row_errors)
        if count % CHUNK == 0:
            _save(job, checked=count, total=_estimate(count, table.share_read), claimed_at=timezone.now())
            progress(job)
    del first_row_of
    if bad and job.mode == BaseImportJob.Mode.ALL:
        _finish(
            job,
            BaseImportJob.State.REJECTED,
            refused=refused,
            checked=count,
            total=count,
            message=f"共{len(bad)}行有错误，按「全部正确才导入」的选择，一行都没有导入。请修改后重新导入。",
        )
        progress(job)
        return

    # Second pass: read the file again and write the rows that passed, chunk by chunk.
    _save(
        job,
        state=BaseImportJob.State.WRITING,
        total=count,
        checked=count,
        to_write=count - len(bad),
        error_count=len(bad),
        written=0,
        skipped=0,
    )
    progress(job)
    chunk = []
    for position, (number, cells) in enumerate(table.rows(), start=1):
        if position in bad:
            continue
        row, row_errors = checker.check(number, cells)  # as in the first pass: lookups are cached
        if row_errors:  # the reference data changed in between
            refused.add(number, cells, row_errors)
            continue
        chunk.append((row, cells))
        if len(chunk) == CHUNK:
            _write(job, kind, chunk, refused, now, progress)
            chunk = []
    if chunk:
        _write(job, kind, chunk, refused, now, progress)
    job.refresh_from_db()
    message = f"新登记{job.written}{kind.unit_word}；此前已导入、本次跳过{job.skipped}行"
    message += f"；有错误未导入{refused.count}行，请下载错误行修改后再导入。" if refused.count else "。"
    _finish(job, BaseImportJob.State.DONE, refused=refused, message=message)
    progress(job)


def _write(job, kind, chunk, refused, now, progress):
    late = kind.write_chunk(job, job.user, [row for row, _ in chunk], now)
    cells_of = {row.number: cells for row, cells in chunk}
    by_row = {}
    for e in late:
        by_row.setdefault(e.row, []).append(e)
    for number, row_errors in by_row.items():
        refused.add(number, cells_of[number], row_errors)
    job.refresh_from_db()
    progress(job)


def _estimate(checked: int, share_read: float) -> int:
    """The rows of the whole file, judged from the share of it read so far (for the progress bar)."""
    return max(checked, round(checked / share_read)) if share_read else checked


class RefusedRows:
    """The rows refused, as they were, each with a last column saying what is wrong, written to the
    error workbook as they are found; the first KEPT_ERRORS problems are kept for the page."""

    def __init__(self, job, header):
        self.job, self.header = job, header
        self.count = 0
        self.errors = []
        self.book = self.sheet = None

    def add(self, number, cells, row_errors):
        if self.book is None:
            self.book = Book()
            self.sheet = self.book.sheet("错误行", [*self.header, "错误说明"])
        self.count += 1
        room = KEPT_ERRORS - len(self.errors)
        self.errors += [[e.row, e.column, e.message] for e in row_errors[: max(0, room)]]
        reasons = "；".join(f"{e.column}：{e.message}" if e.column else e.message for e in row_errors)
        padded = list(cells) + [None] * (len(self.header) - len(cells))
        self.sheet.append([*padded, f"原第{number}行 {reasons}"])

    def save(self) -> str:
        """The workbook's file name among the kept imports (encrypted like the upload); "" when
        no row was refused."""
        if self.book is None:
            return ""
        name = f"{self.job.pk}-errors-{secrets.token_hex(8)}.xlsx"
        buffer = io.BytesIO()
        self.book.save(buffer)
        keep(name, buffer.getvalue())
        return name


def _save(job, **values):
    for name, value in values.items():
        setattr(job, name, value)
    type(job).objects.filter(pk=job.pk).update(**values)


def _finish(job, state, *, refused=None, message="", **values):
    """End the job; the refused rows are reported unless it failed as a whole."""
    stored = job.stored_name
    if refused is None:
        values.update(error_count=0, errors=[], error_file="")
    else:
        values.update(error_count=refused.count, errors=refused.errors, error_file=refused.save())
    with transaction.atomic():
        _save(
            job,
            state=state,
            message=message,
            finished_at=timezone.now(),
            claimed_at=None,
            stored_name="",
            **values,
        )
    if stored:
        forget(stored)  # the upload holds personal data


def remove_old_files(now=None) -> int:
    """Delete error workbooks older than XINFANG_EXPORT_KEEP_HOURS and uploads of abandoned jobs,
    of every kind of 台账."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.XINFANG_EXPORT_KEEP_HOURS)
    removed = 0
    for model in {kind.job_model for kind in kinds.all_kinds()}:
        for job in model.objects.filter(created_at__lt=cutoff).exclude(error_file="", stored_name=""):
            if job.running:
                continue
            for name in (job.error_file, job.stored_name):
                if name:
                    forget(name)
            model.objects.filter(pk=job.pk).update(error_file="", stored_name="")
            removed += 1
    return removed
