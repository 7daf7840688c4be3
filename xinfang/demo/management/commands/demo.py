"""`xinfang demo`: load a fictional city with staff accounts and two years of petition matters.

    xinfang migrate
    xinfang demo                      # 青溪市, its units, accounts and 20,000 matters
    xinfang demo --matters 2000 --seed 7 --password "另一个演示密码"
    xinfang demo --all-accounts       # list every account, not only one per job

Every account gets the same demo password: `--password`, by default ``qingxi-demo-2025``
(xinfang.demo.DEFAULT_PASSWORD). Matters are created and moved only through the write path
(see xinfang/demo/generate.py). Running the command again when the demo city exists changes
nothing and prints the accounts.
"""

import time
import unicodedata

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xinfang.demo import DEFAULT_PASSWORD
from xinfang.demo.city import KEY_ACCOUNTS, build_city, city_exists, load_city
from xinfang.demo.generate import Generator
from xinfang.demo.tasks import prepare_extras
from xinfang.org.models import Role, Unit, User
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - width(text))


def table(header, rows) -> str:
    sizes = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * s for s in sizes)
    out = ["  ".join(pad(str(h), s) for h, s in zip(header, sizes, strict=True)), line]
    out += ["  ".join(pad(str(c), s) for c, s in zip(row, sizes, strict=True)) for row in rows]
    return "\n".join(out)


class Command(BaseCommand):
    help = "生成演示数据：虚构的青溪市、各单位和各角色账号，以及近两年的信访事项（全部经由办理流程写入）。"

    def add_arguments(self, parser):
        parser.add_argument("--matters", type=int, default=20000, help="生成的信访事项数（默认20000）")
        parser.add_argument("--seed", type=int, default=2025, help="随机种子，相同种子生成相同的事项内容")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help=f"所有演示账号的密码（默认 {DEFAULT_PASSWORD}）"
        )
        parser.add_argument("--all-accounts", action="store_true", help="列出全部演示账号")

    def handle(self, *args, matters, seed, password, all_accounts, **options):
        if matters < 0:
            raise CommandError("--matters 不能为负数。")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("演示密码不符合密码规则：" + "；".join(exc.messages)) from exc

        if city_exists():
            city = load_city()
            count = Matter.objects.filter(registering_unit__path__startswith=city.gov.path).count()
            self.stdout.write(f"演示城市「青溪市」已经存在（{count}件信访事项），未做任何修改。")
            self.print_accounts(city, password, all_accounts, fresh=False)
            return

        started = time.monotonic()
        city = build_city(password)
        self.stdout.write(
            f"已创建演示城市「青溪市」：{len(city.districts)}个区县、{len(city.accounts)}个账号"
            f"（{time.monotonic() - started:.1f}秒）。"
        )
        step = max(1, matters // 10)

        def progress(done, total):
            if done == total or done % step < 1000:
                elapsed = time.monotonic() - started
                filled = round(20 * done / max(total, 1))
                bar = "█" * filled + "░" * (20 - filled)
                self.stdout.write(f"  {bar} 已生成信访事项 {done}/{total}（已用时{elapsed:.0f}秒）")

        generator = Generator(city, matters=matters, seed=seed, progress=progress)
        for warning in generator.warnings:
            self.stderr.write(warning)
        made = generator.run()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"演示数据已生成：{made}件信访事项，用时{elapsed:.1f}秒。"))
        rows = [(Status(s).label, generator.counts.get(s, 0)) for s in Status.values]
        self.stdout.write(table(("状态", "事项数"), rows))
        from xinfang.assist import rules
        from xinfang.demo import prevention, supervision

        for bureau in Unit.objects.filter(kind=Unit.Kind.PETITION_BUREAU):
            rules.derive_rules(bureau)  # routing rules from the unit tree
        made = supervision.seed(seed)
        self.stdout.write("督查督办演示记录：" + "，".join(f"{k}{v}件" for k, v in made.items()) + "。")
        from xinfang.demo import disputes

        started_disputes = time.monotonic()
        made = disputes.seed(seed)
        self.stdout.write(
            "矛盾纠纷和网格演示记录：" + "，".join(f"{k}{v}件" for k, v in made.items())
            + f"（用时{time.monotonic() - started_disputes:.1f}秒）；网格员账号如 district1_town1_grid1，"
            "社会信息员账号如 district1_town1_informant，密码同上。"
        )  # fmt: skip
        made = prevention.seed(city, seed)
        self.stdout.write(
            "隐患排查治理和稳评演示记录：" + "，".join(f"{k}{v}" for k, v in made.items()) + "。"
        )
        prepare_extras()
        self.stdout.write(
            "研判模型、相似事项索引、统计分析数据和预警将由后台任务在系统启动后生成（约需几分钟），"
            "生成前相关页面会提示“正在准备”。"
        )
        self.print_accounts(city, password, all_accounts, fresh=True)

    def print_accounts(self, city, password, all_accounts, *, fresh):
        shown = city.accounts if all_accounts else [a for a in city.accounts if a.username in KEY_ACCOUNTS]
        hashes = dict(
            User.objects.filter(username__in=[a.username for a in shown]).values_list("username", "password")
        )
        verified = {}

        def password_of(username):
            if fresh:
                return password
            stored = hashes[username]
            if stored not in verified:
                verified[stored] = check_password(password, stored)
            return password if verified[stored] else "（与所给密码不符）"

        rows = [(a.username, password_of(a.username), Role(a.role).label, a.unit_name) for a in shown]
        self.stdout.write("")
        self.stdout.write("群众端（网上信访，无需登录）：/portal/")
        self.stdout.write("演示账号（登录页面 /login/）：")
        self.stdout.write(table(("用户名", "密码", "角色", "单位"), rows))
        if settings.XINFANG_TOTP_REQUIRED:
            self.stdout.write(
                "登录需要“密码 + 动态口令”：首次登录时请用手机验证器应用（TOTP）扫描页面上的二维码完成绑定。"
            )
        else:
            self.stdout.write(
                "本环境未强制动态口令（XINFANG_TOTP_REQUIRED=false）；已绑定验证器的账号仍需输入动态口令。"
            )
        if not all_accounts:
            self.stdout.write(
                f"以上为每类角色的主要账号，共有{len(city.accounts)}个演示账号，密码相同。"
                "命名规则：市级部门为「部门代码_handler / _head」（如 renshe_handler），"
                "区县为「districtN_…」（N为1–5，如 district3_dispatcher、district2_renshe_head），"
                "乡镇街道为「districtN_townM_handler / _head」。使用 --all-accounts 列出全部账号。"
            )
