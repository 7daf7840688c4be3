from datetime import date

from django.core.management.base import BaseCommand, CommandError

from xinfang.petitions.services import sweep


class Command(BaseCommand):
    help = "扫描期限：对临期、超期事项发出催办提醒，对复查（复核）申请期限届满的事项办结。通常由后台任务每15分钟运行一次。"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="按指定日期扫描（YYYY-MM-DD），默认今天")

    def handle(self, *args, today=None, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"日期格式不正确：{today}，应为 YYYY-MM-DD") from exc
        counts = sweep(day)
        self.stdout.write(
            f"临期提醒 {counts['warning']} 件，超期提醒 {counts['overdue']} 件，期限届满办结 {counts['closed']} 件"
        )
