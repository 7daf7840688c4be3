"""Supervision and accountability: 催办, 督办 and 领导批示 with the units' answers, on cases of any
registered type (a 督办 names its cases by type key and id: SupervisedCase; so does a Reminder);
and, on petition matters only, 领导包案 with milestones, 领导接访 days, 积案化解 campaigns, the
methods used on a matter (会商, 调解, 听证, 救助 …), 息诉罢访 follow-up, and the unit scoring (考核)
schemes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from xinfang.cases import registry
from xinfang.org.models import Unit
from xinfang.petitions.choices import TERMINAL_STATUSES, Resolution
from xinfang.petitions.models import Attachment, Matter, Pause

from . import case_refs


class Level(models.TextChoices):
    NORMAL = "normal", "普通督办"
    YELLOW = "yellow", "黄牌督办"
    RED = "red", "红牌督办"
    LISTED = "listed", "挂牌督办"


LEVEL_ORDER = [Level.NORMAL, Level.YELLOW, Level.RED, Level.LISTED]


class Reason(models.TextChoices):
    """The grounds for supervision that the earlier regulation names."""

    OVERDUE = "overdue", "超期未办结"
    NO_FEEDBACK = "no_feedback", "未按规定反馈办理结果"
    PROCEDURE = "procedure", "未按规定程序办理"
    BUCK_PASSING = "buck_passing", "推诿、敷衍、拖延"
    NOT_CARRIED_OUT = "not_carried_out", "处理意见未落实"
    OTHER = "other", "其他"


class ReminderQuerySet(models.QuerySet):
    def about(self, case):
        return self.filter(case_type=case_refs.key_of(case), case_id=case.pk)


class Reminder(models.Model):
    """A 催办 sent to the unit responsible for a case of any type: automatic at 临期 and 超期, or by
    hand. The case is named by its type's registry key and its id (cases are never deleted: their
    events protect them)."""

    class Kind(models.TextChoices):
        WARNING = "warning", "临期自动催办"
        OVERDUE = "overdue", "超期自动催办"
        MANUAL = "manual", "人工催办"

    case_type = models.CharField("案件类型", max_length=30)
    case_id = models.BigIntegerField("案件")
    unit = models.ForeignKey(Unit, verbose_name="被催办单位", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("方式", max_length=10, choices=Kind.choices)
    step = models.CharField("期限环节", max_length=30, blank=True)
    due_on = models.DateField("期限届满日", null=True, blank=True)
    at = models.DateTimeField("催办时间", db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="催办人", null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.TextField("催办意见", blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "催办记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case_type", "case_id"], name="supervision_reminder_case")]

    @property
    def case(self):
        return case_refs.load([(self.case_type, self.case_id)])[0]


class SupervisionQuerySet(models.QuerySet):
    def about(self, case):
        return self.filter(case_refs__case_type=case_refs.key_of(case), case_refs__case_id=case.pk)


class Supervision(models.Model):
    """A 督办 issued by a supervisor, or a 领导批示 written by a leader, on one or more cases (of any
    registered type: SupervisedCase). Each unit that must answer has a SupervisionTask; the issuing
    side closes or escalates."""

    class Kind(models.TextChoices):
        SUPERVISE = "supervise", "督办"
        INSTRUCT = "instruct", "领导批示"

    class State(models.TextChoices):
        OPEN = "open", "待反馈"
        ANSWERED = "answered", "已反馈待审核"
        CLOSED = "closed", "已办结"
        ESCALATED = "escalated", "已升级督办"

    number = models.CharField("编号", max_length=40, unique=True)
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    level = models.CharField("督办等级", max_length=10, choices=Level.choices, blank=True)
    reasons = models.JSONField("督办事由", default=list, blank=True)
    text = models.TextField("督办要求／批示内容")
    report_required = models.TextField("反馈要求", blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="签发人", on_delete=models.PROTECT, related_name="+"
    )
    issuing_unit = models.ForeignKey(
        Unit, verbose_name="签发单位", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("签发时间", db_index=True)
    due_on = models.DateField("反馈期限")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    escalated_from = models.OneToOneField(
        "self",
        verbose_name="由此督办升级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalated_to",
    )

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "督办与批示"
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return self.number

    def cases(self, visible_to=None) -> list:
        """The case objects this supervision is about, in the order they were named; only those
        user `visible_to` may see, when given."""
        refs = self.case_refs.values_list("case_type", "case_id")
        return case_refs.load(refs, visible_to=visible_to)

    @property
    def title(self):
        return self.get_level_display() if self.kind == self.Kind.SUPERVISE else "领导批示"

    @property
    def cases_label(self) -> str:
        """What its cases are called: their type's name when all are of one type (信访事项)."""
        keys = set(self.case_refs.values_list("case_type", flat=True))
        return registry.get(keys.pop()).label if len(keys) == 1 else "事项"

    @property
    def sheet_title(self) -> str:
        """The title of the printed 督办单 (信访事项督办单) or 批示交办单."""
        return f"{self.cases_label}督办单" if self.kind == self.Kind.SUPERVISE else "领导批示交办单"

    def reason_labels(self):
        return [Reason(r).label for r in self.reasons if r in Reason.values]


