"""xinfang model train|list|activate|rollback|evaluate|index — the category and unit models and the
similar-matter index."""

import sys

from django.core.management.base import BaseCommand, CommandError

from xinfang.intelligence import classify


class Command(BaseCommand):
    help = "研判模型：训练、查看版本、启用/回退、离线评估，以及重建相似事项索引"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="用本地历史事项训练新版本并启用")
        train.add_argument("--kind", choices=["category", "unit", "all"], default="all")
        train.add_argument("--default", action="store_true", help="用项目自写的示例语料训练默认分类模型")
        sub.add_parser("list", help="列出各版本及其留出集得分")
        activate = sub.add_parser("activate", help="启用指定版本")
        activate.add_argument("kind", choices=["category", "unit"])
        activate.add_argument("number", type=int)
        rollback = sub.add_parser("rollback", help="回退到上一个版本")
        rollback.add_argument("kind", choices=["category", "unit"])
        evaluate = sub.add_parser("evaluate", help="在一个文件上训练、在另一个文件上评分（不读写数据库）")
        evaluate.add_argument("--train", required=True, help="CSV：id,title,text,label")
        evaluate.add_argument("--test", required=True, help="CSV：id,title,text,label")
        sub.add_parser("index", help="从数据库重建相似事项索引并保存快照")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_train(self, kind, default, **_):
        from xinfang.assist import training

        kinds = ["category", "unit"] if kind == "all" else [kind]
        failed = False
        for k in kinds:
            try:
                v = training.train(k, by="命令行", use_corpus=default and k == "category")
            except training.TrainingError as exc:
                self.stderr.write(f"{k}: {exc}")
                failed = True
                continue
            self.stdout.write(self._describe(v))
        if failed and kind != "all":
            raise CommandError("训练未完成。")

    def do_list(self, **_):
        from xinfang.assist.models import ModelVersion

        versions = ModelVersion.objects.defer("weights")
        if not versions:
            self.stdout.write("还没有训练过模型。运行 xinfang model train。")
        for v in versions:
            self.stdout.write(self._describe(v))

    def do_activate(self, kind, number, **_):
        from xinfang.assist import training
        from xinfang.assist.models import ModelVersion

        v = ModelVersion.objects.defer("weights").filter(kind=kind, number=number).first()
        if v is None:
            raise CommandError(f"没有{kind}模型的 v{number}。")
        self.stdout.write("已启用 " + self._describe(training.activate(v)))

    def do_rollback(self, kind, **_):
        from xinfang.assist import training

        try:
            v = training.rollback(kind)
        except training.TrainingError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("已回退到 " + self._describe(v))

    def do_evaluate(self, train, test, **_):
        try:
            train_rows, test_rows = classify.read_rows(train), classify.read_rows(test)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        result = classify.evaluate(train_rows, test_rows)
        self.stdout.write(f"训练 {len(train_rows)} 条，测试 {len(test_rows)} 条")
        for line in classify.report_lines(result):
            self.stdout.write(line)
        self.stdout.write(classify.summary_line(result))
        sys.stdout.flush()

    def do_index(self, **_):
        from xinfang.assist import similar_matters

        last = similar_matters.rebuild()
        self.stdout.write(f"相似事项索引已重建，收录至事项 {last}。")

    @staticmethod
    def _describe(v) -> str:
        scores = (
            f"留出集宏平均F1 {v.macro_f1:.3f}，准确率 {v.accuracy:.3f}"
            if v.macro_f1 is not None
            else "无留出集得分"
        )
        state = "（启用中）" if v.active else ""
        return (
            f"{v.get_kind_display()}模型 v{v.number}{state}：{v.get_source_display()}，"
            f"训练 {v.train_count} 件 / 留出 {v.test_count} 件，{v.label_count} 类，{scores}"
        )
