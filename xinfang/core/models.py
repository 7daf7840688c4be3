"""The notification outbox: rows are written in the same transaction as the change that causes
them, then delivered by the worker after commit (and retried by a periodic job)."""

from django.conf import settings
from django.db import models

from .fields import EncryptedTextField


class Notification(models.Model):
    class Audience(models.TextChoices):
        STAFF = "staff", "工作人员"
        PETITIONER = "petitioner", "信访人"

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    created_at = models.DateTimeField(auto_now_add=True)
    matter = models.ForeignKey("petitions.Matter", null=True, blank=True, on_delete=models.CASCADE)
    audience = models.CharField(max_length=12, choices=Audience.choices)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    recipient_contact = EncryptedTextField("联系方式", blank=True)  # a petitioner's phone or address
    kind = models.CharField("类别", max_length=40)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField("发送开始时间", null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知"
        ordering = ["-created_at"]


class RateCounter(models.Model):
    """How many requests one key made in one fixed window (xinfang.core.ratelimit). Rows of ended
    windows are deleted by a periodic job."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField("窗口开始（Unix 秒）")
    window_end = models.BigIntegerField("窗口结束（Unix 秒）", db_index=True)
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "频率计数"
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_start", "window_end"], name="rate_counter_per_window"
            )
        ]


class PeriodicRun(models.Model):
    """One run of a periodic job for one period (xinfang.core.periodic): every worker's scheduler
    queues the job, and the first worker to write this row runs it; the others skip it."""

    name = models.CharField("任务", max_length=100)
    slot = models.DateTimeField("计划时间")
    worker = models.CharField("执行进程", max_length=200)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    error = models.TextField("错误", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "定时任务执行记录"
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once_per_slot")]
        indexes = [models.Index(fields=["name", "-slot"], name="periodic_run_latest_idx")]
