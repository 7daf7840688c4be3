"""Choice lists of the hazard ledger (value, label)."""

from django.db import models


class Level(models.TextChoices):
    # 一般隐患: harm and difficulty are small, can be put right at once or soon by the unit itself.
    # 重大隐患: needs full or partial stoppage for a time, or cannot be removed by the unit itself.
    GENERAL = "general", "一般隐患"
    MAJOR = "major", "重大隐患"


class Source(models.TextChoices):
    INSPECTION = "inspection", "监督检查"
    SELF_CHECK = "self_check", "企业自查"
    PUBLIC = "public", "群众举报"
    GRID = "grid", "网格员上报"
    PETITION = "petition", "信访反映"


class Status(models.TextChoices):
    REGISTERED = "registered", "已登记"
    RECTIFYING = "rectifying", "整改中"
    PLAN_PENDING = "plan_pending", "待报治理方案"
    GOVERNING = "governing", "治理中"
    ACCEPTANCE_PENDING = "acceptance_pending", "待验收"
    ACCEPTED = "accepted", "验收合格"
    CLOSED = "closed", "已销号"
    REVOKED = "revoked", "已撤销"


# Put right (验收合格, whether struck off yet or not) and no longer open.
RECTIFIED_STATUSES = {Status.ACCEPTED, Status.CLOSED}
TERMINAL_STATUSES = {Status.CLOSED, Status.REVOKED}
# Not yet removed: a 重大隐患 in one of these is "open now".
OPEN_STATUSES = [
    Status.REGISTERED,
    Status.RECTIFYING,
    Status.PLAN_PENDING,
    Status.GOVERNING,
    Status.ACCEPTANCE_PENDING,
]


class Stoppage(models.TextChoices):
    NONE = "", "未责令停产停业"
    PARTIAL = "partial", "局部停产停业"
    FULL = "full", "全部停产停业"


class Industry(models.TextChoices):
    """The sections (门类) of the national industry classification that safety supervision meets."""

    AGRICULTURE = "agriculture", "农林牧渔业"
    MINING = "mining", "采矿业"
    MANUFACTURING = "manufacturing", "制造业"
    UTILITIES = "utilities", "电力热力燃气及水生产和供应业"
    CONSTRUCTION = "construction", "建筑业"
    TRADE = "trade", "批发和零售业"
    TRANSPORT = "transport", "交通运输、仓储和邮政业"
    HOSPITALITY = "hospitality", "住宿和餐饮业"
    REAL_ESTATE = "real_estate", "房地产业"
    BUSINESS = "business", "租赁和商务服务业"
    EDUCATION = "education", "教育"
    HEALTH = "health", "卫生和社会工作"
    CULTURE = "culture", "文化、体育和娱乐业"
    OTHER = "other", "其他行业"


class ListingLevel(models.TextChoices):
    """The government that lists a major hazard for supervision (挂牌督办)."""

    CITY = "city", "市级挂牌督办"
    COUNTY = "county", "区县级挂牌督办"


class PhotoStage(models.TextChoices):
    FOUND = "found", "排查发现"
    PROGRESS = "progress", "整改过程"
    AFTER = "after", "整改后"
