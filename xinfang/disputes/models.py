"""The dispute ledger (矛盾纠纷排查化解台账), a case type of the kernel (xinfang/cases): a dispute
found by screening, its parties (encrypted like petitioners: mediation needs to reach them), its
risk grading, mediation attempts, outcome and follow-up visits; screening campaigns and their
reports. A risk is a property of a dispute, never of a person; nothing here tracks where anyone is.
"""

import secrets

from django.conf import settings
from django.db import models

from xinfang.cases.models import Case, CaseEvent, CaseFile, CaseLink, TwoLevelType
from xinfang.core.fields import EncryptedTextField
from xinfang.org.models import Unit

from .choices import (
    AttemptResult,
    Method,
    NextChannel,
    Outcome,
    PartyKind,
    PartySide,
    Risk,
    Source,
    Status,
)


class DisputeType(TwoLevelType):
    """Two-level dispute types, edited by administrators (婚姻家庭, 邻里, 土地承包/流转 …)."""

    class Meta(TwoLevelType.Meta):
        verbose_name = verbose_name_plural = "矛盾纠纷类型"


class Campaign(models.Model):
    """A 集中排查 (before 两会, 春节 …): a period and the units that must report; a 零报告 counts."""

    name = models.CharField("名称", max_length=100)
    first = models.DateField("排查开始日期")
    last = models.DateField("报送截止日期")
    unit = models.ForeignKey(Unit, verbose_name="组织单位", on_delete=models.PROTECT, related_name="+")
    units = models.ManyToManyField(Unit, verbose_name="应报送单位", related_name="dispute_campaigns")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "集中排查"
        ordering = ["-first", "-id"]

    def __str__(self):
        return self.name


