"""The hazard ledger (隐患排查治理台账): the register of enterprises and sites, and their hazards as
cases of the kernel (xinfang/cases): owned by the unit that supervises the enterprise, located in
its division, with an append-only history. Risk belongs to a hazard, never to a person."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from xinfang.cases.models import Case, CaseEvent, CaseFile, CaseLink
from xinfang.core import crypto
from xinfang.core.fields import EncryptedTextField
from xinfang.core.import_jobs import BaseImportJob
from xinfang.org.models import Division, Unit
from xinfang.petitions.models import Matter

from . import credit
from .choices import Industry, Level, ListingLevel, PhotoStage, Source, Status, Stoppage

CODE_PREFIX = "YH"


class HazardType(models.Model):
    """隐患类型, edited by administrators (消防, 用电, 特种设备 …)."""

    name = models.CharField("名称", max_length=40, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "隐患类型"
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Territorial units see the enterprises in their divisions; every unit those it (or a unit
        below it) supervises. Roles without casework see none."""
        from xinfang.cases.scoping import territory_paths

        if not getattr(user, "is_authenticated", False) or not user.does_casework:
            return self.none()
        unit = user.unit
        q = Q(supervising_unit__path__startswith=unit.path)
        if unit.is_territorial:
            for path in territory_paths(unit):
                q |= Q(division__path__startswith=path)
        return self.filter(q)


