"""`xinfang import_divisions FILE.csv`: import administrative divisions from a CSV file.

The file format, the code convention (codes are stored with 12 digits; short and 6-digit forms are
accepted) and the all-or-nothing rules are described in xinfang/org/importers.py.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinfang.org.importers import DivisionImportError, import_divisions


class Command(BaseCommand):
    help = "从CSV文件导入行政区划（列：代码、名称、上级代码；UTF-8、带BOM的UTF-8或GBK编码）。全部行校验通过才写入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查文件，不写入数据库")

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件「{path}」：{exc.strerror or exc}") from exc
        try:
            result = import_divisions(data, dry_run=dry_run)
        except DivisionImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{exc}（文件：{path}）") from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
