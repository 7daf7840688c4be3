"""Choice lists of grid events (value, label)."""

from django.db import models


class Status(models.TextChoices):
    REPORTED = "reported", "已上报"
    ACCEPTED = "accepted", "已受理"
    DISPATCHED = "dispatched", "处置中"
    HANDLED = "handled", "待核查"
    VERIFIED = "verified", "核查通过"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予受理"
    TO_DISPUTE = "to_dispute", "已转为矛盾纠纷"
    TO_MATTER = "to_matter", "已转为信访事项"


TERMINAL_STATUSES = {Status.CLOSED, Status.REJECTED, Status.TO_DISPUTE, Status.TO_MATTER}


class Kind(models.TextChoices):
    DISPUTE = "dispute", "矛盾纠纷"
    SAFETY = "safety", "安全隐患"
    ORDER = "order", "治安隐患"
    ENVIRONMENT = "environment", "环境卫生"
    FACILITY = "facility", "市政设施"
    LIVELIHOOD = "livelihood", "民生服务"
    OTHER = "other", "其他"


class RejectReason(models.TextChoices):
    INVALID = "invalid", "无效事件"
    DUPLICATE = "duplicate", "重复上报"
