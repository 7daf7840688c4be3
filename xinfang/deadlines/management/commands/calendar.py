"""`xinfang calendar ...`: the working-day calendar from the command line.

xinfang calendar due 2025-09-16 15                 -> 2025-10-09
xinfang calendar due 2025-09-26 15 --working       -> 2025-10-23
xinfang calendar due 2025-09-26 handling --policy zhejiang
"""

import re
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from xinfang.deadlines import service
from xinfang.deadlines.engine import Period, ScheduleUnknown, compute_deadline
from xinfang.deadlines.models import PolicySet
from xinfang.deadlines.policies import POLICY_SETS, STEPS


class Command(BaseCommand):
    help = "工作日历工具（含调休和管理员录入的调整）。子命令 due：计算期限届满日。"

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(title="子命令", dest="subcommand", required=True)
        due = subcommands.add_parser(
            "due",
            help="计算期限届满日，以 YYYY-MM-DD 格式输出",
            description="自起算日次日开始计算期限（起算日不计入），输出届满日。",
        )
        due.add_argument("start", metavar="START", help="起算日，格式 YYYY-MM-DD")
        due.add_argument(
            "days",
            metavar="DAYS",
            help="天数（整数），或期限规则中的环节代码，如 handling、jurisdiction_dispute",
        )
        due.add_argument(
            "--working", action="store_true", help="按工作日计算（DAYS 为整数时有效；默认按自然日）"
        )
        due.add_argument(
            "--policy",
            metavar="NAME",
            help="DAYS 为环节代码时使用的期限规则集（默认取 XINFANG_POLICY_SET 设置）",
        )

    def handle(self, *args, subcommand, **options):
        handlers = {"due": self.handle_due}
        return handlers[subcommand](**options)

    def handle_due(self, *, start, days, working, policy, verbosity=1, **_):
        start_day = _parse_date(start)
        period, what = self._period(days, working, policy)
        try:
            deadline = compute_deadline(start_day, period, service.current_calendar())
        except ScheduleUnknown as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(deadline.due.isoformat())
        if verbosity >= 2:
            self.stderr.write(f"{what}：{period.label()}，自{start_day.isoformat()}起算（当日不计入）")
        if deadline.provisional:
            self.stderr.write(
                f"注意：{deadline.due.year}年的法定节假日和调休安排尚未录入，"
                f"届满日 {deadline.due.isoformat()} 仅按双休日推算，属暂定日期；"
                "录入该年安排后请重新计算。"
            )

    def _period(self, days: str, working: bool, policy_name: str | None) -> tuple[Period, str]:
        if re.fullmatch(r"[+-]?\d+", days.strip()):
            if policy_name is not None:
                raise CommandError("--policy 只能与环节代码一起使用；DAYS 为天数时请去掉 --policy")
            n = int(days)
            if n < 0:
                raise CommandError(f"天数不能为负数：{days}")
            return Period(n, working=working), "指定期限"
        if working:
            raise CommandError(
                f"按环节「{days}」计算时，自然日或工作日由期限规则集决定，不能再指定 --working"
            )
        name = policy_name or settings.XINFANG_POLICY_SET
        try:
            rules = service.policy(name)
        except KeyError as exc:
            names = sorted(set(POLICY_SETS) | set(PolicySet.objects.values_list("name", flat=True)))
            raise CommandError(f"没有名为「{name}」的期限规则集；可用：{'、'.join(names)}") from exc
        if days not in rules:
            known = "；".join(f"{step}（{STEPS[step][0]}）" if step in STEPS else step for step in rules)
            raise CommandError(f"DAYS 应为整数天数或环节代码，「{days}」都不是。可用的环节代码：{known}")
        label, article = STEPS.get(days, (days, ""))
        return rules[days], f"规则集「{name}」环节「{label}」" + (f"（{article}）" if article else "")


def _parse_date(text: str) -> date:
    error = CommandError(f"起算日「{text}」不是有效日期，应为 YYYY-MM-DD 格式，例如 2025-09-16")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise error
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:  # e.g. 2025-02-30
        raise error from exc