class Enterprise(models.Model):
    """A production or business unit, or a site (a construction site, a market), in the register."""

    name = models.CharField("单位（场所）名称", max_length=100)
    credit_code = models.CharField(
        "统一社会信用代码", max_length=18, blank=True, help_text="18位；没有代码的场所可不填"
    )
    industry = models.CharField("行业", max_length=20, choices=Industry.choices)
    division = models.ForeignKey(Division, verbose_name="所在区划", on_delete=models.PROTECT)
    address = models.CharField("地址", max_length=200, blank=True)
    supervising_unit = models.ForeignKey(
        Unit,
        verbose_name="行业监管部门",
        on_delete=models.PROTECT,
        related_name="supervised_enterprises",
        help_text="负有安全监管职责的部门，如应急管理、住建、交通运输、市场监管",
    )
    contact_name = EncryptedTextField("联系人", blank=True)
    contact_phone = EncryptedTextField("联系电话", blank=True)
    active = models.BooleanField("在册", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "生产经营单位"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="hazards_enterprise_code_uniq"
            ),
            models.UniqueConstraint(fields=["division", "name"], name="hazards_enterprise_name_uniq"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.credit_code = credit.normalize(self.credit_code)
        if self.credit_code and (problem := credit.problem(self.credit_code)):
            raise ValidationError({"credit_code": problem})

    def contact(self, *, full: bool) -> dict:
        if full:
            return {"name": self.contact_name, "phone": self.contact_phone}
        return {"name": crypto.mask_name(self.contact_name), "phone": crypto.mask_phone(self.contact_phone)}


class Hazard(Case):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name="生产经营单位", on_delete=models.PROTECT, related_name="hazards"
    )
    # The enterprise's, copied when the hazard is registered: statistics group by it.
    industry = models.CharField("行业", max_length=20, choices=Industry.choices)
    division = models.ForeignKey(Division, verbose_name="所在区划", on_delete=models.PROTECT)
    hazard_type = models.ForeignKey(HazardType, verbose_name="隐患类型", on_delete=models.PROTECT)
    level = models.CharField("隐患等级", max_length=10, choices=Level.choices)
    source = models.CharField("发现方式", max_length=12, choices=Source.choices)
    found_on = models.DateField("发现日期")
    found_by = models.CharField("检查人员或报告渠道", max_length=100, blank=True)
    location = models.CharField("隐患部位", max_length=200)
    title = models.CharField("隐患名称", max_length=200)
    description = models.TextField("隐患描述")
    petition = models.ForeignKey(
        Matter,
        verbose_name="所涉信访事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )

    status = models.CharField("状态", max_length=24, choices=Status.choices, default=Status.REGISTERED)
    requirements = models.TextField("整改要求", blank=True)
    notified_on = models.DateField("整改通知日期", null=True, blank=True)
    stoppage = models.CharField("停产停业", max_length=10, choices=Stoppage.choices, blank=True)
    stoppage_scope = models.CharField("停产停业范围", max_length=200, blank=True)
    # 五落实 of a major hazard's governance plan: 责任, 措施, 资金, 时限, 预案.
    plan_person = models.CharField("治理责任人（职务）", max_length=60, blank=True)
    plan_unit = models.CharField("治理责任部门", max_length=100, blank=True)
    plan_measures = models.TextField("治理措施", blank=True)
    plan_funds = models.DecimalField("治理资金（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    plan_deadline = models.DateField("治理时限", null=True, blank=True)
    plan_contingency = models.TextField("应急预案", blank=True)
    plan_approved_on = models.DateField("治理方案审定日期", null=True, blank=True)
    # The request for acceptance that was accepted, against the deadline it was made under.
    applied_on = models.DateField("申请验收日期", null=True, blank=True)
    rectify_due = models.DateField("整改期限", null=True, blank=True)
    rectified_on = models.DateField("验收合格日期", null=True, blank=True)
    rectified_on_time = models.BooleanField("按期整改", null=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    listed_level = models.CharField("挂牌督办", max_length=10, choices=ListingLevel.choices, blank=True)
    listed_by = models.ForeignKey(
        Unit, verbose_name="挂牌督办机关", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    listed_on = models.DateField("挂牌督办日期", null=True, blank=True)
    escalated_to = models.ForeignKey(
        Unit, verbose_name="升级督办至", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ledger_number = models.CharField("原台账编号", max_length=60, blank=True)
    # Keyed hash of the ledger number (or of the row's content): importing the same 台账 again
    # finds the hazards it created.
    import_key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "安全生产隐患"
        ordering = ["-found_on", "-id"]
        indexes = [
            # 待办: the unit's hazards in the statuses its role acts on, by deadline.
            models.Index(fields=["holder_unit", "status", "due_date"], name="hazards_todo_idx"),
            models.Index(fields=["status", "due_date"], name="hazards_status_due_idx"),
            # Statistics of a period, read from the index alone: every column they count or group.
            # Lists of a period, newest first.
            models.Index(fields=["found_on", "id"], name="hazards_found_idx"),
            models.Index(fields=["enterprise", "found_on"], name="hazards_enterprise_idx"),
            # The statistics' column store reads the hazards changed since it last looked.
            models.Index(fields=["updated_at"], name="hazards_updated_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["registering_unit", "import_key"],
                condition=~Q(import_key=""),
                name="hazards_import_key_uniq",
            )
        ]

    def __str__(self):
        return f"{self.display_code} {self.title}"

    @property
    def display_code(self):
        return f"{CODE_PREFIX}{self.pk:08d}" if self.pk else ""

    @classmethod
    def pk_from_code(cls, text: str):
        """The id a 隐患编号 (YH00001234) names, or None."""
        text = (text or "").strip().upper()
        digits = text.removeprefix(CODE_PREFIX)
        return (
            int(digits) if text.startswith(CODE_PREFIX) and digits.isdigit() and len(digits) <= 18 else None
        )

    @property
    def is_major(self):
        return self.level == Level.MAJOR

    def plan_missing(self) -> list[str]:
        """The parts of the 五落实 not yet given."""
        parts = [
            ("责任（责任人和责任部门）", self.plan_person and self.plan_unit),
            ("措施", self.plan_measures),
            ("资金", self.plan_funds is not None and self.plan_funds > 0),
            ("时限", self.plan_deadline),
            ("预案", self.plan_contingency),
        ]
        return [label for label, given in parts if not given]


class HazardUnit(CaseLink):
    """A unit that has been given the hazard (it keeps seeing it)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="unit_links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="hazard_links")

    class Meta:
        unique_together = [("hazard", "unit")]
        indexes = [
            models.Index(fields=["hazard", "unit_path"], name="hazards_hu_hazard_path_idx"),
            models.Index(
                fields=["unit_path", "hazard"],
                name="hazards_hu_path_hazard_idx",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ]


class HazardEvent(CaseEvent):
    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices)

    class Meta:
        verbose_name = verbose_name_plural = "隐患治理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["hazard", "at"], name="hazards_event_idx")]


class HazardPhoto(CaseFile):
    """A photo (or scanned record) of the hazard: when found, during rectification, afterwards."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField("阶段", max_length=10, choices=PhotoStage.choices)

    class Meta:
        verbose_name = verbose_name_plural = "隐患照片"
        ordering = ["uploaded_at", "id"]

    @classmethod
    def case_model(cls):
        return Hazard


class HazardImportJob(BaseImportJob):
    """A 台账 file being imported into the hazard ledger: the enterprise register or hazards."""

    class Kind(models.TextChoices):
        ENTERPRISES = "enterprises", "生产经营单位名录"
        HAZARDS = "hazards", "隐患台账"

    kind = models.CharField("台账", max_length=12, choices=Kind.choices)

    class Meta(BaseImportJob.Meta):
        verbose_name = verbose_name_plural = "隐患台账导入任务"
