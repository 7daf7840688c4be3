"""Integration tokens: one per connected system, bound to a service account (its unit and role).

Only a hash of the token is stored; the token itself is shown once, when it is created. A token
carries scopes (what kind of calls it may make) and an expiry; everything else — which matters it
sees, which transitions it may run — follows from its account, with the same checks as the pages.
"""

import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from xinfang.core.crypto import sm3_hex


class Scope(models.TextChoices):
    READ = "read", "读取事项和基础数据"
    INTAKE = "intake", "登记新事项"
    TRANSITION = "transition", "办理流转"


TOKEN_PREFIX = "xft"


class ApiToken(models.Model):
    name = models.CharField("接入系统名称", max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="服务账号",
        on_delete=models.PROTECT,
        related_name="api_tokens",
        help_text="令牌以该账号的单位和角色调用接口，权限检查与页面相同。",
    )
    key_id = models.CharField("令牌编号", max_length=16, unique=True, editable=False)
    secret_hash = models.CharField("令牌摘要（SM3）", max_length=64, editable=False)
    scopes = models.JSONField("权限范围", default=list)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("到期时间")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name}（{self.key_id}）"

    @classmethod
    def issue(cls, *, name, user, scopes, expires_at):
        """Create a token and return (row, token text). The text is not stored anywhere."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        row = cls.objects.create(
            name=name,
            user=user,
            key_id=key_id,
            secret_hash=sm3_hex(secret.encode()),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        return row, f"{TOKEN_PREFIX}_{key_id}_{secret}"

    @classmethod
    def authenticate(cls, text):
        """The live token for this text, or None (unknown, wrong secret, expired or revoked)."""
        parts = (text or "").split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return None
        row = cls.objects.select_related("user", "user__unit").filter(key_id=parts[1]).first()
        if row is None or not hmac.compare_digest(row.secret_hash, sm3_hex(parts[2].encode())):
            return None
        if not row.is_live():
            return None
        return row

    def is_live(self, now=None):
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now and self.user.is_active

    @property
    def state(self):
        if self.revoked_at:
            return "已吊销"
        return "有效" if self.expires_at > timezone.now() else "已过期"


class ApiIntake(models.Model):
    """Which matter a connected system's own key registered: a repeat of the key returns it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="服务账号")
    client_key = models.CharField("调用方编号", max_length=64)
    matter = models.ForeignKey("petitions.Matter", on_delete=models.CASCADE, verbose_name="信访事项")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口登记记录"
        constraints = [models.UniqueConstraint(fields=["user", "client_key"], name="api_intake_once_per_key")]


class ServiceAttribute(models.Model):
    """A question Open311 asks about a service (a content category) beyond its description: the
    service's definition lists them (GET services/{code}) and a request answers them as
    ``attribute[code]``. Answers are added to the matter's content and kept with its registration."""

    class DataType(models.TextChoices):
        STRING = "string", "短文本"
        NUMBER = "number", "数字"
        DATETIME = "datetime", "日期时间"
        TEXT = "text", "长文本"
        SINGLE = "singlevaluelist", "单选"
        MULTI = "multivaluelist", "多选"

    category = models.ForeignKey(
        "petitions.Category",
        verbose_name="服务（内容分类）",
        on_delete=models.CASCADE,
        related_name="open311_attributes",
        limit_choices_to={"parent__isnull": False},
    )
    code = models.SlugField("属性代码", max_length=40, help_text="请求中以 attribute[代码] 提交")
    description = models.CharField("问题", max_length=200)
    datatype = models.CharField("类型", max_length=20, choices=DataType.choices, default=DataType.STRING)
    datatype_description = models.CharField("填写说明", max_length=200, blank=True)
    required = models.BooleanField("必填", default=False)
    order = models.PositiveSmallIntegerField("顺序", default=1)
    values = models.JSONField(
        "选项",
        default=list,
        blank=True,
        help_text='单选、多选的选项：[{"key": "1", "name": "白天"}, …]',
    )

    class Meta:
        verbose_name = verbose_name_plural = "Open311 服务属性"
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code_once")
        ]

    def __str__(self):
        return f"{self.category} · {self.description}"

    def clean(self):
        listed = self.datatype in {self.DataType.SINGLE, self.DataType.MULTI}
        ok = isinstance(self.values, list) and all(
            isinstance(v, dict) and str(v.get("key", "")).strip() and str(v.get("name", "")).strip()
            for v in self.values
        )
        if listed and (not self.values or not ok):
            raise ValidationError({"values": '单选、多选须填写选项，每项形如 {"key": "1", "name": "白天"}。'})
        if not listed and self.values:
            raise ValidationError({"values": "只有单选、多选需要选项。"})


class HotlineOrder(models.Model):
    """A 工单 of the 12345 hotline taken in (xinfang/api/hotline.py): its number, once, and the
    matter it became. The hotline's category and deadline are kept as it sent them."""

    number = models.CharField("工单编号", max_length=40)
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="接收单位",
        help_text="工单编号在本单位内唯一",
    )
    matter = models.OneToOneField(
        "petitions.Matter", on_delete=models.PROTECT, related_name="hotline_order", verbose_name="信访事项"
    )
    category = models.CharField("热线分类", max_length=100, blank=True)
    deadline = models.DateTimeField("热线办理时限", null=True, blank=True)
    digest = models.CharField(
        "工单内容摘要", max_length=64, help_text="同一编号再次送来时据此判断内容是否相同"
    )
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "12345热线工单"
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="api_hotline_number_once")]

    def __str__(self):
        return self.number


class HotlineMessage(models.Model):
    """One 办理结果 message to the hotline (a status change, the reply, the callback result), made
    from an event of the matter and sent as a signed webhook until the hotline takes it; after
    `MAX_ATTEMPTS` failures it waits in the dead-letter list for a person to send it again."""

    class Kind(models.TextChoices):
        STATUS = "status", "状态变化"
        REPLY = "reply", "答复"
        CALLBACK = "callback", "回访结果"

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已送达"
        DEAD = "dead", "发送失败（待人工处理）"

    order = models.ForeignKey(HotlineOrder, on_delete=models.PROTECT, related_name="messages")
    event = models.OneToOneField(
        "petitions.MatterEvent",
        on_delete=models.PROTECT,
        related_name="hotline_message",
        verbose_name="办理记录",
    )
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    payload = models.JSONField("内容")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间")
    last_error = models.TextField("最近一次错误", blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)
    replayed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replayed_at = models.DateTimeField("重新发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "12345热线回传消息"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="api_hotline_due_idx")]
