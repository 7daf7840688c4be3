"""Admin-edited calendar overrides and deadline policy sets (the engine itself is in engine.py)."""

from django.core.exceptions import ValidationError
from django.db import models

from xinfang.core.dates import cn_date

from .engine import BUILTIN_LAST_YEAR
from .policies import STEPS


class CalendarDay(models.Model):
    """A day whose status differs from the built-in State Council schedule: a local holiday,
    a 调休 working weekend, or any day of a year that admins enter themselves."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日", help_text="勾选表示上班（如调休工作日），不勾选表示放假")
    note = models.CharField("说明", max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作日历调整"
        ordering = ["date"]

    def __str__(self):
        return f"{cn_date(self.date)} {'上班' if self.is_workday else '放假'}"


class ScheduleYear(models.Model):
    """A year beyond the built-in data whose holiday schedule admins have entered in full."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    note = models.CharField(
        "依据", max_length=200, blank=True, help_text="如：国务院办公厅关于某年部分节假日安排的通知"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "已录入节假日安排的年份"
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}年"

    def clean(self):
        if self.year <= BUILTIN_LAST_YEAR:
            raise ValidationError({"year": f"{BUILTIN_LAST_YEAR}年及以前的安排已内置，只需录入调整日期"})


class PolicySet(models.Model):
    name = models.SlugField("代码", max_length=40, unique=True)
    label = models.CharField("名称", max_length=60)

    class Meta:
        verbose_name = verbose_name_plural = "期限规则集"
        ordering = ["name"]

    def __str__(self):
        return self.label


def step_choices():
    return [(k, f"{v[0]}（{v[1]}）") for k, v in STEPS.items()]


class PolicyRule(models.Model):
    policy_set = models.ForeignKey(
        PolicySet, on_delete=models.CASCADE, related_name="rules", verbose_name="规则集"
    )
    # A callable, read when a form is shown: a case type adding steps to policies.STEPS needs no
    # migration of this table.
    step = models.CharField("环节", max_length=30, choices=step_choices)
    days = models.PositiveSmallIntegerField("天数")
    working = models.BooleanField("按工作日计算", default=False)
    updated_at = models.DateTimeField(auto_now=True)  # lets other processes notice an edit

    class Meta:
        verbose_name = verbose_name_plural = "期限规则"
        unique_together = [("policy_set", "step")]
        ordering = ["policy_set", "step"]

    def __str__(self):
        return f"{self.get_step_display()}：{self.days}{'个工作日' if self.working else '日'}"
