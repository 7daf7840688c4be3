"""Unit scoring (考核) formulas: 及时受理率, 按期办结率, 群众满意率 and 参评率 weighted into points, a
deduction per repeat petition (重复信访) and a penalty when 包案化解率 falls below a threshold. Plain
Python, no Django: the counts come from score_counts.py (one GROUP BY per measure, in the database);
this module turns them into rates, points and the reasons a unit sees."""

from dataclasses import dataclass, field, fields


@dataclass
class Counts:
    """What a unit did in a period. Every numerator and denominator of the scheme is a sum of these."""

    timely_on: int = 0  # first steps (转送交办 / 受理告知) completed on time
    timely_late: int = 0  # completed late
    timely_open: int = 0  # due in the period, still not done, deadline passed
    reply_on: int = 0  # written answers (处理意见, 复查, 复核) given on time
    reply_late: int = 0
    reply_open: int = 0
    satisfied: int = 0  # rated 满意 or 基本满意 in the period
    rated: int = 0  # rated in the period
    unrated_expired: int = 0  # rating window ended in the period without a rating
    repeats: int = 0  # repeat petitions received in the period about the unit's matters
    petitions: int = 0  # matters received in the period that the unit handles
    owned: int = 0  # 包案 cases the unit carried in the period
    owned_resolved: int = 0  # of which resolved in the period

    def __add__(self, other):
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class Weights:
    """The default weights are those of a published county scheme: 及时受理率 5, 按期办结率 10,
    群众满意率 10, 参评率 5 points, one point off per repeat petition, 5 points off when 包案化解率
    is below 85 %. Deployments set their own in 系统管理「考核方案」 (ScoreScheme)."""

    timely_acceptance: float = 5
    on_time_reply: float = 10
    satisfaction: float = 10
    participation: float = 5
    per_repeat: float = 1
    ownership_threshold: float = 85  # percent
    ownership_penalty: float = 5


# Every part a score line is made of: its label, for the reasons and the drill-down.
PARTS = {
    "timely_on": "按期转送交办或受理",
    "timely_late": "超期转送交办或受理",
    "timely_open": "超期未转送交办或受理",
    "reply_on": "按期答复",
    "reply_late": "超期答复",
    "reply_open": "超期未答复",
    "satisfied": "满意、基本满意",
    "unsatisfied": "不满意",
    "rated": "已评价",
    "unrated_expired": "评价期满未评价",
    "repeats": "重复信访",
    "petitions": "承办的信访事项",
    "owned": "包案事项",
    "owned_resolved": "包案已化解",
    "owned_open": "包案未化解",
}


DEDUCTIONS = {"repeats", "ownership"}  # score lines that only ever subtract

# A unit is ranked only when its rate lines count at least this many steps and ratings (件次) in
# the period: a unit with two matters at 100 % is no better than one with two hundred at 98 %.
RANK_MIN_VOLUME = 10


@dataclass
class Line:
    key: str
    label: str
    formula: str
    numerator: int
    denominator: int
    weight: float
    points: float | None  # what the line adds (deductions: negative); None: no data (无数据)
    parts: list = field(default_factory=list)  # [(part key, label, count)]
    note: str = ""

    @property
    def rate(self):
        return self.numerator / self.denominator if self.denominator else None


@dataclass
class Score:
    """`total` adds the points of the lines that have data; a rate with nothing to count has no
    points (无数据), neither full marks nor zero. Units are compared by `rate`: the total over
    what the lines with data could give (`possible`)."""

    total: float
    lines: list

    @property
    def maximum(self):
        # Deduction lines carry a weight too (per repeat, the penalty) but add nothing; a repeats
        # line with no repeats has points -0.0, which `points >= 0` took for a rate line.
        return sum(line.weight for line in self.lines if line.key not in DEDUCTIONS)

    @property
    def possible(self):
        """The most the rate lines with data could give."""
        return sum(
            line.weight for line in self.lines if line.key not in DEDUCTIONS and line.points is not None
        )

    @property
    def rate(self):
        """得分率: total ÷ possible; None when no rate line has data."""
        return self.total / self.possible if self.possible else None

    @property
    def volume(self):
        """The steps and ratings (件次) the rate lines counted."""
        return sum(line.denominator for line in self.lines if line.key not in DEDUCTIONS)

    @property
    def ranked(self):
        return self.rate is not None and self.volume >= RANK_MIN_VOLUME


def _rate_line(key, label, formula, weight, numerator, parts, denominator=None):
    denominator = sum(n for _, _, n in parts) if denominator is None else denominator
    if denominator:
        points = weight * numerator / denominator
        note = ""
    else:
        points, note = None, "无数据：本期无应计事项，不计分"
    points = None if points is None else round(points, 2)
    return Line(key, label, formula, numerator, denominator, weight, points, parts, note)


def _parts(c: Counts, *names):
    values = {
        **{f.name: getattr(c, f.name) for f in fields(c)},
        "unsatisfied": c.rated - c.satisfied,
        "owned_open": c.owned - c.owned_resolved,
    }
    return [(name, PARTS[name], values[name]) for name in names]


def score(c: Counts, w: Weights = Weights()) -> Score:
    lines = [
        _rate_line(
            "timely",
            "及时受理率",
            "按期转送交办或受理 ÷（按期 + 超期 + 超期未办）",
            w.timely_acceptance,
            c.timely_on,
            _parts(c, "timely_on", "timely_late", "timely_open"),
        ),
        _rate_line(
            "reply",
            "按期办结率",
            "按期答复 ÷（按期 + 超期答复 + 超期未答复）",
            w.on_time_reply,
            c.reply_on,
            _parts(c, "reply_on", "reply_late", "reply_open"),
        ),
        _rate_line(
            "satisfaction",
            "群众满意率",
            "（满意 + 基本满意）÷ 已评价",
            w.satisfaction,
            c.satisfied,
            _parts(c, "satisfied", "unsatisfied"),
        ),
        _rate_line(
            "participation",
            "参评率",
            "已评价 ÷（已评价 + 评价期满未评价）",
            w.participation,
            c.rated,
            _parts(c, "rated", "unrated_expired"),
        ),
    ]
    repeat_points = -w.per_repeat * c.repeats
    lines.append(
        Line(
            "repeats",
            "重复信访",
            f"每件扣{w.per_repeat:g}分；重复信访率 = 重复信访 ÷ 承办的信访事项",
            c.repeats,
            c.petitions,
            w.per_repeat,
            round(repeat_points, 2),
            _parts(c, "repeats", "petitions"),
        )
    )
    ownership = Line(
        "ownership",
        "包案化解率",
        f"包案已化解 ÷ 包案事项；低于{w.ownership_threshold:g}%扣{w.ownership_penalty:g}分",
        c.owned_resolved,
        c.owned,
        w.ownership_penalty,
        0.0,
        _parts(c, "owned_resolved", "owned_open"),
    )
    if not c.owned:
        ownership.note = "本期无包案事项，不扣分"
    elif c.owned_resolved * 100 < w.ownership_threshold * c.owned:
        ownership.points = -float(w.ownership_penalty)
        ownership.note = f"低于{w.ownership_threshold:g}%，扣{w.ownership_penalty:g}分"
    lines.append(ownership)
    return Score(round(sum(line.points for line in lines if line.points is not None), 2), lines)
