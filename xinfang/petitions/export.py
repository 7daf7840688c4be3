"""Any matter list, with its filters, as an Excel 台账 (.xlsx).

Small lists are written while the user waits; large ones by the worker (``ExportJob``), with the
progress shown on a page. Personal fields are masked unless the user's role sees them in full, and
every export is written to the audit log with its filters and row count.
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.utils import timezone

from xinfang.core import storage
from xinfang.core.workbook import Book
from xinfang.org.models import FULL_PERSONAL_DATA_ROLES

from .models import ExportJob

COLUMNS = [
    ("查询码", 16, lambda m, p: m.display_code),
    ("收到时间", 18, lambda m, p: timezone.localtime(m.received_at).strftime("%Y-%m-%d %H:%M")),
    ("信访方式", 10, lambda m, p: m.get_channel_display()),
    ("标题", 40, lambda m, p: m.title),
    ("信访人", 12, lambda m, p: "、".join(x["name"] for x in p)),
    ("身份证号", 22, lambda m, p: "、".join(x["id_number"] for x in p if x["id_number"])),
    ("电话", 16, lambda m, p: "、".join(x["phone"] for x in p if x["phone"])),
    ("住址", 30, lambda m, p: "、".join(x["address"] for x in p if x["address"])),
    ("问题属地", 14, lambda m, p: m.division.name),
    ("内容分类", 24, lambda m, p: str(m.category)),
    ("性质", 10, lambda m, p: m.get_nature_display()),
    ("状态", 12, lambda m, p: m.get_status_display()),
    ("当前承办单位", 24, lambda m, p: m.holder_unit.name),
    ("办理期限", 12, lambda m, p: m.due_date.isoformat() if m.due_date else ""),
]
CHUNK = 2000


def full_view(user) -> bool:
    return user.role in FULL_PERSONAL_DATA_ROLES


def write(queryset, stream, *, full: bool, progress=None) -> int:
    """Write the rows of ``queryset`` to ``stream``; ``progress(done)`` is called every CHUNK rows."""
    book = Book()
    sheet = book.sheet(
        "信访事项台账", [title for title, _, _ in COLUMNS], widths=[width for _, width, _ in COLUMNS]
    )
    done = 0
    rows = queryset.select_related(
        "division", "category", "category__parent", "holder_unit"
    ).prefetch_related("petitioners")
    for matter in rows.iterator(chunk_size=CHUNK):
        people = matter.petitioner_rows(full=full)
        sheet.append([value(matter, people) for _, _, value in COLUMNS])
        done += 1
        if progress and done % CHUNK == 0:
            progress(done)
    book.save(stream)
    return done


def inline_limit() -> int:
    return settings.XINFANG_EXPORT_INLINE_ROWS


def keep(name: str, content: bytes) -> None:
    """Keep a background export's file in the "exports" storage (encrypted)."""
    # Replaced whole: a stale file of the same name (a restored database reuses ids) is never served.
    storages["exports"].replace(name, content)


def is_kept(name: str) -> bool:
    return bool(name) and storages["exports"].exists(name)


def content_of(name: str) -> bytes:
    return storage.read(storages["exports"], name)


def remove_old_files(now=None) -> int:
    """Delete finished exports older than XINFANG_EXPORT_KEEP_HOURS: they hold personal data."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.XINFANG_EXPORT_KEEP_HOURS)
    old = ExportJob.objects.filter(finished_at__lt=cutoff).exclude(file_name="")
    removed = 0
    for job in old:
        storages["exports"].delete(job.file_name)
        removed += 1
    old.update(file_name="")
    return removed
