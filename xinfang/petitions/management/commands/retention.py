from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from xinfang.petitions.retention import anonymise_due


class Command(BaseCommand):
    help = "对办结超过保存期限（XINFANG_RETENTION_DAYS）的事项删除信访人个人信息和附件，统计数据保留。每天由后台任务运行。"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="按指定日期计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, today=None, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"日期格式不正确：{today}，应为 YYYY-MM-DD") from exc
        n = anonymise_due(day)
        self.stdout.write(f"已匿名化 {n} 件事项的个人信息（保存期限 {settings.XINFANG_RETENTION_DAYS} 日）。")
