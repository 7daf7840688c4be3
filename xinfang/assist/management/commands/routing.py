"""xinfang routing derive — first-draft 分办规则 from what the units say they handle."""

from django.core.management.base import BaseCommand, CommandError

from xinfang.org.models import Unit


class Command(BaseCommand):
    help = "根据单位的管辖区划和承办分类，为交办单位生成分办规则（已有规则不变）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        derive = sub.add_parser("derive")
        derive.add_argument("--unit", help="交办单位名称；不填则为全部信访部门生成")

    def handle(self, *args, action, unit=None, **options):
        from xinfang.assist.rules import derive_rules

        if unit:
            owners = list(Unit.objects.filter(name=unit))
            if not owners:
                raise CommandError(f"没有名为「{unit}」的单位。")
        else:
            owners = list(Unit.objects.filter(kind=Unit.Kind.PETITION_BUREAU, active=True))
        for owner in owners:
            self.stdout.write(f"{owner}：新增 {derive_rules(owner)} 条分办规则")
