"""Grids (网格), the layer below villages and communities, and the events grid workers and
information reporters file from them (网格事件), a case type of the kernel (xinfang/cases)."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from xinfang.cases.models import Case, CaseEvent, CaseFile, CaseLink
from xinfang.org.models import Division, Unit

from .choices import Kind, RejectReason, Status


class Grid(models.Model):
    """A grid: part of one village or community, with its grid workers and the unit responsible
    (the town or street's grid centre). Its code is the division's code and a 3-digit number."""

    code = models.CharField("网格编码", max_length=20, unique=True)
    name = models.CharField("网格名称", max_length=60)
    division = models.ForeignKey(
        Division, verbose_name="所属村（社区）", on_delete=models.PROTECT, related_name="grids"
    )
    unit = models.ForeignKey(
        Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="grids",
        help_text="受理本网格上报事件的乡镇（街道）",
    )  # fmt: skip
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="网格员、信息员", blank=True, related_name="grids"
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "网格"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def clean(self):
        if self.division_id and self.division.level < 5:
            raise ValidationError({"division": "网格应设在村（社区）之下，请选择村级区划。"})
        if self.code and self.division_id:
            rest = self.code.removeprefix(self.division.code)
            if rest == self.code or len(rest) != 3 or not rest.isdigit():
                raise ValidationError({"code": "网格编码应为所属村（社区）的区划代码加3位顺序号。"})


def new_event_number() -> str:
    return "WG" + secrets.token_hex(5).upper()


class GridEvent(Case):
    number = models.CharField(
        "事件编号", max_length=16, unique=True, default=new_event_number, editable=False
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上报人", on_delete=models.PROTECT, related_name="grid_events"
    )
    reported_at = models.DateTimeField("上报时间")
    grid = models.ForeignKey(
        Grid, verbose_name="网格", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    place = models.CharField("地点", max_length=200, blank=True)
    kind = models.CharField("事件类型", max_length=20, choices=Kind.choices)
    title = models.CharField("事件概要", max_length=100)
    description = models.TextField("事件描述")
    headcount = models.PositiveIntegerField("涉及人数", default=1)
    urgent = models.BooleanField("紧急", default=False)
    urgency_level = models.PositiveSmallIntegerField("急事急报等级", default=0)
    urgency_note = models.CharField("急事急报提示", max_length=200, blank=True)

    status = models.CharField(
        "状态", max_length=24, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    centre = models.ForeignKey(
        Unit, verbose_name="受理中心", on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    handling_unit = models.ForeignKey(
        Unit, verbose_name="处置单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    dispatched_on = models.DateField("分拨日期", null=True, blank=True)
    handled_on = models.DateField("处置反馈日期", null=True, blank=True)
    handled_note = models.TextField("处置情况", blank=True)
    handled_in_time = models.BooleanField("按期处置", null=True)
    verified_on = models.DateField("核查日期", null=True, blank=True)
    verify_rounds = models.PositiveSmallIntegerField("核查次数", default=0)
    verify_failures = models.PositiveSmallIntegerField("核查未通过次数", default=0)
    closed_on = models.DateField("结案日期", null=True, blank=True)
    reject_reason = models.CharField("不予受理原因", max_length=12, choices=RejectReason.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", verbose_name="重复的事件", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matter = models.ForeignKey(
        "petitions.Matter", verbose_name="转为信访事项", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="grid_events",
    )  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "网格事件"
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["holder_unit", "status", "due_date"], name="grid_event_queue_idx"),
            models.Index(fields=["reported_by", "reported_at"], name="grid_event_reporter_idx"),
            # Covers the statistics of a period (no row is read).
            models.Index(
                fields=[
                    "reported_at",
                    "division",
                    "grid",
                    "kind",
                    "handling_unit",
                    "handled_in_time",
                    "verify_rounds",
                    "verify_failures",
                    "dispatched_on",
                    "handled_on",
                ],
                name="grid_event_recv_idx",
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def display_code(self):
        return self.number


class GridEventLog(CaseEvent):
    """The history of an event (append-only)."""

    case = models.ForeignKey(GridEvent, on_delete=models.PROTECT, related_name="events")

    class Meta:
        verbose_name = verbose_name_plural = "网格事件办理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="grid_log_case_at_idx")]


class GridEventUnit(CaseLink):
    case = models.ForeignKey(GridEvent, on_delete=models.CASCADE, related_name="unit_links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="grid_event_links")

    class Meta:
        unique_together = [("case", "unit")]
        indexes = [models.Index(fields=["case", "unit_path"], name="grid_eu_case_path_idx")]


class GridEventPhoto(CaseFile):
    """A photo taken on the spot: when the event was reported, or when it was verified."""

    case = models.ForeignKey(GridEvent, on_delete=models.CASCADE, related_name="photos")
    log = models.ForeignKey(
        GridEventLog, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )

    class Meta:
        verbose_name = verbose_name_plural = "网格事件照片"

    @classmethod
    def case_model(cls):
        return GridEvent
