"""Administrative divisions, the unit (org) tree and staff users with their roles."""

import math

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class Division(models.Model):
    """An administrative division with a GB/T 2260-style code (12 digits down to village level)."""

    LEVELS = [
        (1, "省级"),
        (2, "市级"),
        (3, "县级"),
        (4, "乡级"),
        (5, "村级"),
    ]
    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("层级", choices=LEVELS)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes ("/330000/330100/330102/") so a subtree is one indexed prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    policy_set = models.ForeignKey(
        "deadlines.PolicySet",
        verbose_name="期限规则集",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="本区划及其下级区划适用的地方期限规则；不填则沿用上级区划的规则或系统默认规则",
    )
    # The centre of the division (WGS 84), for locating a report sent with coordinates (Open311's
    # lat/long): the nearest centre wins. Optional; a division without one is never chosen that way.
    latitude = models.DecimalField(
        "中心点纬度",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="WGS 84 坐标，如 30.274085",
    )
    longitude = models.DecimalField(
        "中心点经度",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="WGS 84 坐标，如 120.155070",
    )

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @classmethod
    def nearest(cls, latitude: float, longitude: float, within=None):
        """The division whose centre is nearest to a point (great-circle distance), among those
        with a centre (and under `within`, itself included); None if none has one. Of two equally
        near, the deeper one (a village before its township) wins."""
        rows = cls.objects.filter(latitude__isnull=False, longitude__isnull=False)
        if within is not None:
            rows = rows.filter(path__startswith=within.path)
        best, best_key = None, None
        for division in rows:
            key = (
                _distance(latitude, longitude, float(division.latitude), float(division.longitude)),
                -division.level,
            )
            if best_key is None or key < best_key:
                best, best_key = division, key
        return best

    def full_name(self):
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))

    def effective_policy_set(self):
        """Name of the policy set of the nearest division (this or above) that names one."""
        node = self
        while node is not None:
            if node.policy_set_id:
                return node.policy_set.name
            node = node.parent
        return None

    def clean(self):
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError("中心点的纬度和经度要同时填写，或都不填。")
        if self.latitude is not None and not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValidationError("中心点坐标超出范围：纬度在-90到90之间，经度在-180到180之间。")
        if not self.code.isdigit():
            raise ValidationError({"code": "区划代码只能由数字组成"})
        if self.parent_id and self.parent.level >= self.level:
            raise ValidationError({"parent": "上级区划的层级必须高于本区划"})

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "/") + self.code + "/"
        super().save(*args, **kwargs)


class Unit(models.Model):
    """A unit in the org tree. Territorial units see matters in their divisions (属地);
    every unit sees matters dispatched to it or its sub-units (属事)."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", "党委政府"
        PETITION_BUREAU = "bureau", "信访部门"
        DEPARTMENT = "department", "职能部门"
        TOWNSHIP = "township", "乡镇（街道）"
        LEGAL = "legal", "政法机关"
        DISCIPLINE = "discipline", "纪检监察机关"

    TERRITORIAL_KINDS = {Kind.GOVERNMENT, Kind.PETITION_BUREAU, Kind.TOWNSHIP}

    name = models.CharField("单位名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=40, blank=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    divisions = models.ManyToManyField(Division, verbose_name="管辖区划", blank=True, related_name="units")
    categories = models.ManyToManyField(
        "petitions.Category", verbose_name="承办的内容分类", blank=True, related_name="units"
    )
    phone = models.CharField(
        "对外联系电话",
        max_length=40,
        blank=True,
        help_text="信访部门填写：网上信访页面在查询被暂停等需要群众来电时显示该电话。",
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        ordering = ["path"]

    def __str__(self):
        return self.name

    @property
    def is_territorial(self):
        return self.kind in self.TERRITORIAL_KINDS

    def save(self, *args, **kwargs):
        # pk is needed for the path; a new row saves twice.
        if self.pk is None:
            self.path = ""
            super().save(*args, **kwargs)
            kwargs.pop("force_insert", None)
        old_path = self.path
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.pk}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save()

    def clean(self):
        node = self.parent
        while node is not None:
            if node.pk == self.pk:
                raise ValidationError({"parent": "上级单位不能是本单位或其下级单位"})
            node = node.parent

    def subtree(self):
        return Unit.objects.filter(path__startswith=self.path)

    def government(self) -> "Unit | None":
        """The 党委政府 this unit is (or belongs to): the nearest government at or above it."""
        node = self
        while node is not None and node.kind != self.Kind.GOVERNMENT:
            node = node.parent
        return node

    def is_within(self, other: "Unit") -> bool:
        """True if this unit is `other` or one of its descendants."""
        return self.path.startswith(other.path)


class Role(models.TextChoices):
    REGISTRAR = "registrar", "登记员"
    DISPATCHER = "dispatcher", "交办员"
    HANDLER = "handler", "承办人"
    UNIT_HEAD = "unit_head", "单位负责人"
    SUPERVISOR = "supervisor", "督查员"
    LEADER = "leader", "领导"
    ANALYST = "analyst", "分析员"
    ADMIN = "admin", "系统管理员"
    AUDITOR = "auditor", "审计员"
    GRID_WORKER = "grid_worker", "网格员"
    INFORMANT = "informant", "社会信息员"


# Roles that work on individual matters; analysts see aggregates only, admins configure the system.
CASEWORK_ROLES = {
    Role.REGISTRAR,
    Role.DISPATCHER,
    Role.HANDLER,
    Role.UNIT_HEAD,
    Role.SUPERVISOR,
    Role.LEADER,
}


# Grid workers and information reporters file events from their grids and see their own events
# and outcomes. They are roles, not a flag on a casework role: a user has one role, and this one
# does nothing else, so `does_casework` is False for them and every page of petition matters,
# disputes and supervision refuses them by the same check.
REPORTER_ROLES = {Role.GRID_WORKER, Role.INFORMANT}


# Roles whose work needs the petitioner's full name, ID number, phone and address (to register,
# contact and answer them). Other casework roles see masked values and may reveal one matter's
# values with a stated reason, which is logged.
FULL_PERSONAL_DATA_ROLES = {Role.REGISTRAR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_HEAD}


class User(AbstractUser):
    """A staff user. Every staff user belongs to one unit and has one role."""

    full_name = models.CharField("姓名", max_length=40, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="所在单位", null=True, blank=True, on_delete=models.PROTECT)
    role = models.CharField("角色", max_length=20, choices=Role.choices, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作人员"

    def __str__(self):
        return self.full_name or self.username

    def clean(self):
        if self.role and not self.unit_id:
            raise ValidationError({"unit": "工作人员必须属于一个单位"})

    @property
    def reports_events(self):
        return self.is_active and self.unit_id is not None and self.role in REPORTER_ROLES

    @property
    def does_casework(self):
        return self.is_active and self.unit_id is not None and self.role in CASEWORK_ROLES


def _distance(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance in kilometres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))