class SupervisedCase(models.Model):
    """A case a supervision is about: its type's registry key (e.g. "matter") and its id."""

    supervision = models.ForeignKey(Supervision, on_delete=models.CASCADE, related_name="case_refs")
    case_type = models.CharField("案件类型", max_length=30)
    case_id = models.BigIntegerField("案件")

    class Meta:
        verbose_name = verbose_name_plural = "督办所涉案件"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervision", "case_type", "case_id"], name="supervision_case_once"
            )
        ]
        indexes = [models.Index(fields=["case_type", "case_id"], name="supervision_case_ref")]


class SupervisionTask(models.Model):
    """One unit's duty to answer a supervision or an instruction (督办反馈)."""

    class State(models.TextChoices):
        PENDING = "pending", "待反馈"
        ANSWERED = "answered", "已反馈"
        ACCEPTED = "accepted", "反馈已认可"

    supervision = models.ForeignKey(Supervision, on_delete=models.CASCADE, related_name="tasks")
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    report = models.TextField("反馈内容", blank=True)
    answered_at = models.DateTimeField("反馈时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_time = models.BooleanField("按期反馈", null=True)
    overdue_reminded = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "督办责任单位"
        unique_together = [("supervision", "unit")]
        ordering = ["id"]


def supervision_file_path(instance, filename):
    import secrets

    return f"supervision/{instance.task.supervision_id}/{secrets.token_hex(8)}"


class SupervisionFile(models.Model):
    """A file a unit sends with its 督办反馈 (a report, photos, an agreement): an image or a PDF by
    its content, encrypted at rest by the default storage, shown to whoever sees the supervision."""

    task = models.ForeignKey("SupervisionTask", on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=supervision_file_path)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "督办反馈附件"
        ordering = ["uploaded_at", "id"]


class SupervisionEvent(models.Model):
    """Append-only history of a supervision."""

    supervision = models.ForeignKey(Supervision, on_delete=models.PROTECT, related_name="events")
    task = models.ForeignKey(SupervisionTask, null=True, blank=True, on_delete=models.PROTECT)
    action = models.CharField("动作", max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间")
    note = models.TextField("说明", blank=True)

    LABELS = {
        "issue": "签发",
        "answer": "反馈",
        "return": "退回重报",
        "accept": "认可反馈",
        "close": "办结",
        "escalate": "升级督办",
        "overdue": "反馈超期提醒",
    }

    class Meta:
        ordering = ["at", "id"]

    @property
    def label(self):
        return self.LABELS.get(self.action, self.action)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("督办记录只能追加，不能修改")
        super().save(*args, **kwargs)


class CaseOwnership(models.Model):
    """领导包案: a leader takes charge of a matter with a plan, milestones and a target date."""

    class State(models.TextChoices):
        ACTIVE = "active", "化解中"
        RESOLVED = "resolved", "已化解"

    matter = models.ForeignKey(
        Matter, verbose_name="事项", on_delete=models.PROTECT, related_name="ownerships"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="包案领导",
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    plan = models.TextField("化解方案")
    started_on = models.DateField("包案日期")
    target_date = models.DateField("目标化解日期")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.ACTIVE)
    resolved_on = models.DateField("化解日期", null=True, blank=True)
    resolution = models.CharField("化解方式", max_length=10, choices=Resolution.choices, blank=True)
    result = models.TextField("化解情况", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "领导包案"
        ordering = ["state", "target_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter"], condition=models.Q(state="active"), name="supervision_one_active_owner"
            )
        ]

    def __str__(self):
        return f"{self.leader}包案：{self.matter.title}"

    @property
    def matter_ended(self) -> bool:
        """The matter has ended (办结, 不予受理, 撤回 …) while the case is still open: it is no longer
        化解中, and waits for the leader to record whether it was resolved."""
        return self.state == self.State.ACTIVE and self.matter.status in TERMINAL_STATUSES

    @property
    def state_label(self) -> str:
        return "事项已结束，待认定化解结果" if self.matter_ended else self.get_state_display()


class Milestone(models.Model):
    ownership = models.ForeignKey(CaseOwnership, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField("节点", max_length=200)
    due_on = models.DateField("计划完成日期")
    done_on = models.DateField("完成日期", null=True, blank=True)
    note = models.TextField("完成情况", blank=True)

    class Meta:
        ordering = ["due_on", "id"]


class ReceptionDay(models.Model):
    """领导接访日: a leader receives petitioners in person; the matters received are linked."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接访领导", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(Unit, verbose_name="组织单位", on_delete=models.PROTECT, related_name="+")
    date = models.DateField("接访日期", db_index=True)
    place = models.CharField("接访地点", max_length=100)
    topic = models.CharField("接访主题", max_length=200, blank=True)
    matters = models.ManyToManyField(Matter, verbose_name="接待的事项", blank=True, related_name="receptions")

    class Meta:
        verbose_name = verbose_name_plural = "领导接访日"
        ordering = ["-date", "-id"]


class Campaign(models.Model):
    """积案化解: a frozen list of long-unresolved matters, each tracked to one of the four outcomes."""

    name = models.CharField("专项名称", max_length=100)
    unit = models.ForeignKey(Unit, verbose_name="组织单位", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    frozen_on = models.DateField("清单冻结日期")
    target_date = models.DateField("目标清仓日期")
    rules = models.JSONField("筛选规则", default=dict)
    rules_text = models.TextField("筛选规则说明")

    class Meta:
        verbose_name = verbose_name_plural = "积案化解专项"
        ordering = ["-frozen_on", "-id"]

    def __str__(self):
        return self.name


class CampaignCase(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="cases")
    matter = models.ForeignKey(Matter, verbose_name="事项", on_delete=models.PROTECT, related_name="+")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="包案领导",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit, verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField("化解结果", max_length=10, choices=Resolution.choices, blank=True)
    evidence = models.TextField("化解依据材料", blank=True)
    files = models.ManyToManyField(Attachment, blank=True, related_name="+")
    resolved_on = models.DateField("化解日期", null=True, blank=True)

    class Meta:
        unique_together = [("campaign", "matter")]
        ordering = ["id"]


class Measure(models.Model):
    """A method used to resolve a matter, with its documents."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "集体会商"
        MEDIATION = "mediation", "调解"
        ARBITRATION = "arbitration", "引导仲裁"
        HEARING = "hearing", "公开听证"
        ASSISTANCE = "assistance", "困难救助"
        LAWYER = "lawyer", "律师参与"
        VISIT = "visit", "回访"

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField("方式", max_length=20, choices=Kind.choices)
    held_on = models.DateField("日期")
    participants = models.CharField("参加人员／单位", max_length=300, blank=True)
    amount = models.DecimalField("救助金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.TextField("情况")
    pause = models.OneToOneField(Pause, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    files = models.ManyToManyField(Attachment, blank=True, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "化解措施"
        ordering = ["held_on", "id"]


class FollowUp(models.Model):
    """Whether the petitioner stopped petitioning (息诉罢访) once the follow-up period after the
    reply ran out: decided from the records (no review request, no repeat petition), or by a
    回访 recorded by staff."""

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="follow_up")
    due_on = models.DateField("回访期满日")
    checked_on = models.DateField("认定日期")
    stopped = models.BooleanField("息诉罢访")
    basis = models.TextField("认定依据")

    class Meta:
        verbose_name = verbose_name_plural = "息诉罢访认定"


class ScoreScheme(models.Model):
    """The weights of unit scoring (考核). The default is a published county scheme (及时受理率 5,
    按期办结率 10, 群众满意率 10, 参评率 5 points, one point off per repeat petition, 5 off below 85 %
    包案化解率); an administrator edits it or adds another and marks it active."""

    name = models.CharField("方案名称", max_length=100, unique=True)
    active = models.BooleanField("当前使用", default=False)
    timely_acceptance = models.DecimalField("及时受理率（分）", max_digits=6, decimal_places=2, default=5)
    on_time_reply = models.DecimalField("按期办结率（分）", max_digits=6, decimal_places=2, default=10)
    satisfaction = models.DecimalField("群众满意率（分）", max_digits=6, decimal_places=2, default=10)
    participation = models.DecimalField("参评率（分）", max_digits=6, decimal_places=2, default=5)
    per_repeat = models.DecimalField("每件重复信访扣分", max_digits=6, decimal_places=2, default=1)
    ownership_threshold = models.DecimalField(
        "包案化解率底线（%）", max_digits=5, decimal_places=2, default=85
    )
    ownership_penalty = models.DecimalField(
        "包案化解率低于底线扣分", max_digits=6, decimal_places=2, default=5
    )

    class Meta:
        verbose_name = verbose_name_plural = "考核方案"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if self.active:
            ScoreScheme.objects.exclude(pk=self.pk).update(active=False)
