"""The Django side of case intelligence: trained model versions, staff feedback on suggestions,
routing rules and the landmarks an administrator adds for place recognition."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class ModelVersion(models.Model):
    """One trained text model. Exactly one version per kind is active; rolling back activates an
    older one. The weights are stored without pickle (see intelligence.classify.to_bytes)."""

    class Kind(models.TextChoices):
        CATEGORY = "category", "内容分类"
        UNIT = "unit", "承办单位"

    class Source(models.TextChoices):
        DEFAULT = "default", "默认模型（项目自写示例语料）"
        HISTORY = "history", "本地历史事项"

    kind = models.CharField("模型", max_length=12, choices=Kind.choices)
    number = models.PositiveIntegerField("版本号")
    source = models.CharField("训练数据", max_length=12, choices=Source.choices)
    active = models.BooleanField("启用中", default=False)
    trained_at = models.DateTimeField("训练时间", auto_now_add=True)
    trained_by = models.CharField("训练方式", max_length=60, blank=True)
    train_count = models.PositiveIntegerField("训练样本数", default=0)
    test_count = models.PositiveIntegerField("留出样本数", default=0)
    label_count = models.PositiveIntegerField("类别数", default=0)
    macro_f1 = models.FloatField("留出集宏平均F1", null=True, blank=True)
    accuracy = models.FloatField("留出集准确率", null=True, blank=True)
    baseline_macro_f1 = models.FloatField("基线宏平均F1", null=True, blank=True)
    ms_per_doc = models.FloatField("每件耗时（毫秒）", null=True, blank=True)
    report = models.JSONField("各类别得分", default=dict, blank=True)
    weights = models.BinaryField("模型参数")

    class Meta:
        verbose_name = verbose_name_plural = "研判模型版本"
        ordering = ["kind", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="model_version_number_unique"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(active=True), name="model_version_one_active"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}模型 v{self.number}"


class Feedback(models.Model):
    """What staff did with a suggestion: accepted as offered, or corrected. Corrections are training
    data (the corrected matter is in the history) and the acceptance rate is shown per version."""

    kind = models.CharField("建议类型", max_length=12, choices=ModelVersion.Kind.choices)
    matter = models.ForeignKey("petitions.Matter", on_delete=models.CASCADE, related_name="+")
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL)
    suggested = models.CharField("建议", max_length=100)
    confidence = models.FloatField("置信度", default=0)
    chosen = models.CharField("采用", max_length=100)
    accepted = models.BooleanField("采纳建议")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "建议反馈"
        ordering = ["-at"]


class RoutingRule(models.Model):
    """属地 (division → unit) and 属事 (category → unit) rules of one dispatching unit."""

    owner = models.ForeignKey(
        "org.Unit", verbose_name="交办单位", on_delete=models.CASCADE, related_name="routing_rules"
    )
    category = models.ForeignKey(
        "petitions.Category",
        verbose_name="内容分类（属事）",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="一级分类适用于其下全部二级分类",
    )
    division = models.ForeignKey(
        "org.Division",
        verbose_name="问题属地（属地）",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="适用于该区划及其下级区划",
    )
    target = models.ForeignKey(
        "org.Unit", verbose_name="承办单位", on_delete=models.CASCADE, related_name="+"
    )
    active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "分办规则"
        ordering = ["owner", "category", "division"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "category", "division", "target"], name="routing_rule_unique"
            ),
        ]

    def __str__(self):
        parts = [str(x) for x in (self.division, self.category) if x is not None]
        return f"{'、'.join(parts)} → {self.target}"

    def clean(self):
        if self.category_id is None and self.division_id is None:
            raise ValidationError("请至少填写内容分类或问题属地之一。")
        if self.target_id and self.target_id == self.owner_id:
            raise ValidationError({"target": "承办单位不能是交办单位本身。"})


class Landmark(models.Model):
    """A place name people write that is not a division (a road, an estate, a hospital), mapped to
    the division it lies in, so that it is recognised in petitions."""

    name = models.CharField("地名", max_length=60)
    division = models.ForeignKey("org.Division", verbose_name="所在区划", on_delete=models.CASCADE)

    class Meta:
        verbose_name = verbose_name_plural = "地名（地标）"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "division"], name="landmark_unique")]

    def __str__(self):
        return f"{self.name}（{self.division}）"


def letter_scan_path(instance, filename):
    import secrets

    return f"letters/{secrets.token_hex(12)}"


class LetterScan(models.Model):
    """A scanned letter (image or PDF) whose text the worker recognises (OCR) before registration:
    the registrar reads the text beside the scan, corrects it and registers the letter with it.
    The file is encrypted at rest by the default storage; it becomes the matter's attachment."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "识别中"
        DONE = "done", "已识别"
        FAILED = "failed", "识别失败"

    file = models.FileField(upload_to=letter_scan_path)
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    text = models.TextField("识别文字", blank=True)
    error = models.CharField("失败原因", max_length=200, blank=True)
    seconds = models.FloatField("识别用时（秒）", null=True, blank=True)
    matter = models.ForeignKey(
        "petitions.Matter", verbose_name="登记的事项", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = verbose_name_plural = "来信扫描件识别"
        ordering = ["-uploaded_at", "-id"]
