"""Choice lists of the dispute ledger (value, label)."""

from django.db import models


class Status(models.TextChoices):
    REGISTERED = "registered", "排查登记"
    MEDIATING = "mediating", "化解中"
    RESOLVED = "resolved", "已化解"
    TRANSFERRED = "transferred", "未化解-已转办"
    FOLLOWED_UP = "followed_up", "已回访"
    CLOSED = "closed", "已销号"


OPEN_STATUSES = [Status.REGISTERED, Status.MEDIATING]
# Counted as 化解 in the statistics: settled by mediation, whatever happened after (回访, 销号).
RESOLVED_OUTCOME = "success"


class Source(models.TextChoices):
    ROUTINE = "routine", "日常排查"
    CAMPAIGN = "campaign", "集中排查"
    GRID = "grid", "网格上报"
    INFORMANT = "informant", "信息员报告"
    PETITION = "petition", "转自信访事项"
    HOTLINE = "hotline", "12345热线"
    COMMITTEE = "committee", "人民调解委员会"
    OTHER = "other", "其他"


class Risk(models.TextChoices):
    MAJOR = "major", "重大"
    LARGER = "larger", "较大"
    GENERAL = "general", "一般"


class RiskReason(models.TextChoices):
    GROUP = "group", "群体性"
    MASS = "mass", "涉众型"
    CRIMINAL = "criminal", "可能激化为刑事案件"
    EXTREME = "extreme", "可能引发极端事件"
    SENSITIVE = "sensitive", "敏感时期"


class Method(models.TextChoices):
    PEOPLE = "people", "人民调解"
    ADMINISTRATIVE = "administrative", "行政调解"
    JUDICIAL = "judicial", "司法调解"
    PROFESSIONAL = "professional", "行业性专业性调解"
    LAWYER = "lawyer", "律师/法律援助"
    COURT_LINK = "court_link", "诉调对接"
    HEARING = "hearing", "信访听证"


class Outcome(models.TextChoices):
    SUCCESS = "success", "调解成功"
    FAILED = "failed", "调解不成"


class NextChannel(models.TextChoices):
    LITIGATION = "litigation", "诉讼"
    ARBITRATION = "arbitration", "仲裁"
    PETITION = "petition", "信访"


class AttemptResult(models.TextChoices):
    PROGRESS = "progress", "有进展，继续调解"
    AGREED = "agreed", "达成一致"
    NO_AGREEMENT = "no_agreement", "未达成一致"


class PartyKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "单位组织"


class PartySide(models.TextChoices):
    APPLICANT = "applicant", "申请方"
    RESPONDENT = "respondent", "被申请方"
    OTHER = "other", "其他当事人"
