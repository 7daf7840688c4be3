"""Choice lists of the petition domain (value, label)."""

from django.db import models


class Channel(models.TextChoices):
    LETTER = "letter", "来信"
    VISIT = "visit", "来访"
    ONLINE = "online", "网上"
    PHONE = "phone", "电话"
    FAX = "fax", "传真"
    LEADER_RECEPTION = "leader", "领导接访"
    UPPER_FORWARDED = "upper_forwarded", "上级转送"
    UPPER_ASSIGNED = "upper_assigned", "上级交办"
    HOTLINE_12345 = "hotline12345", "12345热线"


class Nature(models.TextChoices):
    ADVICE = "advice", "建议意见"
    ACCUSATION = "accusation", "检举控告"
    APPEAL = "appeal", "申诉求决"


class RequestType(models.TextChoices):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"


class Status(models.TextChoices):
    REGISTERED = "registered", "待交办"
    DISPATCHED = "dispatched", "待受理"
    HANDLING = "handling", "办理中"
    REPLY_PENDING = "reply_pending", "答复待审签"
    REPLIED = "replied", "已答复"
    REVIEW_REQUESTED = "review_requested", "复查中"
    REVIEWED = "reviewed", "已复查"
    REREVIEW_REQUESTED = "rereview_requested", "复核中"
    CLOSED = "closed", "已办结"
    REFERRED = "referred", "已告知其他途径"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回"


TERMINAL_STATUSES = {Status.CLOSED, Status.REFERRED, Status.NOT_ACCEPTED, Status.WITHDRAWN}


class DispatchKind(models.TextChoices):
    FORWARD = "forward", "转送"
    ASSIGN = "assign", "交办"
    DIRECT = "direct", "直接办理"


class ReplyOutcome(models.TextChoices):
    SUPPORT = "support", "支持"
    EXPLAIN = "explain", "解释说明"
    REJECT = "reject", "不予支持"


class Resolution(models.TextChoices):
    """How the matter was resolved, the four outcomes leaders ask for (四个到位): a reasonable
    request solved, an unreasonable one explained, unlawful behaviour handled by law, hardship
    helped. Recorded with every reply."""

    SOLVED = "solved", "问题解决到位"
    EXPLAINED = "explained", "解释疏导到位"
    BY_LAW = "by_law", "依法处理到位"
    ASSISTED = "assisted", "帮扶救助到位"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY = "basically", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class ReviewDecision(models.TextChoices):
    UPHOLD = "uphold", "维持"
    CHANGE = "change", "变更"
    REDO = "redo", "责令重新办理"


class ReferralChannel(models.TextChoices):
    LITIGATION = "litigation", "诉讼"
    ARBITRATION = "arbitration", "仲裁"
    RECONSIDERATION = "reconsideration", "行政复议"
    LABOR = "labor", "劳动人事争议仲裁"
    DISCIPLINE = "discipline", "纪检监察"
    OTHER = "other", "其他法定途径"
