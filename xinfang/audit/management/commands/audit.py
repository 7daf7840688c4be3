"""`xinfang audit …`: check and read the audit log from the command line.

xinfang audit verify                  -> 审计日志完整：共N条 (exit 0), or 审计日志在第N条被篡改：… (exit 1)
xinfang audit list --since 2025-03-01 --user alice --action login --limit 20
"""

import sys
import unicodedata
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xinfang.audit import api
from xinfang.audit.models import AuditEntry
from xinfang.audit.views import filter_entries

COLUMNS = ["序号", "时间", "用户", "单位", "IP 地址", "操作", "对象", "详情"]


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链是否完整，list 列出记录。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(title="子命令", dest="subcommand", required=True)
        sub.add_parser(
            "verify",
            help="按序号重新计算全部记录的 SM3 哈希链，报告第一条被篡改的记录",
            description="完整时退出码为 0；发现篡改时在标准错误输出第一条被篡改的记录并以退出码 1 结束。",
        )
        ls = sub.add_parser("list", help="从新到旧列出审计记录", description="从新到旧列出审计记录。")
        ls.add_argument("--since", metavar="DATE", help="只列出该日（YYYY-MM-DD，本地时间）及以后的记录")
        ls.add_argument(
            "--user", metavar="USERNAME", help="只列出该用户名的记录（含以该用户名登录失败的记录）"
        )
        ls.add_argument("--action", choices=AuditEntry.Action.values, help="只列出该类操作")
        ls.add_argument("--limit", type=int, default=50, metavar="N", help="最多列出 N 条（默认 50）")

    def handle(self, *args, subcommand, **options):
        return {"verify": self.handle_verify, "list": self.handle_list}[subcommand](**options)

    def handle_verify(self, **_):
        result = api.verify()
        if not result.ok:
            self.stderr.write(f"审计日志在第{result.first_broken_seq}条被篡改：{result.reason}")
            sys.exit(1)
        self.stdout.write(f"审计日志完整：共{result.checked}条")
        if result.checked:
            self.stdout.write(f"最后一条的哈希：{result.last_hash}（可另行保存，用于日后比对）")

    def handle_list(self, *, since=None, user=None, action=None, limit=50, **_):
        if limit < 1:
            raise CommandError("--limit 必须是正整数。")
        data = {"date_from": _parse_date(since) if since else None, "username": user, "action": action}
        filters = {k: v for k, v in data.items() if v}
        api.record(
            AuditEntry.Action.AUDIT_VIEW, detail={"source": "command", "filters": filters, "limit": limit}
        )
        entries = filter_entries(AuditEntry.objects.all(), data).order_by("-seq")[:limit]
        rows = [
            [
                str(e.seq),
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.username or "-",
                e.unit_name or "-",
                e.ip or "-",
                e.get_action_display(),
                e.target or "-",
                " ".join((e.detail_text or "-").split()),
            ]
            for e in entries
        ]
        if not rows:
            self.stdout.write("没有符合条件的记录。")
            return
        self.stdout.write(_table([COLUMNS, *rows]))


def _parse_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{text}") from None


def _width(text):
    """Display width: CJK and other wide characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows):
    """Columns separated by two spaces and padded to the widest cell; the last column is not padded."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for r in rows:
        cells = [cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=False)] + [r[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
