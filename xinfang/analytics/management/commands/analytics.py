from django.core.management.base import BaseCommand

from xinfang.analytics import snapshot


class Command(BaseCommand):
    help = "统计分析数据：refresh 从业务数据更新（后台任务每30秒自动更新一次），--full 整个重新生成"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--full", action="store_true", help="整个重新生成，而不只读出变化的事项")

    def handle(self, *args, action, full, **options):
        result = snapshot.refresh(full=full)
        how = "重新生成" if result["kind"] == "full" else "增量更新"
        self.stdout.write(f"已{how}统计数据：{result['matters']:,} 件事项，用时 {result['seconds']} 秒。")
