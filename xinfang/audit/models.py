"""The append-only audit log, its rows chained by SM3 hashes.

How a row's hash is computed (``AuditEntry.compute_hash``), precisely, so that anyone can re-check
the chain with any SM3 implementation:

1. The row's *content* is this JSON object (and nothing else: ``prev_hash`` and ``row_hash`` are not
   part of it)::

       {"action": str, "at": str, "detail": object, "ip": str, "seq": int,
        "target": str, "unit_name": str, "user_id": int or null, "username": str}

   - ``at`` is the time in UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six digits of microseconds,
     always the letter Z), e.g. ``2025-03-03T02:00:00.000000Z``.
   - ``ip`` is the client address as Python's ``ipaddress`` writes it, or ``""`` when unknown.
   - ``detail`` holds only JSON types (strings, integers, true/false, null, lists, objects with string
     keys); ``api.record`` converts anything else (dates, decimals, floats…) to strings before the
     row is written, so what is hashed is exactly what the database gives back.
2. It is serialised with ``json.dumps(content, sort_keys=True, ensure_ascii=False,
   separators=(",", ":"), allow_nan=False)`` — keys sorted at every level, non-ASCII characters
   written as themselves, no spaces — and encoded as UTF-8.
3. ``row_hash = SM3(prev_hash || content_bytes)``, written as 64 lowercase hex digits, where
   ``prev_hash`` is the previous row's ``row_hash`` as its 64 ASCII hex characters; for the first row
   (seq 1) it is 64 ``0`` characters (``GENESIS_HASH``).

Rows are numbered 1, 2, 3 … without gaps. ``AuditChainHead`` (one row) holds the last number and hash;
appending locks it, so two writers can never chain onto the same previous row.

What the chain proves and what it does not: any change, deletion or insertion of a row inside the
chain, and any deletion of its newest rows (the head remembers the last number and hash), is found by
``api.verify``. Someone with write access to the database who rewrites every row after the change and
the head as well is not detected by the chain alone: keep the hash printed by ``xinfang audit verify``
somewhere outside the database now and then, and compare.
"""

import json
from datetime import UTC

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.db import models

from . import labels

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """An attempt to change or delete audit rows through the product."""


class AuditQuerySet(models.QuerySet):
    """Refuses every bulk path that would change or remove rows or skip the chain."""

    def update(self, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能修改。")

    def delete(self):
        raise AppendOnlyError("审计日志只能追加，不能删除。")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("审计日志只能追加，不能修改。")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("审计日志只能通过审计接口逐条追加。")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        LOCKED_OUT = "locked_out", "账号锁定"
        OTP_VERIFIED = "otp_verified", "动态口令验证"
        OTP_FAILED = "otp_failed", "动态口令错误"
        OTP_ENROLLED = "otp_enrolled", "绑定动态口令"
        PASSWORD_CHANGED = "password_changed", "修改密码"
        READ_PERSONAL = "read_personal", "查看个人信息"
        REVEAL_PERSONAL = "reveal_personal", "查看完整个人信息"
        CHANGE = "change", "数据变更"
        EXPORT = "export", "导出"
        ADMIN_CHANGE = "admin_change", "管理配置变更"
        AUDIT_VIEW = "audit_view", "查看审计日志"

    seq = models.PositiveBigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    username = models.CharField("用户名", max_length=150, blank=True, db_index=True)
    unit_name = models.CharField("所在单位", max_length=100, blank=True)
    ip = models.CharField("IP 地址", max_length=45, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices, db_index=True)
    target = models.CharField("对象", max_length=200, blank=True, db_index=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    prev_hash = models.CharField("前一条的哈希", max_length=64)
    row_hash = models.CharField("本条哈希", max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["seq"]

    def __str__(self):
        return f"#{self.seq} {self.get_action_display()} {self.username}"

    def content(self) -> dict:
        """The hashed fields, as described in the module docstring."""
        return {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "user_id": self.user_id,
            "username": self.username,
            "unit_name": self.unit_name,
            "ip": self.ip,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
        }

    def canonical_bytes(self) -> bytes:
        return json.dumps(
            self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")

    def compute_hash(self) -> str:
        digest = hashes.Hash(hashes.SM3())
        digest.update(self.prev_hash.encode("ascii"))
        digest.update(self.canonical_bytes())
        return digest.finalize().hex()

    def save(self, *args, **kwargs):
        """Inserts only, and only from ``api.record``, which chains the row under the head's lock."""
        if not self._state.adding:
            raise AppendOnlyError("审计日志只能追加，不能修改。")
        if not getattr(self, "_chained", False):
            raise AppendOnlyError("审计日志只能通过审计接口追加。")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除。")

    @property
    def detail_text(self) -> str:
        """The detail for people, in Chinese (see labels.py)."""
        return labels.detail_text(self.detail, self.target)

    @property
    def target_text(self) -> str:
        return labels.target_text(self.target)

    @property
    def kind_text(self) -> str:
        return labels.kind_text(self.target)


class AuditChainHead(models.Model):
    """The single row (id 1) with the newest entry's number and hash; locked by every append."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField("最后序号", default=0)
    last_hash = models.CharField("最后哈希", max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = verbose_name_plural = "审计链头"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_single_row")]

    def __str__(self):
        return f"第{self.last_seq}条 {self.last_hash[:12]}…"
