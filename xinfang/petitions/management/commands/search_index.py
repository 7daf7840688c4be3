import time

from django.core.management.base import BaseCommand

from xinfang.petitions.search import index_missing


class Command(BaseCommand):
    help = (
        "为还没有全文索引词的信访事项建立索引（批量载入的数据、索引建立之前登记的事项）；已有的不重复建立。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000, help="每批事项数，默认5000")

    def handle(self, *args, batch=5000, **options):
        started = time.perf_counter()
        every = max(batch, 100_000)

        def progress(done):
            if done % every < batch:
                self.stdout.write(f"  已索引 {done:,} 件，{time.perf_counter() - started:.0f} 秒")

        n = index_missing(batch=batch, progress=progress)
        self.stdout.write(f"已为 {n:,} 件事项建立全文索引，用时 {time.perf_counter() - started:.1f} 秒。")
