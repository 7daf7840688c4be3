"""The case kernel's records, as abstract models a case type inherits: a case owned by a unit and
located in a division, its append-only events, and the units given access to it (属事).

A case type's concrete models add their own fields (and may override a field's label); the engine
(engine.py) moves them, the scoping rule (scoping.py) decides who sees them.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from xinfang.org.models import Division, Unit


class ReminderLevel(models.IntegerChoices):
    """How far the reminders of a case's current deadline step have gone (the sweeper)."""

    NONE = 0, "未提醒"
    WARNING = 1, "临期"
    OVERDUE = 2, "超期"


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one scoping method: every query for a user's cases goes through here."""
        from .scoping import scope_filter

        return scope_filter(self, user)


class Case(models.Model):
    """A case type's concrete model also defines `status` (with its choices), `title` and
    `display_code` (used in notices), and its own indexes."""

    division = models.ForeignKey(Division, verbose_name="属地", on_delete=models.PROTECT)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    registering_unit = models.ForeignKey(
        Unit, verbose_name="登记单位", on_delete=models.PROTECT, related_name="+"
    )
    # No index of its own: each type indexes (holder_unit, status, due_date) for its queues.
    holder_unit = models.ForeignKey(
        Unit,
        verbose_name="当前责任单位",
        on_delete=models.PROTECT,
        related_name="held_%(class)ss",
        db_index=False,
    )
    # The deadline the case is waiting on; recomputed by the engine on every transition.
    policy_set = models.CharField("期限规则集", max_length=40)
    due_step = models.CharField("当前期限环节", max_length=30, blank=True)
    due_date = models.DateField("期限届满日", null=True, blank=True, db_index=True)
    warn_date = models.DateField("临期日", null=True, blank=True)
    due_provisional = models.BooleanField("期限为估算", default=False)
    step_started_on = models.DateField("当前环节起算日", null=True, blank=True)
    clock_paused = models.BooleanField("暂停计时", default=False)
    reminded_level = models.PositiveSmallIntegerField("已提醒", default=0)  # a ReminderLevel

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def due_step_label(self):
        from xinfang.deadlines.policies import STEPS

        return STEPS[self.due_step][0] if self.due_step in STEPS else ""


class CaseEvent(models.Model):
    """Append-only history: every act adds one row; rows are never changed or deleted. A concrete
    event model adds the foreign key to its case."""

    action = models.CharField("动作", max_length=30)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", db_index=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField("向信访人公开", default=True)
    # The deadline step this event completed, when it completed one: the unit that was responsible,
    # the step's deadline and whether it was met. Unit scoring counts these rows.
    on_time = models.BooleanField("按期", null=True)
    step = models.CharField("完成的期限环节", max_length=30, blank=True)
    due_on = models.DateField("该环节期限", null=True, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def label(self):
        from .registry import all_types

        case_type = next((t for t in all_types() if isinstance(self, t.event_model)), None)
        return case_type.workflow.label_of(self.action) if case_type else self.action

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("办理记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("办理记录只能追加，不能删除")


class CaseLink(models.Model):
    """A unit that has been given the case (属事): it and its sub-units keep seeing it afterwards.
    A concrete link model adds the foreign key to its case and the unit's related name."""

    unit_path = models.CharField(max_length=255, db_index=True)

    class Meta:
        abstract = True


def case_file_path(instance, filename):
    """Where a case's file is stored: by type and case id, never by anything a citizen could use to
    find the case (its tracking code)."""
    import secrets

    from .registry import of

    case_type = of(instance.case_model())
    case = getattr(instance, case_type.case_field)
    return f"attachments/{case_type.key}/{case.created_at:%Y/%m}/{case.pk}/{secrets.token_hex(8)}"


class CaseFile(models.Model):
    """A file kept with a case (a scanned letter, a photo of a hazard, a mediation agreement). A
    concrete model adds the foreign key to its case (and to the event it came with) and says which
    case model it belongs to (`case_model()`). Files are checked by content when saved
    (xinfang/core/uploads.py) and encrypted at rest by the default storage."""

    file = models.FileField(upload_to=case_file_path)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @classmethod
    def case_model(cls):
        raise NotImplementedError


class TwoLevelType(models.Model):
    """A two-level classification that administrators edit (内容分类, 矛盾纠纷类型 …)."""

    name = models.CharField("名称", max_length=40)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )  # fmt: skip
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        abstract = True
        ordering = ["order", "id"]
        unique_together = [("parent", "name")]

    def __str__(self):
        return f"{self.parent.name}／{self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            kind = self._meta.verbose_name
            raise ValidationError({"parent": f"{kind}只有两级：上级必须是一级{kind}"})

    @property
    def top(self):
        return self.parent if self.parent_id else self
