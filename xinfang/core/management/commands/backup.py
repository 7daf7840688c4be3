"""`xinfang backup`: back up, check and restore the database and the attachments.

    xinfang backup create [--out PATH]     # default <XINFANG_DATA_DIR>/backups/xinfang-YYYYmmdd-HHMMSS.tar.gz
    xinfang backup verify PATH             # check an archive without restoring it
    xinfang backup restore PATH [--yes]    # --yes is required when the database already has data

SQLite is copied online with the sqlite3 backup API (the service may keep running); PostgreSQL with
pg_dump (custom format). Restoring needs the service stopped. See xinfang/core/backup.py and
docs/operations.md.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from xinfang.core import backup


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class Command(BaseCommand):
    help = "备份与恢复：数据库和附件打包为一个 .tar.gz（含清单和校验和），可校验、可恢复。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,verify,restore}")
        create = sub.add_parser("create", help="创建备份（服务运行时也可以）")
        create.add_argument(
            "--out", help="备份文件路径（默认 数据目录/backups/xinfang-年月日-时分秒.tar.gz）"
        )
        verify = sub.add_parser("verify", help="校验备份文件，不做恢复")
        verify.add_argument("path", help="备份文件（.tar.gz）")
        restore = sub.add_parser("restore", help="从备份恢复数据库和附件（须先停止服务）")
        restore.add_argument("path", help="备份文件（.tar.gz）")
        restore.add_argument("--yes", action="store_true", help="确认用备份替换已有数据")

    def handle(self, *args, action, **options):
        try:
            if action == "create":
                self.create(options.get("out"))
            elif action == "verify":
                self.verify(options["path"])
            else:
                self.restore(options["path"], options["yes"])
        except backup.BackupError as e:
            raise CommandError(str(e)) from e

    def create(self, out):
        result = backup.create_backup(out)
        self.stdout.write(self.style.SUCCESS(f"备份完成：{result.path}"))
        self.stdout.write(f"  大小 {human_size(result.size)}，用时 {result.seconds:.1f} 秒")
        self.describe(result.manifest)
        self.where_from()

    def where_from(self):
        """With several servers: the backup is of the primary, and files in an object store are not in it."""
        if "replica" in settings.DATABASES:
            self.stdout.write("  数据库取自主库（不是只读副本）/ dumped from the primary, not the replica")
        if storages["default"].local_path("probe") is None:
            self.stdout.write(
                self.style.WARNING(
                    "  附件在对象存储中，不在本备份里：请开启存储桶的版本管理和复制 / attachments are in the "
                    "object store and not in this archive: keep the bucket versioned and replicated"
                )
            )

    def verify(self, path):
        result = backup.verify_backup(path)
        m = result.manifest
        db = m["database"]
        checked = "文件校验和、数据库完整性、各表行数、信访事项校验和"
        if db["vendor"] == "postgresql":
            checked = "文件校验和、转储目录、各表行数"
        self.stdout.write(self.style.SUCCESS(f"备份文件校验通过：{path}"))
        self.stdout.write(
            f"  已检查：{checked}；大小 {human_size(result.size)}，用时 {result.seconds:.1f} 秒"
        )
        self.describe(m)
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))

    def restore(self, path, yes):
        result = backup.restore_backup(path, yes=yes, log=lambda line: self.stdout.write(line))
        m = result.manifest
        self.stdout.write(self.style.SUCCESS(f"恢复完成：{path}（备份时间 {m['created_at']}）"))
        self.stdout.write(
            f"  各表行数和信访事项校验和与清单一致；用时 {result.seconds:.1f} 秒"
            + (f"；删除了备份中没有的附件 {result.media_removed} 个" if result.media_removed else "")
        )
        self.describe(m)
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))

    def describe(self, m):
        db = m["database"]
        version = db.get("sqlite_version") or db.get("server_version") or ""
        counts = m["counts"]
        matters = m["matters"]
        self.stdout.write(
            f"  数据库 {backup.VENDOR_LABEL[db['vendor']]} {version}，备份时间 {m['created_at']}，"
            f"{len(counts)} 张表共 {sum(counts.values())} 行"
        )
        self.stdout.write(f"  信访事项 {matters['rows']} 件，校验和 SHA-256 {matters['sha256']}")
        media = m.get("media") or {}
        self.stdout.write(f"  附件 {media.get('files', 0)} 个，{human_size(media.get('bytes', 0))}")
        latest = m["migrations"]["latest"]
        self.stdout.write("  迁移状态：" + "，".join(f"{app} {name}" for app, name in latest.items()))
        nonempty = {t: n for t, n in counts.items() if n}
        if nonempty:
            width = max(len(t) for t in nonempty)
            self.stdout.write("  各表行数（空表不列出）：")
            for table, n in nonempty.items():
                self.stdout.write(f"    {table.ljust(width)}  {n:>10}")
