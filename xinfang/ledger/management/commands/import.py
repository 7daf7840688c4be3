"""`xinfang import matters|enterprises|hazards FILE --user NAME`: import a 台账 (.xlsx or .csv)
from the shell — petition matters, the enterprise register, or hazards.

Runs the same job as the import page, in this process, with a progress bar. Columns are matched by
their headers (the template's names and the usual alternatives); `--column 案情=反映内容` names a
column the guess missed. Stopping it half-way keeps the whole chunks written; running it again on
the same file finishes the import without duplicates.
"""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from xinfang.core.tables import FileRefused
from xinfang.ledger import jobs, kinds
from xinfang.ledger.models import BaseImportJob
from xinfang.org.models import User
from xinfang.petitions.choices import Nature, RequestType


class Command(BaseCommand):
    help = "导入台账：xinfang import matters 文件.xlsx --user 登记员用户名"

    def add_arguments(self, parser):
        parser.add_argument(
            "what",
            choices=list(kinds.KIND_PATHS),
            help="导入的内容：matters（信访事项台账）、enterprises（生产经营单位名录）、hazards（隐患台账）",
        )
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument("--user", required=True, help="以哪个登记员或交办员的身份登记（用户名）")
        parser.add_argument(
            "--mode", choices=BaseImportJob.Mode.values, default=BaseImportJob.Mode.ALL,
            help="all：全部正确才导入（默认）；valid：导入正确的行",
        )  # fmt: skip
        parser.add_argument("--nature", choices=Nature.values, default=Nature.APPEAL, help="未填性质的行按此")
        parser.add_argument(
            "--request-type", choices=RequestType.values, default=RequestType.COMPLAINT, help="未填诉求类型的行按此"
        )  # fmt: skip
        parser.add_argument(
            "--column", action="append", default=[], metavar="字段=文件列名",
            help="指定对应关系，如 --column 案情=反映内容；可重复",
        )  # fmt: skip

    def handle(self, *args, what, file, user, mode, nature, request_type, column, **options):
        kind = kinds.get(what)
        labels = {c.label: c.key for c in kind.columns}
        actor = User.objects.filter(username=user).select_related("unit").first()
        if actor is None:
            raise CommandError(f"没有用户名为「{user}」的用户。")
        try:
            kind.may_import(actor)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        source = Path(file)
        if not source.is_file():
            raise CommandError(f"找不到文件「{source}」。")
        try:
            job = jobs.new_job(actor, source.read_bytes(), source.name, kind, here=True)
        except FileRefused as exc:
            raise CommandError(str(exc)) from exc
        mapping = dict(job.mapping)
        for item in column:
            label, _, header = item.partition("=")
            if label not in labels or header not in job.header:
                jobs.discard(job)
                raise CommandError(
                    f"--column {item}：字段应为{'、'.join(labels)}之一，列名应为文件表头中的一列。"
                )
            mapping[labels[label]] = job.header.index(header)
        problems = jobs.mapping_problems(mapping, job.header, kind.columns)
        if problems:
            jobs.discard(job)
            raise CommandError("".join(problems) + "（文件表头：" + "、".join(job.header) + "）")
        values = {"mapping": mapping, "mode": mode, "state": BaseImportJob.State.QUEUED}
        if what == "matters":
            values.update(default_nature=nature, default_request_type=request_type)
        type(job).objects.filter(pk=job.pk).update(**values)
        self.stderr.write(f"{source.name}：{job.encoding}，{len(job.header)}列")
        job = jobs.run(job.pk, progress=self._progress, kind=kind)
        self.stderr.write("")
        for row, col, message in job.errors:
            self.stderr.write(f"第{row}行" + (f"「{col}」" if col else "") + f"：{message}")
        if job.error_file:
            # Kept encrypted in the file storage; written in clear beside the file it came from.
            errors = source.with_name(f"{source.stem}-错误行.xlsx")
            errors.write_bytes(jobs.content_of(job.error_file))
            self.stderr.write(f"错误行已写入：{errors}")
        if job.state in {BaseImportJob.State.REJECTED, BaseImportJob.State.FAILED}:
            raise CommandError(job.message)
        self.stdout.write(self.style.SUCCESS(f"导入完成：{job.message}"))

    def _progress(self, job):
        width = 30
        filled = width * job.percent // 100
        self.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {job.percent:3d}% {job.get_state_display()}"
            f" 检查{job.checked}/{job.total} 写入{job.written + job.skipped}/{job.to_write}",
            ending="",
        )
        self.stderr.flush()
