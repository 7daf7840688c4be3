"""`xinfang tokens`: issue, list and revoke API tokens for connected systems.

xinfang tokens create "12345热线" --user hotline_bot --scope read,intake --days 180
xinfang tokens list
xinfang tokens revoke 3f9a1c2b7d4e
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xinfang.api.models import ApiToken, Scope
from xinfang.audit import api as audit
from xinfang.core.dates import cn_date
from xinfang.org.models import User


class Command(BaseCommand):
    help = "签发、列出、吊销接口令牌 / issue, list and revoke API tokens"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="签发令牌（令牌只显示这一次）")
        create.add_argument("name", help="接入系统名称")
        create.add_argument("--user", required=True, help="服务账号的用户名（令牌以其单位和角色调用接口）")
        create.add_argument(
            "--scope", default="read", help=f"权限范围，逗号分隔：{', '.join(Scope.values)}（默认 read）"
        )
        create.add_argument("--days", type=int, default=90, help="有效天数（默认90，最长730）")
        sub.add_parser("list", help="列出令牌")
        revoke = sub.add_parser("revoke", help="吊销令牌")
        revoke.add_argument("key_id", help="令牌编号（xft_<编号>_… 中间一段）")

    def handle(self, *args, verb, **options):
        getattr(self, verb)(**options)

    def create(self, name, user, scope, days, **options):
        account = User.objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"没有找到启用中的用户「{user}」。")
        scopes = [s.strip() for s in scope.split(",") if s.strip()]
        unknown = [s for s in scopes if s not in Scope.values]
        if unknown or not scopes:
            raise CommandError(
                f"未知的权限范围：{', '.join(unknown) or '（空）'}；可用：{', '.join(Scope.values)}。"
            )
        if not 1 <= days <= 730:
            raise CommandError("--days 应在 1 到 730 之间。")
        row, text = ApiToken.issue(
            name=name, user=account, scopes=scopes, expires_at=timezone.now() + timedelta(days=days)
        )
        audit.record(
            "admin_change",
            target=f"api.apitoken:{row.pk}",
            detail={"operation": "签发接口令牌", "name": name, "user": user, "scopes": scopes, "days": days},
        )
        self.stdout.write(
            f"已签发令牌「{name}」（编号 {row.key_id}，服务账号 {user}，权限 {','.join(row.scopes)}，"
            f"{cn_date(timezone.localtime(row.expires_at))}到期）。"
        )
        self.stdout.write("令牌只显示这一次，请妥善保存：")
        self.stdout.write(text)

    def list(self, **options):
        for row in ApiToken.objects.select_related("user"):
            used = (
                timezone.localtime(row.last_used_at).strftime("%Y-%m-%d %H:%M")
                if row.last_used_at
                else "从未使用"
            )
            self.stdout.write(
                f"{row.key_id}  {row.state}  {row.name}  {row.user.username}  {','.join(row.scopes)}  "
                f"到期 {timezone.localtime(row.expires_at):%Y-%m-%d}  最近使用 {used}"
            )

    def revoke(self, key_id, **options):
        updated = ApiToken.objects.filter(key_id=key_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not updated:
            raise CommandError(f"没有找到编号为「{key_id}」的有效令牌。")
        audit.record("admin_change", target=f"api.apitoken:{key_id}", detail={"operation": "吊销接口令牌"})
        self.stdout.write(f"已吊销令牌 {key_id}。")
