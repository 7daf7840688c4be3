"""`xinfang import_grids FILE`: load grids (网格) from a CSV or .xlsx file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinfang.core.tables import FileRefused
from xinfang.grid.importer import import_grids


class Command(BaseCommand):
    help = "从 CSV 或 Excel 文件导入网格（列：网格编码、网格名称、所属村（社区）代码、责任单位、网格员）。"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            written, errors = import_grids(Path(file).read_bytes())
        except (OSError, FileRefused) as exc:
            raise CommandError(str(exc)) from exc
        if errors:
            raise CommandError("未导入任何网格：\n" + "\n".join(str(e) for e in errors))
        self.stdout.write(self.style.SUCCESS(f"已导入{written}个网格。"))