class CampaignReport(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(Unit, verbose_name="报送单位", on_delete=models.PROTECT, related_name="+")
    zero = models.BooleanField("零报告", default=False)
    note = models.TextField("说明", blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField("报送时间")

    class Meta:
        verbose_name = verbose_name_plural = "集中排查报送"
        unique_together = [("campaign", "unit")]


def new_dispute_number() -> str:
    return "JF" + secrets.token_hex(5).upper()


class Dispute(Case):
    number = models.CharField("编号", max_length=16, unique=True, default=new_dispute_number, editable=False)
    ledger_number = models.CharField("原台账编号", max_length=60, blank=True)
    import_key = models.CharField(max_length=64, blank=True, editable=False)
    screened_on = models.DateField("排查日期")
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    campaign = models.ForeignKey(
        Campaign, verbose_name="集中排查", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="disputes",
    )  # fmt: skip
    dispute_type = models.ForeignKey(DisputeType, verbose_name="纠纷类型", on_delete=models.PROTECT)
    # The type's first level, kept with the row so that statistics group without a join.
    type_top = models.ForeignKey(
        DisputeType, verbose_name="纠纷大类", on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "grid.Grid", verbose_name="网格", null=True, blank=True, on_delete=models.PROTECT,
        related_name="disputes",
    )  # fmt: skip
    address = models.CharField("具体地点", max_length=200, blank=True)
    title = models.CharField("纠纷概要", max_length=200)
    summary = models.TextField("基本情况")
    claims = models.TextField("各方诉求", blank=True)
    headcount = models.PositiveIntegerField("涉及人数", default=2)
    amount = models.DecimalField("涉及金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)

    status = models.CharField(
        "状态", max_length=24, choices=Status.choices, default=Status.REGISTERED, db_index=True
    )
    risk = models.CharField("风险等级", max_length=10, choices=Risk.choices, blank=True)
    risk_reasons = models.JSONField("风险因素", default=list, blank=True)
    resolver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="化解责任人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    method = models.CharField("化解方式", max_length=20, choices=Method.choices, blank=True)
    mediator = models.CharField("调解员", max_length=60, blank=True)
    assessed_on = models.DateField("研判日期", null=True, blank=True)
    outcome = models.CharField("化解结果", max_length=10, choices=Outcome.choices, blank=True)
    outcome_on = models.DateField("化解结果日期", null=True, blank=True)
    next_channel = models.CharField("转入途径", max_length=12, choices=NextChannel.choices, blank=True)
    next_reference = models.CharField("转入后的案号或编号", max_length=100, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    escalated_to = models.ForeignKey(
        Unit, verbose_name="已上报", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_on = models.DateField("上报日期", null=True, blank=True)
    event = models.ForeignKey(
        "grid.GridEvent", verbose_name="来自网格事件", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="disputes",
    )  # fmt: skip

    class Meta:
        verbose_name = verbose_name_plural = "矛盾纠纷"
        ordering = ["-screened_on", "-id"]
        indexes = [
            models.Index(fields=["holder_unit", "status", "due_date"], name="disputes_queue_idx"),
            # Covers every statistic of a period (no row is read): the page's GROUP BYs, 同比, 环比.
            models.Index(
                fields=["screened_on", "type_top", "risk", "source", "division", "grid", "outcome", "status"],
                name="disputes_screened_idx",
            ),
            models.Index(fields=["outcome_on", "outcome"], name="disputes_outcome_idx"),
            models.Index(fields=["registering_unit", "import_key"], name="disputes_import_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def display_code(self):
        return self.number


class Party(models.Model):
    """A party to a dispute, person or organisation; what identifies a person is encrypted."""

    case = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField("类别", max_length=14, choices=PartyKind.choices, default=PartyKind.PERSON)
    side = models.CharField("当事方", max_length=12, choices=PartySide.choices, default=PartySide.APPLICANT)
    name = EncryptedTextField("姓名或名称")
    id_number = EncryptedTextField("证件号码", blank=True)
    phone = EncryptedTextField("联系电话", blank=True)
    address = EncryptedTextField("住址", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "当事人"
        ordering = ["id"]

    def masked(self):
        if self.kind == PartyKind.ORGANISATION:
            return self.name
        return (self.name[:1] + "某" * max(1, len(self.name) - 1)) if self.name else ""


class Leader(models.Model):
    """A 包案领导 of a dispute (one or more)."""

    case = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="leaders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        unique_together = [("case", "user")]


class DisputeEvent(CaseEvent):
    case = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="events")

    class Meta:
        verbose_name = verbose_name_plural = "矛盾纠纷办理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="disputes_event_case_at_idx")]


class DisputeUnit(CaseLink):
    case = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="unit_links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="dispute_links")

    class Meta:
        unique_together = [("case", "unit")]
        indexes = [models.Index(fields=["case", "unit_path"], name="disputes_du_case_path_idx")]


class Attempt(models.Model):
    """One mediation attempt: when, how, who took part, what came of it."""

    case = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="attempts")
    on = models.DateField("调解日期")
    method = models.CharField("方式", max_length=20, choices=Method.choices)
    mediator = models.CharField("调解员", max_length=60, blank=True)
    participants = models.TextField("参加人员")
    result = models.CharField("结果", max_length=14, choices=AttemptResult.choices)
    note = models.TextField("情况", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "调解记录"
        ordering = ["on", "id"]


class FollowUp(models.Model):
    """A 回访 after the outcome: at least one before the dispute is 销号."""

    case = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="follow_ups")
    on = models.DateField("回访日期")
    note = models.TextField("回访情况")
    stable = models.BooleanField("协议履行、未反复", default=True)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "回访记录"
        ordering = ["on", "id"]


class MatterLink(models.Model):
    """A dispute and a petition matter: the matter the dispute became (调解不成转信访), or the
    matter filed about a dispute behind it. Both pages show the link."""

    class Kind(models.TextChoices):
        BECAME = "became", "纠纷转为信访事项"
        BEHIND = "behind", "信访事项背后的纠纷"

    case = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="matter_links")
    matter = models.ForeignKey("petitions.Matter", on_delete=models.CASCADE, related_name="dispute_links")
    kind = models.CharField(max_length=8, choices=Kind.choices)

    class Meta:
        unique_together = [("case", "matter")]


class DisputeFile(CaseFile):
    """An attachment: the mediation agreement (协议), records, photos; checked by content."""

    case = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="files")
    event = models.ForeignKey(
        DisputeEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    agreement = models.BooleanField("调解协议", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "矛盾纠纷附件"

    @classmethod
    def case_model(cls):
        return Dispute


class DisputeWarning(models.Model):
    """An early warning from dispute counts (a surge of one type in one town), found by the same
    detector as petition warnings (xinfang/intelligence/surge.py); each raised once."""

    raised_on = models.DateField("预警日期")
    dispute_type = models.ForeignKey(DisputeType, verbose_name="纠纷类型", on_delete=models.PROTECT)
    division = models.ForeignKey("org.Division", verbose_name="区划", on_delete=models.PROTECT)
    first = models.DateField()
    last = models.DateField()
    observed = models.PositiveIntegerField("实际件数")
    expected = models.FloatField("预期件数")
    high = models.PositiveIntegerField("正常上限")
    title = models.CharField(max_length=200)
    detail = models.TextField()
    fingerprint = models.CharField(max_length=120, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "矛盾纠纷预警"
        ordering = ["-raised_on", "-id"]
