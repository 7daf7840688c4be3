from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from xinfang.analytics import situation_report
from xinfang.analytics.views import territory
from xinfang.documents.convert import ConversionError
from xinfang.org.models import Division, User

FORMATS = {".docx": "docx", ".pdf": "pdf", ".xlsx": "xlsx"}


class Command(BaseCommand):
    help = "生成信访形势分析报告（公文格式 .docx，或 .pdf、统计表 .xlsx）"

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", choices=list(situation_report.KINDS), help="monthly 月度 / quarterly 季度 / annual 年度"
        )
        parser.add_argument("--month", help="月度报告的月份，如 2026-10")
        parser.add_argument("--quarter", help="季度报告的季度，如 2026Q3")
        parser.add_argument("--year", help="年度报告的年份，如 2025")
        parser.add_argument(
            "--division", help="区划代码（默认：最高一级区划，即全市；指定 --user 时为其辖区）"
        )
        parser.add_argument(
            "--user",
            help="按该用户的权限生成：办案人员只列出其可查看的事项；不指定或无事项权限的用户只含统计数字",
        )
        parser.add_argument("--out", required=True, help="输出文件：.docx、.pdf 或 .xlsx")
        parser.add_argument("--xlsx", help="另存统计表 .xlsx")

    def handle(self, *args, kind, out, xlsx=None, division=None, user=None, **options):
        value = {"monthly": options["month"], "quarterly": options["quarter"], "annual": options["year"]}[
            kind
        ]
        if not value:
            flag = {"monthly": "--month", "quarterly": "--quarter", "annual": "--year"}[kind]
            raise CommandError(f"请用 {flag} 指定报告期间。")
        target = Path(out)
        fmt = FORMATS.get(target.suffix.lower())
        if fmt is None:
            raise CommandError("输出文件须以 .docx、.pdf 或 .xlsx 结尾。")
        kw = {}
        if division:
            found = Division.objects.filter(code=division).first()
            if found is None:
                raise CommandError(f"没有区划代码为 {division} 的区划。")
            kw["division"] = found
        if user:
            kw.update(self.as_user(user, kw.get("division")))
        try:
            period = situation_report.period_of(kind, value)
            target.write_bytes(situation_report.render(kind, period, fmt, **kw))
            if xlsx:
                Path(xlsx).write_bytes(situation_report.render(kind, period, "xlsx", **kw))
        except (situation_report.ReportError, ConversionError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已生成{period.label()}{situation_report.KINDS[kind]}报告：{target}"
            + (f"，统计表：{xlsx}" if xlsx else "")
        )

    def as_user(self, username, division):
        """The report as `username` would get it on the page: their territory, their unit, their
        scope of matters."""
        reader = User.objects.filter(username=username, is_active=True).select_related("unit").first()
        if reader is None or reader.unit is None:
            raise CommandError(f"没有用户名为 {username} 的在用账号，或该账号未分配单位。")
        try:
            home = territory(reader)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        if division is not None and not division.path.startswith(home.path):
            raise CommandError(f"区划 {division.name} 不在 {username} 的辖区（{home.name}）内。")
        return {"division": division or home, "issuing_unit": reader.unit, "reader": reader}
