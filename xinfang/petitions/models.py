"""Matters (信访事项), their petitioners, attachments and append-only event history."""

import secrets

from django.conf import settings
from django.db import models

from xinfang.cases.models import Case, CaseEvent, CaseLink, TwoLevelType
from xinfang.core import crypto
from xinfang.core.fields import EncryptedTextField
from xinfang.org.models import Division, Unit

from .choices import (
    Channel,
    DispatchKind,
    Nature,
    Rating,
    ReferralChannel,
    ReplyOutcome,
    RequestType,
    Resolution,
    ReviewDecision,
    Status,
)

MAX_REPRESENTATIVES = 5  # art. 20: a collective visit elects at most five representatives

# 31 symbols (a prime): no 0/1/I/L/O to misread. A weighted check character over a prime modulus
# catches every single-character error and every swap of two neighbouring characters.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_RANDOM_LENGTH = 11


def code_check_char(body: str) -> str:
    total = sum((i + 1) * CODE_ALPHABET.index(c) for i, c in enumerate(body))
    return CODE_ALPHABET[total % len(CODE_ALPHABET)]


_system_random = secrets.SystemRandom()  # the OS's CSPRNG, as secrets.choice uses


def new_tracking_code() -> str:
    """A 12-character 查询码: 11 random symbols (~54 bits) and a check character."""
    body = "".join(_system_random.choices(CODE_ALPHABET, k=CODE_RANDOM_LENGTH))
    return body + code_check_char(body)


def normalize_tracking_code(text: str) -> str | None:
    """Uppercase, drop separators; None if the check character does not match."""
    code = "".join(c for c in (text or "").upper() if c.isalnum())
    if len(code) != CODE_RANDOM_LENGTH + 1 or any(c not in CODE_ALPHABET for c in code):
        return None
    return code if code_check_char(code[:-1]) == code[-1] else None


def format_tracking_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class Category(TwoLevelType):
    """Two-level content category tree (17 national first-level categories and their items)."""

    class Meta(TwoLevelType.Meta):
        verbose_name = verbose_name_plural = "内容分类"


