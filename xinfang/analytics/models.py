"""Early warning (预警): the warnings raised from the records, and the sensitive periods in which
their thresholds tighten."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class SensitivePeriod(models.Model):
    """A window (a major meeting, a holiday) in which surges are flagged earlier."""

    name = models.CharField("名称", max_length=60)
    first = models.DateField("开始日期")
    last = models.DateField("结束日期")
    tighten = models.FloatField(
        "阈值系数",
        default=0.7,
        help_text="预警阈值（超出预期上限的幅度）乘以该系数，取值大于0、不超过1；越小越敏感。",
    )
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "敏感时期"
        ordering = ["-first"]

    def __str__(self):
        return f"{self.name}（{self.first:%Y-%m-%d}至{self.last:%Y-%m-%d}）"

    def clean(self):
        if self.first and self.last and self.first > self.last:
            raise ValidationError("开始日期不能晚于结束日期。")
        if not (0 < self.tighten <= 1):
            raise ValidationError({"tighten": "阈值系数须大于0、不超过1。"})


class Warning(models.Model):
    class Kind(models.TextChoices):
        SURGE_DAY = "surge_day", "单日信访量异常"
        SURGE_WEEK = "surge_week", "一周信访量异常"
        TOPIC = "topic", "新出现的热点问题"
        REPEAT = "repeat", "重复信访上升"
        COLLECTIVE = "collective", "集体访上升"

    class Severity(models.IntegerChoices):
        NOTICE = 1, "一般"
        SERIOUS = 2, "较重"
        SEVERE = 3, "严重"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField("等级", choices=Severity.choices)
    raised_on = models.DateField("预警日期", db_index=True)
    first = models.DateField("统计起")
    last = models.DateField("统计止")
    category = models.ForeignKey(
        "petitions.Category", verbose_name="内容分类", null=True, blank=True, on_delete=models.PROTECT
    )
    division = models.ForeignKey(
        "org.Division", verbose_name="属地", null=True, blank=True, on_delete=models.PROTECT
    )
    observed = models.FloatField("实际")
    expected = models.FloatField("预期")
    low = models.FloatField("预期下限")
    high = models.FloatField("预期上限")
    sensitive = models.CharField("敏感时期", max_length=60, blank=True)
    title = models.CharField("标题", max_length=200)
    detail = models.TextField("说明")
    examples = models.JSONField("示例事项", default=list, blank=True)
    # What the warning is about, so the daily scan raises it once (kind, key, period end).
    fingerprint = models.CharField(max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="签收人", null=True, blank=True, on_delete=models.PROTECT
    )
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    ack_note = models.TextField("签收意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "预警"
        ordering = ["-raised_on", "-severity", "-id"]

    def __str__(self):
        return self.title
