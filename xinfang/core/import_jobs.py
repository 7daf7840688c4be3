"""The record of one 台账 file being imported, as an abstract model: the import (xinfang/ledger) runs
jobs of every kind of 台账, and each kind keeps its jobs in a concrete model of its own app."""

from django.conf import settings
from django.db import models


class BaseImportJob(models.Model):
    """One 台账 file being imported: its column mapping, choices, progress and the rows refused.

    The job is the unit of work of the worker and of `xinfang import`; its counters are committed
    together with each chunk of rows written, so after a crash they say what is in the database.
    Each kind of 台账 (kinds.py) keeps its jobs in a concrete model of its own.
    """

    class State(models.TextChoices):
        MAPPING = "mapping", "待确认列对应"
        QUEUED = "queued", "排队中"
        CHECKING = "checking", "检查中"
        WRITING = "writing", "写入中"
        DONE = "done", "已完成"
        REJECTED = "rejected", "有错误，未导入"
        FAILED = "failed", "失败"

    class Mode(models.TextChoices):
        ALL = "all", "全部正确才导入（有任何错误则一行都不导入）"
        VALID = "valid", "导入正确的行，错误的行导出修改后再导入"

    RUNNING_STATES = (State.QUEUED, State.CHECKING, State.WRITING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField("文件格式", max_length=40, blank=True)
    header = models.JSONField(default=list)
    mapping = models.JSONField("列对应", default=dict)
    mode = models.CharField("导入方式", max_length=10, choices=Mode.choices, default=Mode.ALL)

    state = models.CharField(max_length=10, choices=State.choices, default=State.MAPPING)
    total = models.PositiveIntegerField("数据行数", default=0)
    checked = models.PositiveIntegerField(default=0)
    to_write = models.PositiveIntegerField(default=0)
    written = models.PositiveIntegerField("新登记", default=0)
    skipped = models.PositiveIntegerField("已导入过", default=0)
    error_count = models.PositiveIntegerField("错误行数", default=0)
    errors = models.JSONField(default=list)  # the first rows' problems: [row, column, message]
    error_file = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.original_name}（{self.get_state_display()}）"

    @property
    def running(self):
        return self.state in self.RUNNING_STATES

    @property
    def percent(self):
        """Checking is the first fifth of the bar, writing the rest."""
        if self.state in {self.State.DONE, self.State.REJECTED}:
            return 100
        if self.state == self.State.WRITING and self.to_write:
            return 20 + int((self.written + self.skipped) * 80 / self.to_write)
        return int(self.checked * 20 / self.total) if self.total else 0
