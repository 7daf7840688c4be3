"""Choice lists of the stability risk assessment of major decisions (稳评)."""

from django.db import models


class DecisionType(models.TextChoices):
    PROJECT = "project", "重大工程项目"
    LAND = "land", "征地拆迁"
    REFORM = "reform", "重大改革和政策"
    PRICE = "price", "价格调整"
    ENVIRONMENT = "environment", "环境影响"
    OTHER = "other", "其他重大决策"


class Status(models.TextChoices):
    PLANNING = "planning", "制定评估方案"
    HEARING = "hearing", "听取意见"
    ANALYSING = "analysing", "分析论证"
    GRADING = "grading", "确定风险等级"
    REPORTING = "reporting", "形成评估报告"
    DECIDING = "deciding", "待决策"
    TRACKING = "tracking", "跟踪评估"
    CLOSED = "closed", "已完成"


class HearingMethod(models.TextChoices):
    NOTICE = "notice", "公示"
    SURVEY = "survey", "问卷调查"
    VISIT = "visit", "走访"
    FORUM = "forum", "座谈会"
    HEARING = "hearing", "听证会"


class RiskLevel(models.TextChoices):
    # 高: most of the affected people object strongly and a large group incident is likely;
    # 中: part of them object strongly and conflict is possible;
    # 低: most support, a minority objects and it can be handled.
    HIGH = "high", "高风险"
    MEDIUM = "medium", "中风险"
    LOW = "low", "低风险"


class Degree(models.TextChoices):
    """Likelihood and impact of one risk found."""

    HIGH = "high", "高"
    MEDIUM = "medium", "中"
    LOW = "low", "低"


class Recommendation(models.TextChoices):
    IMPLEMENT = "implement", "实施"
    ADJUST = "adjust", "调整后实施"
    POSTPONE = "postpone", "暂缓实施"
    REJECT = "reject", "不实施"


# Recommendations and decisions that go ahead with the decision.
GO_AHEAD = {Recommendation.IMPLEMENT, Recommendation.ADJUST}

LEVEL_RULES = {
    RiskLevel.HIGH: "大部分群众对决策事项有意见、反映特别强烈，可能引发大规模群体性事件",
    RiskLevel.MEDIUM: "部分群众对决策事项有意见、反映强烈，可能引发矛盾冲突",
    RiskLevel.LOW: "多数群众理解支持，但少部分人对决策事项有意见，通过有效工作可以防范和化解矛盾",
}