class Matter(Case):
    code = models.CharField("查询码", max_length=12, unique=True, default=new_tracking_code, editable=False)
    channel = models.CharField("信访方式", max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField("收到时间")
    title = models.CharField("标题", max_length=200)
    content = models.TextField("主要内容")
    request = models.TextField("诉求", blank=True)
    nature = models.CharField("事项性质", max_length=20, choices=Nature.choices)
    request_type = models.CharField("诉求类型", max_length=20, choices=RequestType.choices)
    division = models.ForeignKey(Division, verbose_name="问题属地", on_delete=models.PROTECT)
    category = models.ForeignKey(Category, verbose_name="内容分类", on_delete=models.PROTECT)
    complained_unit = models.ForeignKey(
        Unit, verbose_name="被反映单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    complained_person = models.CharField("被反映人", max_length=60, blank=True)
    # 检举控告 (art. 30, 46): the names above are what the intake wrote. Until a person of the
    # screening unit (the receiving organ's 纪检监察 side) has resolved them against the org tree
    # (AccusedParty rows, screened_at), only that unit sees the matter.
    screening_unit = models.ForeignKey(
        Unit, verbose_name="核定单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    screened_at = models.DateTimeField("被反映对象核定时间", null=True, blank=True)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_collective = models.BooleanField("集体访", default=False)
    headcount = models.PositiveIntegerField("人数", default=1)
    anonymous = models.BooleanField("姓名地址不详", default=False, help_text="无法告知的，不需出具书面告知")
    leader_name = models.CharField(
        "接访领导", max_length=60, blank=True, help_text="领导接访时填写接访领导的姓名和职务"
    )
    upper_reference = models.CharField(
        "上级编号", max_length=40, blank=True, help_text="上级转送、交办的事项，填写上级的交办单编号"
    )
    upper_due_date = models.DateField("上级要求办结日期", null=True, blank=True)
    ledger_number = models.CharField(
        "原台账编号", max_length=60, blank=True, help_text="从 Excel 台账导入的事项在原台账中的编号"
    )
    # Keyed hash of the ledger number (or of the row's content when it has none): importing the
    # same file again finds the matters it created and creates no duplicates.
    import_key = models.CharField(max_length=64, blank=True, editable=False)

    status = models.CharField(
        "状态", max_length=24, choices=Status.choices, default=Status.REGISTERED, db_index=True
    )
    handling_unit = models.ForeignKey(
        Unit,
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_matters",
    )
    dispatch_kind = models.CharField("交办方式", max_length=10, choices=DispatchKind.choices, blank=True)
    dispatched_on = models.DateField("转送/交办日期", null=True, blank=True)
    referral_channel = models.CharField(
        "其他法定途径", max_length=20, choices=ReferralChannel.choices, blank=True
    )
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField("延期天数", default=0)
    extension_reason = models.TextField("延期理由", blank=True)

    reply_outcome = models.CharField("处理意见", max_length=10, choices=ReplyOutcome.choices, blank=True)
    resolution = models.CharField("化解方式", max_length=10, choices=Resolution.choices, blank=True)
    reply_text = models.TextField("处理意见书正文", blank=True)
    reply_basis = models.TextField("法律政策依据", blank=True)
    reply_delivered_on = models.DateField("答复送达日期", null=True, blank=True)
    rating = models.CharField("评价", max_length=12, choices=Rating.choices, blank=True)
    rated_on = models.DateField("评价日期", null=True, blank=True)
    rating_due = models.DateField("评价期限届满日", null=True, blank=True)

    review_unit = models.ForeignKey(
        Unit, verbose_name="复查机关", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_requested_on = models.DateField("复查申请日期", null=True, blank=True)
    review_decision = models.CharField("复查意见", max_length=10, choices=ReviewDecision.choices, blank=True)
    review_decided_on = models.DateField("复查意见送达日期", null=True, blank=True)
    rereview_unit = models.ForeignKey(
        Unit, verbose_name="复核机关", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rereview_requested_on = models.DateField("复核申请日期", null=True, blank=True)
    rereview_decision = models.CharField(
        "复核意见", max_length=10, choices=ReviewDecision.choices, blank=True
    )
    rereview_decided_on = models.DateField("复核意见送达日期", null=True, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)

    repeat_of = models.ForeignKey(
        "self",
        verbose_name="重复信访所涉事项",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
    )
    finality_flag = models.BooleanField("三级终结后再次信访（不再受理）", default=False)
    personal_data_removed_on = models.DateField("个人信息匿名化日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "信访事项"
        ordering = ["-received_at", "-id"]
        indexes = [
            # 我的待办 (holder_unit, status, ordered by due_date), with the columns the scope check
            # reads (division, and nature/complained_* for 检举控告): the list is filtered from the
            # index alone. A bureau's list holds tens of thousands of matters.
            models.Index(
                fields=[
                    "holder_unit",
                    "status",
                    "due_date",
                    "division",
                    "nature",
                    "complained_unit",
                    "complained_person",
                ],
                name="petitions_matter_todo_idx",
            ),
            models.Index(fields=["status", "due_date"]),
            # By receipt (lists newest first, periods); with the columns unit scoring counts per
            # period (repeat petitions, petitions handled) so those counts read the index alone.
            models.Index(fields=["received_at", "handling_unit", "repeat_of"], name="petitions_received_idx"),
            # 全部事项 filtered by status, newest first, without sorting the status's matters.
            models.Index(fields=["status", "received_at"], name="petitions_status_recv_idx"),
            # Unit scoring (考核): ratings given, and rating windows ended, in a period, covering
            # the columns counted.
            models.Index(fields=["rated_on", "handling_unit", "rating"], name="petitions_matter_rated_idx"),
            models.Index(fields=["rating_due", "rating", "handling_unit"], name="petitions_rating_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["registering_unit", "import_key"],
                condition=~models.Q(import_key=""),
                name="petitions_matter_import_key_uniq",
            )
        ]

    def __str__(self):
        return f"{format_tracking_code(self.code)} {self.title}"

    def petitioner_rows(self, *, full):
        """The petitioners' name, ID number, phone and address; masked unless `full` (the reader's
        role may see them, or a logged reveal)."""
        rows = []
        for p in self.petitioners.all():
            values = {"name": p.name, "id_number": p.id_number, "phone": p.phone, "address": p.address}
            if not full:
                values = {
                    "name": crypto.mask_name(p.name),
                    "id_number": crypto.mask_id_number(p.id_number),
                    "phone": crypto.mask_phone(p.phone),
                    "address": crypto.mask_address(p.address),
                }
            rows.append(values)
        return rows

    @property
    def display_code(self):
        return format_tracking_code(self.code)


class MatterUnit(CaseLink):
    """A unit that has been given the matter (属事 scope): it keeps seeing the matter afterwards."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="unit_links")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="matter_links")

    class Meta:
        unique_together = [("matter", "unit")]
        # The scope's "given to this unit or a sub-unit" test (unit_path LIKE 'path%') answered from
        # an index: per matter (SQLite checks each candidate), and per unit path (PostgreSQL
        # collects the unit's matters; varchar_pattern_ops for LIKE, ignored by SQLite).
        indexes = [
            models.Index(fields=["matter", "unit_path"], name="petitions_mu_matter_path_idx"),
            models.Index(
                fields=["unit_path", "matter"],
                name="petitions_mu_path_matter_idx",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ]


class MatterText(models.Model):
    """The words of a matter's title and content as the full-text index reads them
    (xinfang/core/words.py), written with the matter by its registration. The index itself is the
    database's (search.py): an FTS5 table kept by triggers on SQLite, a generated tsvector column
    with a GIN index on PostgreSQL. Beside `words` the table has a `scope` column that is not a
    field here: the matter's scope keys, written only by the database's triggers (migration 0019,
    docs/adr/0004)."""

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="text_index")
    words = models.TextField()

    class Meta:
        verbose_name = verbose_name_plural = "全文索引词"


class AccusedParty(models.Model):
    """A unit or person a 检举控告 names, as resolved by the screening unit. A named unit: the
    matter is hidden from its users and its sub-units'. A named person (`user`, with `unit` their
    unit): hidden from them and from their own unit's colleagues, its head included."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="accused_parties")
    unit = models.ForeignKey(Unit, verbose_name="被反映单位", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="被反映人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "被反映对象"
        unique_together = [("matter", "unit", "user")]

    def __str__(self):
        return f"{self.unit}{self.user.full_name if self.user_id else ''}"


class Petitioner(models.Model):
    """A petitioner of a matter. Name, ID number, phone and address are encrypted at rest;
    ID number and phone can be found by exact match through their keyed search hashes."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="petitioners")
    name = EncryptedTextField("姓名")
    id_number = EncryptedTextField("身份证号", blank=True)
    phone = EncryptedTextField("联系电话", blank=True)
    address = EncryptedTextField("住址", blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    is_representative = models.BooleanField("代表", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "信访人"
        ordering = ["id"]

    def __str__(self):
        return crypto.mask_name(self.name)

    def save(self, *args, **kwargs):
        self.id_number_hash = id_number_hash(self.id_number)
        self.phone_hash = phone_hash(self.phone)
        super().save(*args, **kwargs)


def id_number_hash(value: str) -> str:
    return crypto.search_hash("id", (value or "").strip().upper())


def phone_hash(value: str) -> str:
    return crypto.search_hash("phone", "".join(c for c in (value or "") if c.isdigit()))


def petitioner_keys(data) -> set[tuple[str, str]]:
    """(hash column, keyed hash) of every ID number and phone in form data, to find the same
    petitioner. The registration form sends p-N-id_number / p-N-phone; other callers id_number / phone."""
    keys = set()
    for name, value in data.items():
        value = (value or "").strip().upper()
        if name.endswith("id_number") and len(value) == 18:
            keys.add(("id_number_hash", id_number_hash(value)))
        elif name.endswith("phone") and len(value) >= 7:
            keys.add(("phone_hash", phone_hash(value)))
    return keys


def same_petitioner(keys, prefix="") -> models.Q:
    """Petitioner rows (or, with prefix "petitioners__", matters) with any of `keys`."""
    found = models.Q(pk__in=[])
    for column, value in keys:
        found |= models.Q(**{prefix + column: value})
    return found


class MatterEvent(CaseEvent):
    """A matter's history (see CaseEvent): every transition adds one row."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices)

    class Meta:
        verbose_name = verbose_name_plural = "办理记录"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["matter", "at"]),
            # Unit scoring: the steps due in a period, with the columns counted (index only).
            models.Index(fields=["step", "due_on", "unit", "on_time"], name="petitions_event_step_due_idx"),
        ]


class Pause(models.Model):
    """Time not counted toward a deadline (e.g. 复核听证); open while `last` is empty."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="pauses")
    step = models.CharField(max_length=30)
    first = models.DateField("开始")
    last = models.DateField("结束", null=True, blank=True)
    reason = models.CharField("事由", max_length=100)


def attachment_path(instance, filename):
    # Not the 查询码: with a phone's last four digits it opens the matter in the portal.
    return f"attachments/{instance.matter.created_at:%Y/%m}/{instance.matter_id}/{secrets.token_hex(8)}"


class Attachment(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        MatterEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "附件"


class ExportJob(models.Model):
    """A large list export, written by the worker; the file is for its requester only."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    query = EncryptedTextField("筛选条件", blank=True)  # its search words may be a name
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "导出任务"

    @property
    def percent(self):
        return (
            100 if self.state == self.State.DONE else int(self.done * 100 / self.total) if self.total else 0
        )
