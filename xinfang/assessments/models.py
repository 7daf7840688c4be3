"""Stability risk assessments of major decisions (重大决策社会稳定风险评估) as cases of the kernel:
held by the unit responsible for the assessment (评估主体), and by the deciding organ while it
decides; every step recorded and dated. Risk belongs to a decision, never to a person."""

from django.conf import settings
from django.db import models

from xinfang.cases.models import Case, CaseEvent, CaseFile, CaseLink
from xinfang.org.models import Division, Unit

from .choices import DecisionType, Degree, HearingMethod, Recommendation, RiskLevel, Status

CODE_PREFIX = "WP"


class Assessment(Case):
    title = models.CharField("决策事项", max_length=200)
    summary = models.TextField("决策事项主要内容")
    decision_type = models.CharField("决策类型", max_length=12, choices=DecisionType.choices)
    division = models.ForeignKey(Division, verbose_name="涉及区域", on_delete=models.PROTECT)
    deciding_organ = models.ForeignKey(
        Unit, verbose_name="决策机关", on_delete=models.PROTECT, related_name="decisions_assessed"
    )
    assessing_unit = models.ForeignKey(
        Unit, verbose_name="评估主体", on_delete=models.PROTECT, related_name="assessments_made"
    )
    affected = models.TextField("涉及群众和影响范围")
    affected_count = models.PositiveIntegerField("涉及人数")
    planned_decision_on = models.DateField("拟决策日期")

    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PLANNING)
    plan_text = models.TextField("评估方案", blank=True)
    plan_on = models.DateField("评估方案制定日期", null=True, blank=True)
    legality = models.TextField("合法性", blank=True)
    rationality = models.TextField("合理性", blank=True)
    feasibility = models.TextField("可行性", blank=True)
    controllability = models.TextField("可控性", blank=True)
    risk_level = models.CharField("风险等级", max_length=10, choices=RiskLevel.choices, blank=True)
    level_basis = models.TextField("等级确定依据", blank=True)
    recommendation = models.CharField("评估建议", max_length=10, choices=Recommendation.choices, blank=True)
    go_ahead_reason = models.TextField("高风险仍建议实施的理由", blank=True)
    mitigation = models.TextField("风险防范化解措施", blank=True)
    emergency_plan = models.TextField("应急处置预案", blank=True)
    report_on = models.DateField("评估报告日期", null=True, blank=True)
    decision = models.CharField("决策结果", max_length=10, choices=Recommendation.choices, blank=True)
    decided_on = models.DateField("决策日期", null=True, blank=True)
    decision_note = models.TextField("决策情况", blank=True)
    against_recommendation = models.BooleanField("未采纳评估建议", default=False)
    closed_on = models.DateField("完成日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "社会稳定风险评估"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["holder_unit", "status", "due_date"], name="assessments_todo_idx"),
            models.Index(fields=["status", "due_date"], name="assessments_status_due_idx"),
            models.Index(fields=["decision_type", "risk_level"], name="assessments_type_level_idx"),
        ]

    def __str__(self):
        return f"{self.display_code} {self.title}"

    @property
    def display_code(self):
        return f"{CODE_PREFIX}{self.pk:08d}" if self.pk else ""

    @classmethod
    def pk_from_code(cls, text: str):
        text = (text or "").strip().upper()
        digits = text.removeprefix(CODE_PREFIX)
        return (
            int(digits) if text.startswith(CODE_PREFIX) and digits.isdigit() and len(digits) <= 18 else None
        )


class AssessmentUnit(CaseLink):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="unit_links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="assessment_links")

    class Meta:
        unique_together = [("assessment", "unit")]
        indexes = [models.Index(fields=["assessment", "unit_path"], name="assessments_au_path_idx")]


class AssessmentEvent(CaseEvent):
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices)

    class Meta:
        verbose_name = verbose_name_plural = "评估记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["assessment", "at"], name="assessments_event_idx")]


class Hearing(CaseFile):
    """One way the views of the people affected were heard, with what came of it; its record (the
    公示 photographed, the questionnaires, the minutes) is the file kept with it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="hearings")
    method = models.CharField("方式", max_length=10, choices=HearingMethod.choices)
    held_on = models.DateField("日期")
    reached = models.PositiveIntegerField("覆盖人数")
    views = models.PositiveIntegerField("收集意见（条）")
    supported = models.PositiveIntegerField("表示支持（人）")
    objected = models.PositiveIntegerField("表示反对（人）")
    summary = models.TextField("主要意见")

    class Meta:
        verbose_name = verbose_name_plural = "听取意见"
        ordering = ["held_on", "id"]

    @classmethod
    def case_model(cls):
        return Assessment


class Risk(models.Model):
    """A risk the analysis found: what may happen, how likely, how bad, what is done about it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="risks")
    description = models.TextField("风险点")
    likelihood = models.CharField("发生可能性", max_length=10, choices=Degree.choices)
    impact = models.CharField("影响程度", max_length=10, choices=Degree.choices)
    mitigation = models.TextField("防范化解措施")

    class Meta:
        verbose_name = verbose_name_plural = "风险点"
        ordering = ["id"]


class FollowUp(models.Model):
    """A check after the decision was implemented."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="follow_ups")
    checked_on = models.DateField("跟踪日期")
    findings = models.TextField("跟踪情况")

    class Meta:
        verbose_name = verbose_name_plural = "跟踪评估"
        ordering = ["checked_on", "id"]


class CaseReference(models.Model):
    """A petition, a dispute (any registered case type) that arose from an assessed decision,
    named generically by the kernel's type key and the case's id."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="references")
    case_type = models.CharField("类型", max_length=20)
    case_id = models.BigIntegerField()
    label = models.CharField("名称", max_length=250)  # code and title when linked
    linked_on = models.DateField("关联日期")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "实施后引发的信访和矛盾纠纷"
        ordering = ["linked_on", "id"]
        unique_together = [("assessment", "case_type", "case_id")]
        indexes = [models.Index(fields=["case_type", "case_id"], name="assessments_ref_case_idx")]
