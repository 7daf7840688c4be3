from django.core.management.base import BaseCommand

from xinfang.analytics import snapshot


class Command(BaseCommand):
    help = "统计分析数据：refresh 从业务数据重新生成（页面每10分钟自动更新一次）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh"])

    def handle(self, *args, action, **options):
        result = snapshot.refresh()
        self.stdout.write(f"已生成统计数据：{result['matters']:,} 件事项，用时 {result['seconds']} 秒。")
