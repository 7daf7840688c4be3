"""Generate demo matters and drive each one through the real write path.

Every matter is created with `services.register_matter` and moved only with `services.perform`,
dated in the past with `now=` and performed by the account whose job it is (registrar, dispatcher,
handler, unit head, reviewing organ). Nothing is written to matters, events or deadlines directly,
so the demo shows exactly what the system itself produces. A transition the write path refuses is a
bug in this generator and is not caught.

The story of a matter is decided step by step with a seeded random generator: intake (dispatch,
direct handling, referral to another legal channel, not accepted, withdrawn), dispatch and
acceptance (sometimes a jurisdiction dispute and re-dispatch), handling (sometimes extended,
returned for revision, late), the reply, rating, review and re-review (some 责令重新办理, some with a
hearing) and closing when the petitioner's window has run out. A story stops at today, so recent
matters are still open; a share of recent matters stall so that the deadline lights show 超期 and
临期. A fixed set of showcase matters guarantees that every status and the special cases exist
even in a small demo.

Notifications: the write path writes notifications to the outbox and hands their ids to a Huey task
when the transaction commits. For two years of history that would be hundreds of thousands of
messages about events long past. During generation Huey runs in immediate mode with its in-memory
queue (so nothing is added to the real queue), and before each batch commits the generator marks the
batch's notifications 已发送 (state "sent") while leaving `sent_at` empty: they remain in the
outbox as the record of what the system would have said at the time, they are never delivered, and
the worker will not pick them up later. Notifications caused by real use after the demo is loaded
are delivered normally.
"""

import logging
import random
from bisect import bisect
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from xinfang.cases.plan import bulk
from xinfang.core import clock
from xinfang.core.dates import cn_date
from xinfang.core.models import Notification
from xinfang.deadlines.policies import PETITION_STEPS
from xinfang.deadlines.service import current_calendar, deadline_for, policy
from xinfang.org.models import Role, Unit
from xinfang.petitions.choices import Channel, Nature, RequestType, Status
from xinfang.petitions.models import MAX_REPRESENTATIVES, Category, Matter
from xinfang.petitions.screening import screen
from xinfang.petitions.services import perform, register_matter

from . import content as C
from .city import City, District

R = Role
SPRING_FESTIVAL = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
# Share of petitions per first-level category (a plausible mix for a mid-sized city).
TOP_WEIGHTS = {
    "城乡建设": 18,
    "劳动和社会保障": 14,
    "农村农业": 8,
    "国土资源": 8,
    "环境保护": 9,
    "政法": 7,
    "卫生计生": 5,
    "教育文体": 6,
    "交通运输": 4,
    "商贸旅游": 5,
    "组织人事": 2,
    "纪检监察": 4,
    "民政": 4,
    "党务政务": 2,
    "经济管理": 2,
    "科技与信息产业": 1,
    "其他": 1,
}
LEAF_BOOST = {"工资福利": 2.5, "物业管理": 1.8, "房屋拆迁与补偿": 1.4, "土地征收": 1.4, "噪声污染": 1.5}
SEASON = {
    "工资福利": "wages",
    "劳动关系": "wages",
    "噪声污染": "summer",
    "大气污染": "summer",
    "水污染": "summer",
    "义务教育": "school",
    "招生考试": "school",
    "学前教育": "school",
    "农村土地承包": "farming",
    "农业生产": "farming",
    "供水供电供气": "utilities",
    "社会救助": "winter",
}
CHANNELS = {
    Channel.ONLINE: 42,
    Channel.PHONE: 18,
    Channel.VISIT: 17,
    Channel.LETTER: 13,
    Channel.UPPER_FORWARDED: 4,
    Channel.LEADER_RECEPTION: 3,
    Channel.UPPER_ASSIGNED: 2,
    Channel.FAX: 1,
}
COLLECTIVE_TOPS = {"劳动和社会保障", "城乡建设", "国土资源", "农村农业", "环境保护"}
RECENT_DAYS = 100  # matters received this recently sometimes stall (late today) …
RECENT_STALL = 0.05  # … with this chance at each step that waits on staff
BATCH = 1000  # matters per transaction (one bulk session)


class Stop(Exception):
    """The story of a matter goes on beyond today, or a showcase matter ends here."""


def weighted(rng, options: dict):
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


# What the demo draws for a matter, shared with the load benchmark's bulk loader.
REQUEST_TYPES = {
    Nature.ACCUSATION: {RequestType.REPORT: 7, RequestType.COMPLAINT: 3},
    Nature.ADVICE: {RequestType.SUGGESTION: 85, RequestType.CONSULT: 15},
    Nature.APPEAL: {
        RequestType.COMPLAINT: 45,
        RequestType.HELP: 35,
        RequestType.CONSULT: 12,
        RequestType.REPORT: 8,
    },
}


def pick_template(rng, nature, top, category, leaf_categories: dict):
    """(category, text template) of a matter; advice names its own second-level category."""
    if nature == Nature.ADVICE:
        leaf, *template = rng.choice(C.ADVICE[top])
        return leaf_categories.get(leaf, category), template
    if nature == Nature.ACCUSATION:
        return category, rng.choice(C.ACCUSATIONS[category.name])
    return category, rng.choice(C.T[category.name])


def received_clock(rng, channel) -> time:
    """Visits and letters arrive in office hours; calls and online petitions at any waking hour."""
    if channel in (Channel.VISIT, Channel.LEADER_RECEPTION, Channel.LETTER, Channel.FAX):
        return time(rng.randint(8, 16), rng.randint(0, 59))
    return time(rng.choice([7, 8, 9, 10, 11, 12, 14, 15, 16, 19, 20, 21, 22, 23]), rng.randint(0, 59))


def step_clock(rng, staff: bool) -> time:
    """Staff act in office hours, on the ten minutes; petitioners any time of the day."""
    if staff:
        return time(rng.randint(8, 17), rng.choice([0, 10, 20, 30, 40, 50]))
    return time(rng.randint(7, 21), rng.randint(0, 59))


# ---------------------------------------------------------------- when things happen


def season_weight(profile: str, d: date) -> float:
    w = 1.0
    sf = min(SPRING_FESTIVAL.values(), key=lambda s: abs((s - d).days))
    before = (sf - d).days  # days until Spring Festival (negative after it)
    month = d.month
    if profile == "wages":
        if 3 <= before <= 45:
            w += 3.0
        elif 45 < before <= 75:
            w += 1.0
    elif profile == "summer":
        w += {6: 1.0, 7: 1.3, 8: 1.1, 5: 0.4, 9: 0.4}.get(month, 0)
    elif profile == "school":
        w += {7: 1.0, 8: 1.4, 9: 1.0, 2: 0.3, 3: 0.3}.get(month, 0)
    elif profile == "farming":
        w += {3: 0.7, 4: 0.8, 5: 0.5, 10: 0.3}.get(month, 0)
    elif profile == "utilities":
        w += {7: 0.5, 8: 0.5, 12: 0.5, 1: 0.5}.get(month, 0)
    elif profile == "winter":
        w += {12: 0.4, 1: 0.5, 2: 0.3}.get(month, 0)
    if -1 <= -before <= 6:  # the Spring Festival holiday itself is quiet
        w *= 0.35
    if month == 10 and d.day <= 7:
        w *= 0.5
    if d.weekday() >= 5:
        w *= 0.55
    return w


@dataclass
class DaySampler:
    """Draws a day in [first, last] with weights of a seasonal profile and a slight growth trend."""

    first: date
    days: list
    cumulative: list

    @classmethod
    def build(cls, profile, first: date, last: date):
        n = (last - first).days + 1
        days = [first + timedelta(days=i) for i in range(n)]
        weights = [season_weight(profile, d) * (0.9 + 0.2 * i / max(1, n - 1)) for i, d in enumerate(days)]
        return cls(first, days, list(accumulate(weights)))

    def draw(self, rng) -> date:
        return self.days[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


# ---------------------------------------------------------------- one matter


@dataclass
class Story:
    """What a matter is about and how its story may go (decisions may be forced for showcases)."""

    received: datetime
    category: Category
    top: str
    district: District
    division: object
    township_unit: Unit
    bureau: Unit
    channel: str
    nature: str
    request_type: str
    template: tuple
    collective: bool = False
    headcount: int = 1
    anonymous: bool = False
    complained_unit: Unit | None = None
    complained_person: str = ""
    repeat_of: Matter | None = None
    petitioners: list = field(default_factory=list)
    forced: dict = field(default_factory=dict)
    stop_after: tuple | None = None  # (action, occurrence): stop right after it (showcases)
    fast: bool = False  # showcases: one day per step, main path unless forced
    stall_p: float = 0.002
    route: str = ""  # "city" or "district": where the matter is handled (showcases)
    not_accept_note: str = ""
    expect: str | None = None  # showcases: the status the story must end in
    label: str = ""


class Run:
    """Drives one story through the write path."""

    def __init__(self, gen: "Generator", story: Story):
        self.gen, self.s, self.rng, self.city = gen, story, gen.rng, gen.city
        self.t = story.received
        self.matter = None
        self.done = {}

    # -- decisions

    def chance(self, name, p) -> bool:
        if name in self.s.forced:
            return bool(self.s.forced[name])
        if self.s.fast:
            return False
        return self.rng.random() < p

    def pick(self, name, options: dict):
        if name in self.s.forced:
            return self.s.forced[name]
        if self.s.fast:
            return next(iter(options))
        return weighted(self.rng, {k: v for k, v in options.items() if v > 0})

    def days(self, lo, hi) -> int:
        return 1 if self.s.fast else self.rng.randint(lo, hi)

    # -- time

    def when(self, gap=0, *, staff=True, on=None, not_after=None, clamp=False) -> datetime:
        day = on if on is not None else self.t.date() + timedelta(days=gap)
        day = max(day, self.t.date())
        if staff and not self.s.fast:
            day = self.gen.workday_on_or_after(day)
        if not_after is not None and day > not_after:
            day = max(not_after, self.t.date())
        moment = timezone.make_aware(datetime.combine(day, step_clock(self.rng, staff)))
        if moment <= self.t:
            end_of_day = timezone.make_aware(datetime.combine(day, time(23, 59)))
            moment = min(self.t + timedelta(minutes=self.rng.randint(5, 90)), max(end_of_day, self.t))
        if moment > self.gen.end:
            if not clamp:
                raise Stop
            moment = max(self.t, self.gen.end)
        return moment

    def act(self, action, actor, moment, **params):
        self.matter = perform(self.matter.pk, actor, action, now=moment, **params)
        self.t = moment
        self.done[action] = self.done.get(action, 0) + 1
        if self.s.stop_after == (action, self.done[action]):
            raise Stop

    # -- people

    def user(self, unit, role):
        return self.city.user(unit, role)

    def registrar(self):
        return self.city.user(self.s.bureau, R.REGISTRAR, self.rng)

    def dispatcher(self):
        return self.user(self.s.bureau, R.DISPATCHER)

    # -- the story

    def run(self) -> Matter:
        try:
            self.register()
            self.intake()
        except Stop:
            return self.matter  # the story has reached today, or a showcase its last step
        return self.matter

    def register(self):
        s = self.s
        delay = {Channel.LETTER: (1, 4), Channel.ONLINE: (0, 1), Channel.PHONE: (0, 1)}.get(s.channel, (0, 0))
        # every received matter is registered, at the latest just now
        delay = 0 if s.fast else self.rng.randint(*delay)
        moment = self.when(delay, staff=s.channel != Channel.VISIT, clamp=True)
        title, text, request = s.template
        fields = {
            "channel": s.channel,
            "received_at": s.received,
            "title": title,
            "content": text,
            "request": request,
            "nature": s.nature,
            "request_type": s.request_type,
            "division": s.division,
            "category": s.category,
            "complained_unit": s.complained_unit,
            "complained_person": s.complained_person,
            "is_collective": s.collective,
            "headcount": s.headcount,
            "anonymous": s.anonymous,
            "repeat_of": s.repeat_of,
        }
        self.matter = register_matter(self.registrar(), fields=fields, petitioners=s.petitioners, now=moment)
        self.t = moment
        self.done["register"] = 1
        if self.matter.screening_unit_id:  # 检举控告: its 纪检监察 unit resolves whom it names first
            moment = self.when(self.days(0, 2))
            screener = self.user(self.matter.screening_unit, R.HANDLER)
            named = [s.complained_unit] if s.complained_unit else []
            note = "" if named else f"被反映人「{s.complained_person}」不是本系统的工作人员。"
            screen(self.matter.pk, screener, units=named, note=note, now=moment)
            self.t = moment
        if s.stop_after == ("register", 1) or self.matter.status != Status.REGISTERED:
            raise Stop

    def intake(self):
        options = {"dispatch": 0.85, "direct": 0.05, "refer": 0.05, "not_accept": 0.02, "withdraw": 0.01}
        options["stall"] = self.s.stall_p
        if self.s.complained_unit is not None:
            options.update(direct=0, refer=0)
        choice = self.pick("intake", options)
        gap = self.days(0, 6)
        if choice == "stall":
            return
        if choice == "withdraw":
            self.act(
                "withdraw",
                self.registrar(),
                self.when(gap, staff=False),
                note=self.rng.choice(C.WITHDRAW_NOTES),
            )
        elif choice == "refer":
            self.refer(self.dispatcher(), gap)
        elif choice == "not_accept":
            note = self.s.not_accept_note or self.rng.choice(C.NOT_ACCEPT_NOTES)
            self.act("not_accept", self.dispatcher(), self.when(gap), note=note)
        elif choice == "direct":
            self.act("handle_directly", self.dispatcher(), self.when(gap))
            self.handling(self.s.bureau)
        else:
            self.dispatch()

    def refer(self, actor, gap):
        channel = C.REFERRAL_BY_CATEGORY.get(self.s.category.name, "other")
        self.act(
            "refer",
            actor,
            self.when(gap),
            referral_channel=channel,
            note=C.REFERRALS[channel],
        )

    def dispatch(self):
        target = self.gen.route(self.s)
        kind = self.pick("dispatch_kind", {"forward": 0.6, "assign": 0.4})
        late = self.chance("late_dispatch", 0.05)
        self.act(
            kind,
            self.dispatcher(),
            self.when(self.rng.randint(16, 25) if late else self.days(0, 6)),
            unit=target,
        )
        dispute_ok = self.gen.calendar_knows(self.t.date() + timedelta(days=15))
        after = self.pick(
            "on_dispatch",
            {
                "accept": 0.93,
                "dispute": 0.03 if dispute_ok else 0,
                "refer": 0.02 if self.s.complained_unit is None else 0,
                "not_accept": 0.01,
                "stall": self.s.stall_p,
            },
        )
        if after == "stall":
            return
        handler, head = self.user(target, R.HANDLER), self.user(target, R.UNIT_HEAD)
        if after == "dispute":
            self.act("dispute", handler, self.when(self.days(1, 3)), note=self.rng.choice(C.DISPUTE_NOTES))
            target = self.gen.route(self.s, avoid=target)
            self.act(kind, self.dispatcher(), self.when(self.days(1, 4)), unit=target)
            handler = self.user(target, R.HANDLER)
        elif after == "refer":
            self.refer(handler, self.days(1, 6))
            return
        elif after == "not_accept":
            self.act("not_accept", head, self.when(self.days(1, 6)), note=self.rng.choice(C.NOT_ACCEPT_NOTES))
            return
        late = self.chance("late_accept", 0.04)
        self.act("accept", handler, self.when(self.rng.randint(16, 28) if late else self.days(1, 8)))
        self.handling(target)

    def handling(self, unit, final=False):
        handler, head = self.user(unit, R.HANDLER), self.user(unit, R.UNIT_HEAD)
        if self.chance("withdraw_handling", 0.01):
            self.act(
                "withdraw",
                self.registrar(),
                self.when(self.days(5, 30), staff=False),
                note=self.rng.choice(C.WITHDRAW_NOTES),
            )
            return
        if self.chance("stall_handling", self.s.stall_p):
            return
        if self.chance("extend", 0.08):
            due = self.matter.due_date
            days = 30 if self.s.fast else self.rng.choice([15, 20, 30])
            self.act(
                "extend",
                head,
                self.when(self.days(30, 50), not_after=due),
                days=days,
                note=self.rng.choice(C.EXTEND_NOTES),
            )
        due = self.matter.due_date
        if self.chance("late_reply", 0.06):
            moment = self.when(on=due + timedelta(days=self.rng.randint(3, 25)))
        elif self.s.fast:
            moment = self.when(1)
        else:
            start = self.matter.accepted_on
            latest = (due - start).days - 1
            moment = self.when(
                on=start + timedelta(days=self.rng.randint(min(10, latest), latest)), not_after=due
            )
        self.submit(handler, moment)
        if self.chance("return", 0.07):
            self.act("return_reply", head, self.when(self.days(1, 3)), note=self.rng.choice(C.RETURN_NOTES))
            self.submit(handler, self.when(self.days(2, 7)))
        if self.chance("stall_approval", self.s.stall_p / 3):
            return
        self.act("approve_reply", head, self.when(self.days(1, 4)))
        self.after_reply(final)

    def submit(self, handler, moment):
        outcome = self.pick("outcome", {"explain": 0.42, "support": 0.4, "reject": 0.18})
        text, basis = C.reply_for(self.rng, self.s.top, outcome, self.matter.title, handler.unit.name)
        resolution = C.resolution_for(self.rng, outcome)
        self.act(
            "submit_reply", handler, moment, outcome=outcome, resolution=resolution, text=text, basis=basis
        )

    def after_reply(self, final=False):
        m = self.matter
        rating = ""
        if self.chance("rate", 0.72):
            rating = self.pick("rating", {"satisfied": 0.68, "basically": 0.2, "unsatisfied": 0.12})
            window = deadline_for("rating", m.reply_delivered_on, m.policy_set).due
            self.act(
                "rate",
                self.registrar(),
                self.when(self.days(1, 18), staff=False, not_after=window),
                rating=rating,
            )
        review_p = 0 if final else (0.45 if rating == "unsatisfied" else 0.03 if rating else 0.05)
        after = self.pick("after_reply", {"close": 1 - review_p, "review": review_p, "withdraw": 0.004})
        if after == "review":
            self.act(
                "request_review",
                self.registrar(),
                self.when(self.days(2, 20), staff=False, not_after=self.matter.due_date),
            )
            self.review()
        elif after == "withdraw":
            self.act(
                "withdraw",
                self.registrar(),
                self.when(self.days(1, 10), staff=False),
                note=self.rng.choice(C.WITHDRAW_NOTES),
            )
        else:
            self.close()

    def close(self):
        due = self.matter.due_date
        self.act("close", self.dispatcher(), self.when(on=due + timedelta(days=self.days(1, 4))))

    def review(self):
        if self.chance("stall_review", self.s.stall_p):
            return
        head = self.user(self.matter.review_unit, R.UNIT_HEAD)
        late = self.chance("late_review", 0.05)
        gap = self.rng.randint(32, 45) if late else self.days(10, 27)
        decision = self.pick("review_decision", {"uphold": 0.68, "change": 0.14, "redo": 0.18})
        self.act(
            "decide_review",
            head,
            self.when(gap, not_after=None if late else self.matter.due_date),
            decision=decision,
            note=C.REVIEW_NOTES[decision],
        )
        if decision == "redo":
            self.handling(self.matter.handling_unit, final=True)
            return
        can = self.matter.rereview_unit is not None
        after = self.pick("after_review", {"close": 1, "rereview": 0.4 if can else 0})
        if after == "rereview":
            self.act(
                "request_rereview",
                self.registrar(),
                self.when(self.days(3, 20), staff=False, not_after=self.matter.due_date),
            )
            self.rereview()
        else:
            self.close()

    def rereview(self):
        if self.chance("stall_rereview", self.s.stall_p):
            return
        head = self.user(self.matter.rereview_unit, R.UNIT_HEAD)
        if self.chance("hearing", 0.15):
            self.act("start_hearing", head, self.when(self.days(5, 12)), note=C.HEARING_NOTE)
            self.act("end_hearing", head, self.when(self.days(3, 10)), note="听证会已举行，恢复计时。")
        decision = self.pick("rereview_decision", {"uphold": 0.75, "change": 0.12, "redo": 0.13})
        self.act(
            "decide_rereview",
            head,
            self.when(self.days(8, 25), not_after=self.matter.due_date),
            decision=decision,
            note=C.REREVIEW_NOTES[decision],
        )
        if decision == "redo":
            self.handling(self.matter.handling_unit, final=True)


# ---------------------------------------------------------------- showcases


@dataclass(frozen=True)
class Showcase:
    label: str
    days_ago: int
    expect: str
    stop_after: tuple | None = None
    forced: dict = field(default_factory=dict)
    route: str = "district"
    kind: str = ""  # "collective", "accusation"


S = Status
SHOWCASES = (
    Showcase("待交办", 2, S.REGISTERED, ("register", 1)),
    Showcase("待交办·临期", 12, S.REGISTERED, ("register", 1)),
    Showcase("待交办·超期", 24, S.REGISTERED, ("register", 1), route="city"),
    Showcase("待受理", 5, S.DISPATCHED, ("forward", 1), {"dispatch_kind": "forward"}),
    Showcase("待受理·超期", 30, S.DISPATCHED, ("assign", 1), {"dispatch_kind": "assign"}, route="city"),
    Showcase("办理中", 12, S.HANDLING, ("accept", 1)),
    Showcase("办理中·临期", 50, S.HANDLING, ("accept", 1), route="city"),
    Showcase("办理中·超期", 80, S.HANDLING, ("accept", 1)),
    Showcase("办理中·已延期", 75, S.HANDLING, ("extend", 1), {"extend": True}),
    Showcase("管辖异议后重新交办", 10, S.HANDLING, ("accept", 1), {"on_dispatch": "dispute"}),
    Showcase("管辖异议退回", 6, S.REGISTERED, ("dispute", 1), {"on_dispatch": "dispute"}),
    Showcase("信访部门直接办理", 8, S.HANDLING, ("handle_directly", 1), {"intake": "direct"}, route="city"),
    Showcase("答复待审签", 20, S.REPLY_PENDING, ("submit_reply", 1)),
    Showcase("退回修改后再次提交", 20, S.REPLY_PENDING, ("submit_reply", 2), {"return": True}),
    Showcase("已答复·未评价", 10, S.REPLIED, ("approve_reply", 1), {"rate": False}),
    Showcase("已答复·满意", 12, S.REPLIED, ("rate", 1), {"rate": True, "rating": "satisfied"}),
    Showcase(
        "已答复·不满意", 12, S.REPLIED, ("rate", 1), {"rate": True, "rating": "unsatisfied"}, route="city"
    ),
    Showcase("复查中", 14, S.REVIEW_REQUESTED, ("request_review", 1), {"after_reply": "review"}),
    Showcase("复查中·超期", 60, S.REVIEW_REQUESTED, ("request_review", 1), {"after_reply": "review"}),
    Showcase(
        "已复查·维持",
        14,
        S.REVIEWED,
        ("decide_review", 1),
        {"after_reply": "review", "review_decision": "uphold"},
    ),
    Showcase(
        "复查责令重新办理",
        14,
        S.HANDLING,
        ("decide_review", 1),
        {"after_reply": "review", "review_decision": "redo"},
    ),
    Showcase(
        "复核中",
        15,
        S.REREVIEW_REQUESTED,
        ("request_rereview", 1),
        {"after_reply": "review", "review_decision": "change", "after_review": "rereview"},
    ),
    Showcase(
        "复核中·听证暂停计时",
        15,
        S.REREVIEW_REQUESTED,
        ("start_hearing", 1),
        {"after_reply": "review", "review_decision": "uphold", "after_review": "rereview", "hearing": True},
    ),
    Showcase(
        "复核听证后办结",
        150,
        S.CLOSED,
        None,
        {
            "after_reply": "review",
            "review_decision": "uphold",
            "after_review": "rereview",
            "hearing": True,
            "rereview_decision": "uphold",
        },
    ),
    Showcase(
        "复核变更后办结",
        200,
        S.CLOSED,
        None,
        {
            "after_reply": "review",
            "review_decision": "uphold",
            "after_review": "rereview",
            "rereview_decision": "change",
        },
    ),
    Showcase(
        "复核责令重新办理",
        30,
        S.HANDLING,
        ("decide_rereview", 1),
        {
            "after_reply": "review",
            "review_decision": "uphold",
            "after_review": "rereview",
            "rereview_decision": "redo",
        },
    ),
    Showcase("复查期满办结", 90, S.CLOSED, None, {"rate": False}),
    Showcase("评价后办结", 100, S.CLOSED, None, {"rate": True, "rating": "basically"}, route="city"),
    Showcase(
        "复查维持后期满办结", 150, S.CLOSED, None, {"after_reply": "review", "review_decision": "uphold"}
    ),
    Showcase("告知其他途径（信访部门）", 30, S.REFERRED, None, {"intake": "refer"}),
    Showcase("告知其他途径（承办单位）", 30, S.REFERRED, None, {"on_dispatch": "refer"}),
    Showcase("不予受理（信访部门）", 30, S.NOT_ACCEPTED, None, {"intake": "not_accept"}),
    Showcase("不予受理（承办单位）", 30, S.NOT_ACCEPTED, None, {"on_dispatch": "not_accept"}, route="city"),
    Showcase("交办前撤回", 30, S.WITHDRAWN, None, {"intake": "withdraw"}),
    Showcase("办理中撤回", 40, S.WITHDRAWN, None, {"withdraw_handling": True}),
    Showcase("集体访·办理中", 20, S.HANDLING, ("accept", 1), kind="collective"),
    Showcase("集体访·办结", 120, S.CLOSED, None, {"rate": True}, kind="collective"),
    Showcase("检举控告·纪委监委办理中", 20, S.HANDLING, ("accept", 1), kind="accusation"),
    Showcase("检举控告·办结", 100, S.CLOSED, None, {"rate": False}, kind="accusation", route="city"),
)


# ---------------------------------------------------------------- the generator


@contextmanager
def history_mode():
    """Huey in immediate mode with its in-memory queue while history is written (see module doc);
    its per-task log lines are held back, since every task finds nothing left to deliver. No 急事急报
    goes out for the history's matters."""
    from xinfang.assist import escalation

    before, huey_log = HUEY.immediate, logging.getLogger("huey")
    level = huey_log.level
    HUEY.immediate = True
    huey_log.setLevel(logging.WARNING)
    try:
        with escalation.paused():  # a history is loaded, nothing arrives now: no 急事急报
            yield
    finally:
        HUEY.immediate = before
        huey_log.setLevel(level)


class Generator:
    def __init__(
        self,
        city: City,
        *,
        matters: int,
        seed: int,
        now: datetime | None = None,
        progress=None,
        in_bulk=True,
        session_options=None,
        showcases=True,
        batch=BATCH,
    ):
        self.city = city
        self.in_bulk = in_bulk  # False: every act saved through the ORM (benchmarks/bench_demo.py)
        # options of the bulk sessions (xinfang/cases/plan.py), e.g. the benchmark loader's id ranges
        self.session_options = session_options or {}
        self.showcases = showcases
        self.batch = batch
        self.total = matters
        self.rng = random.Random(seed)
        self.progress = progress or (lambda done, total: None)
        self.calendar = current_calendar()
        now = now or clock.now()
        self.end = now - timedelta(minutes=2)
        self.warnings = []
        safe = self._safe_end()
        if safe is not None and safe < timezone.localdate(self.end):
            self.end = timezone.make_aware(datetime.combine(safe, time(23, 59)))
            self.warnings.append(
                f"工作日历只录入到{self.calendar.last_year}年，按工作日计算的期限无法超出该年，"
                f"演示事项只生成到{cn_date(safe)}。"
            )
        self.today = timezone.localdate(self.end)
        self.first_day = self.today - timedelta(days=730)
        self._prepare_categories()
        self.created = []  # (matter pk, story) of matters with named petitioners (for repeats)
        self._places = {}
        self.counts = {}

    # -- calendar

    def _safe_end(self):
        """Last day on which a new step can start, if the policy counts any step in working days."""
        rules = policy(settings.XINFANG_POLICY_SET)
        working = [
            p.days
            for step, p in rules.items()
            if p.working and step in PETITION_STEPS and step != "jurisdiction_dispute"
        ]
        if not working:
            return None
        return date(self.calendar.last_year, 12, 31) - timedelta(days=max(working) * 7 // 5 + 14)

    def calendar_knows(self, day: date) -> bool:
        return self.calendar.is_known(day)

    def workday_on_or_after(self, day: date) -> date:
        while True:
            if self.calendar.is_known(day):
                if self.calendar.is_workday(day):
                    return day
            elif day.weekday() < 5:
                return day
            day += timedelta(days=1)

    # -- categories and routes

    def _prepare_categories(self):
        leaves = {
            c.name: c
            for c in Category.objects.filter(parent__isnull=False, active=True).select_related("parent")
        }
        self.category = leaves
        self.leaf_options, weights = [], []
        for name, cat in leaves.items():
            top = cat.parent.name
            if name not in C.T and name not in C.ACCUSATIONS:
                continue
            siblings = sum(1 for c in leaves.values() if c.parent_id == cat.parent_id)
            self.leaf_options.append(cat)
            weights.append(TOP_WEIGHTS.get(top, 1) / siblings * LEAF_BOOST.get(name, 1.0))
        if not self.leaf_options:
            raise RuntimeError("没有可用于演示的内容分类：请先执行 xinfang migrate 导入全国分类。")
        self.leaf_cumulative = list(accumulate(weights))
        self.samplers = {}
        for profile in {SEASON.get(c.name, "flat") for c in self.leaf_options}:
            self.samplers[profile] = DaySampler.build(profile, self.first_day, self.today)
        self.district_weights = [d.spec.weight for d in self.city.districts]

    def route(self, story: Story, avoid=None) -> Unit:
        """The unit a matter is forwarded or assigned to."""
        cat = story.category
        d = story.district
        city = self.city
        if story.complained_unit is not None:
            jiwei = city.units["jiwei"] if story.bureau == city.bureau else d.units["jiwei"]
            return jiwei if jiwei != avoid else city.units["jiwei"]
        options = []
        if story.bureau == city.bureau:
            unit = city.routes.get(cat.pk)
            if story.route != "city" and (story.route == "district" or self.rng.random() < 0.3):
                options.append(d.bureau)
            if unit is not None:
                options.append(unit)
        else:
            if cat.pk in city.township_categories:
                options.append(story.township_unit)
            options.extend(d.routes.get(cat.pk, []))
            if not options and cat.pk in city.routes:
                options.append(city.routes[cat.pk])
        options = [u for u in options if u != avoid and u != story.bureau]
        if not options:
            fallback = [story.township_unit, d.bureau, city.routes.get(cat.pk), d.units["minzheng"]]
            options = [u for u in fallback if u is not None and u != avoid and u != story.bureau]
        if story.fast:
            return options[0]
        return self.rng.choice(options)

    # -- drawing a matter

    def draw_category(self) -> Category:
        return self.leaf_options[bisect(self.leaf_cumulative, self.rng.random() * self.leaf_cumulative[-1])]

    def draw_place(self, district=None):
        rng = self.rng
        if district is None:
            district = rng.choices(self.city.districts, weights=self.district_weights)[0]
        township_division, township_unit = rng.choice(district.townships)
        places = self.city_places(township_division)
        division = township_division if rng.random() < 0.12 or not places else rng.choice(places)
        return district, township_division, township_unit, division

    def city_places(self, township_division):
        if township_division.pk not in self._places:
            self._places[township_division.pk] = list(township_division.children.all())
        return self._places[township_division.pk]

    def story(
        self,
        received: datetime,
        category: Category,
        *,
        district=None,
        township=None,
        kind="",
        channel=None,
        route="",
        composed=None,
        nature=None,
        fast=False,
    ) -> Story:
        rng = self.rng
        if township is None:
            district, township_division, township_unit, division = self.draw_place(district)
        else:
            township_division, township_unit = township
            places = self.city_places(township_division)
            division = rng.choice(places) if places else township_division
        top = category.parent.name
        if channel is None:
            channel = weighted(rng, CHANNELS)
        if nature is None:
            if top == "纪检监察" or kind == "accusation":
                nature = Nature.ACCUSATION
            elif rng.random() < 0.08 and top in C.ADVICE:
                nature = Nature.ADVICE
            else:
                nature = Nature.APPEAL
        if nature == Nature.ACCUSATION and category.parent.name != "纪检监察":
            category = self.category[rng.choice(list(C.ACCUSATIONS))]
            top = "纪检监察"
        # where it is registered
        if route == "city" or channel in (
            Channel.UPPER_FORWARDED,
            Channel.UPPER_ASSIGNED,
            Channel.LEADER_RECEPTION,
        ):
            bureau = self.city.bureau
        elif route == "district":
            bureau = district.bureau
        else:
            bureau = (
                self.city.bureau
                if rng.random() < (0.4 if channel == Channel.ONLINE else 0.2)
                else district.bureau
            )
        collective = kind == "collective" or (
            not fast
            and nature == Nature.APPEAL
            and channel in (Channel.VISIT, Channel.LEADER_RECEPTION)
            and rng.random() < (0.25 if top in COLLECTIVE_TOPS else 0.05)
        )
        if collective and channel not in (Channel.VISIT, Channel.LEADER_RECEPTION):
            channel = Channel.VISIT
        complained_unit, complained_person, extra = None, "", {}
        if nature == Nature.ACCUSATION and (kind == "accusation" or rng.random() < 0.85):
            if bureau == self.city.bureau:
                pool = [u for k, u in self.city.units.items() if k not in ("jiwei",)]
            else:
                pool = [u for k, u in district.units.items() if k not in ("jiwei",)]
                pool += [u for _d, u in district.townships]
            complained_unit = pool[0] if fast else rng.choice(pool)
            complained_person = rng.choice(C.SURNAMES_COMMON) + "某"
            extra = {"unit": complained_unit.name, "person": complained_person}
        anonymous = (
            not collective
            and channel not in (Channel.VISIT, Channel.LEADER_RECEPTION)
            and rng.random() < (0.4 if nature == Nature.ACCUSATION else 0.03)
            and not fast
        )
        slots = C.Slots(
            rng,
            place=division.name,
            township=township_division.name,
            district=district.spec.name,
            received=timezone.localdate(received),
            extra=extra,
        )
        category, template = pick_template(rng, nature, top, category, self.category)
        headcount = 1
        count = 1
        if collective:
            headcount = rng.randint(6, 80)
            slots["headcount"] = str(headcount)
            count = rng.randint(1, MAX_REPRESENTATIVES)
        opening = "collective" if collective else "anonymous" if anonymous else "person"
        text = composed or C.compose(slots, template, opening_kind=opening, advice=nature == Nature.ADVICE)
        request_type = self.request_type(nature)
        people = []
        if not anonymous:
            people = C.petitioners(
                rng,
                count=count,
                area6=district.division.code[:6],
                received=timezone.localdate(received),
                district=district.spec.name,
                township=township_division.name,
                place=division.name,
                representatives=collective,
            )
        age = (self.today - timezone.localdate(received)).days
        return Story(
            received=received,
            category=category,
            top=top,
            district=district,
            division=division,
            township_unit=township_unit,
            bureau=bureau,
            channel=channel,
            nature=nature,
            request_type=request_type,
            template=text,
            collective=collective,
            headcount=headcount,
            anonymous=anonymous,
            complained_unit=complained_unit,
            complained_person=complained_person,
            petitioners=people,
            fast=fast,
            stall_p=RECENT_STALL if age <= RECENT_DAYS else 0.002,
            route=route,
        )

    def request_type(self, nature):
        return weighted(self.rng, REQUEST_TYPES[nature])

    def received_at(self, day: date, channel) -> datetime:
        rng = self.rng
        moment = timezone.make_aware(datetime.combine(day, received_clock(rng, channel)))
        latest = self.end - timedelta(minutes=10)
        if moment > latest:  # received today, but not in the future
            moment = latest - timedelta(minutes=rng.randint(0, 120))
        return moment

    # -- surges: one township, one topic, a couple of weeks

    def surges(self):
        c = self.city
        spring = max((d for d in SPRING_FESTIVAL.values() if self.first_day < d <= self.today), default=None)
        plans = []
        if spring:
            plans.append(
                (
                    "工资福利",
                    c.districts[2],
                    c.districts[2].townships[1],
                    spring - timedelta(days=28),
                    ("港兴建筑劳务公司拖欠{n}名工人工资", C.T["工资福利"][0][1], C.T["工资福利"][0][2]),
                    {"company": "青溪港兴建筑劳务有限公司", "project": "临港物流园三期工程"},
                )
            )
        summer = date(self.today.year if self.today.month > 8 else self.today.year - 1, 7, 8)
        plans.append(
            (
                "噪声污染",
                c.districts[1],
                c.districts[1].townships[1],
                summer,
                C.T["噪声污染"][0],
                {"project": "锦绣华庭三期", "night": "凌晨两三点"},
            )
        )
        recent = self.today - timedelta(days=40)
        plans.append(
            (
                "住房保障与房地产",
                c.districts[0],
                c.districts[0].townships[1],
                recent,
                C.T["住房保障与房地产"][0],
                {"estate": "滨江御府", "developer": "青溪溪源置业有限公司"},
            )
        )
        return [p for p in plans if p[0] in self.category and p[3] >= self.first_day]

    # -- run

    def plan(self):
        """All stories to tell, in order of receipt: showcases, surges, the rest at random."""
        rng = self.rng
        stories = []
        district1 = self.city.districts[0]
        for sc in SHOWCASES[: self.total] if self.showcases else ():
            day = self.today - timedelta(days=sc.days_ago)
            if sc.forced.get("on_dispatch") == "dispute":
                # the 5-working-day dispute window must lie in a year whose holidays are known
                last_known = date(self.calendar.last_year, 12, 31)
                day = min(day, last_known - timedelta(days=20))
            if sc.kind == "accusation":
                category = self.category["违反廉洁纪律"]
            else:
                pool = [
                    c
                    for c in self.leaf_options
                    if c.name in C.T
                    and c.parent.name not in ("纪检监察",)
                    and c.pk in self.city.township_categories
                ]
                category = rng.choice(pool)
            channel = Channel.VISIT if sc.kind == "collective" else Channel.LETTER
            story = self.story(
                timezone.make_aware(datetime.combine(day, time(9, 30))),
                category,
                district=district1,
                kind=sc.kind,
                channel=channel,
                route=sc.route,
                fast=True,
            )
            story.forced = dict(sc.forced)
            story.stop_after = sc.stop_after
            story.expect = sc.expect
            story.label = sc.label
            stories.append(story)
        remaining = self.total - len(stories)
        repeats = round(remaining * 0.02)
        surge_plans = self.surges()
        surge_each = max(1, round(remaining * 0.005)) if remaining >= 200 else 0
        for leaf, district, township, start, template, values in surge_plans:
            for _ in range(min(surge_each, max(0, remaining - repeats))):
                day = start + timedelta(days=rng.randint(0, 13))
                if day > self.today:
                    continue
                channel = weighted(rng, {Channel.VISIT: 3, Channel.PHONE: 3, Channel.ONLINE: 4})
                story = self.story(
                    self.received_at(day, channel),
                    self.category[leaf],
                    district=district,
                    township=township,
                    channel=channel,
                    composed=self._surge_text(template, values, district, township, day),
                    nature=Nature.APPEAL,
                )
                stories.append(story)
                remaining -= 1
        for _ in range(max(0, remaining - repeats)):
            stories.append(self.ordinary_story())
        stories.sort(key=lambda s: s.received)
        return stories, repeats

    def ordinary_story(self) -> Story:
        category = self.draw_category()
        day = self.samplers[SEASON.get(category.name, "flat")].draw(self.rng)
        channel = weighted(self.rng, CHANNELS)
        return self.story(self.received_at(day, channel), category, channel=channel)

    def _surge_text(self, template, values, district, township, day):
        slots = C.Slots(
            self.rng,
            place=self.rng.choice(self.city_places(township[0]) or [township[0]]).name,
            township=township[0].name,
            district=district.spec.name,
            received=day,
            extra=values,
        )
        return C.compose(slots, template)

    def run(self):
        stories, repeats = self.plan()
        done = 0
        with history_mode():
            for i in range(0, len(stories), self.batch):
                batch = stories[i : i + self.batch]
                self.tell_in_bulk(batch)
                done += len(batch)
                self.progress(done, self.total)
            batch = self.repeat_stories(repeats)
            self.tell_in_bulk(batch)
            done += len(batch)
            self.progress(done, self.total)
        return done

    def tell_in_bulk(self, stories):
        """Each story through the write path, written in one bulk session (xinfang/cases/plan.py)."""
        if not self.in_bulk:
            for i in range(0, len(stories), 100):
                with transaction.atomic():
                    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                    for story in stories[i : i + 100]:
                        self.tell(story)
                    Notification.objects.filter(pk__gt=before).update(state=Notification.State.SENT)
            return
        options = {"audit_target": "demo", "audit_detail": {"action": "demo"}, "history": True}
        with bulk(**(options | self.session_options)):
            for story in stories:
                self.tell(story)

    def tell(self, story: Story) -> int:
        matter = Run(self, story).run()
        if story.expect is not None and matter.status != story.expect:
            raise RuntimeError(
                f"演示生成器错误：示例事项「{story.label}」应处于「{Status(story.expect).label}」，"
                f"实际为「{matter.get_status_display()}」。"
            )
        self.counts[matter.status] = self.counts.get(matter.status, 0) + 1
        if story.petitioners and not story.collective and story.repeat_of is None:
            self.created.append((matter.pk, story))
        return matter.pk

    # -- repeat petitions (same petitioner, same matter)

    def repeat_stories(self, n):
        """Repeat petitions about earlier matters: after a matter closed by re-review (not accepted
        again, art. 36), while it is still being handled below (filed upward: not accepted, art.
        19), or after it closed without review (a new round)."""
        if n <= 0:
            return []
        by_pk = {pk: story for pk, story in self.created}
        ids = sorted(by_pk)
        originals = {  # read in slices: one IN list of a million ids exceeds SQLite's variables
            m.pk: m
            for i in range(0, len(ids), 10_000)
            for m in Matter.objects.filter(pk__in=ids[i : i + 10_000])
        }
        final = [m for m in originals.values() if m.status == S.CLOSED and m.rereview_decided_on]
        open_below = [
            m
            for m in originals.values()
            if m.registering_unit_id != self.city.bureau.pk and m.status in (S.HANDLING, S.DISPATCHED)
        ]
        closed = [m for m in originals.values() if m.status == S.CLOSED and not m.rereview_decided_on]
        stories = []
        for i in range(n):
            pool, kind = [(final, "final"), (open_below, "open"), (closed, "again")][i % 3]
            if not pool:
                pool, kind = (
                    closed or open_below or final,
                    "again" if closed else "open" if open_below else "final",
                )
            if not pool:
                stories.append(self.ordinary_story())
                continue
            original = self.rng.choice(pool)
            if kind == "final":
                first = original.closed_on + timedelta(days=5)
                last = original.closed_on + timedelta(days=90)
            elif kind == "open":
                first = timezone.localdate(original.received_at) + timedelta(days=15)
                last = self.today - timedelta(days=1)
            else:
                first = original.closed_on + timedelta(days=10)
                last = original.closed_on + timedelta(days=120)
            last = min(last, self.today - timedelta(days=1))
            if first > last:
                stories.append(self.ordinary_story())  # too recent to be repeated: an ordinary matter
                continue
            day = first + timedelta(days=self.rng.randint(0, (last - first).days))
            stories.append(self._repeat_story(original, by_pk[original.pk], kind, day))
        return stories

    def _repeat_story(self, original: Matter, base: Story, kind: str, day: date) -> Story:
        channel = weighted(
            self.rng, {Channel.VISIT: 4, Channel.PHONE: 3, Channel.ONLINE: 3, Channel.LETTER: 2}
        )
        title, text, request = base.template
        template = (
            f"再次反映：{title}"[:200],
            f"我于{cn_date(timezone.localdate(original.received_at))}反映的问题至今没有得到解决，现再次反映。{text}",
            request,
        )
        story = Story(
            received=self.received_at(day, channel),
            category=base.category,
            top=base.top,
            district=base.district,
            division=base.division,
            township_unit=base.township_unit,
            bureau=self.city.bureau if kind == "open" else base.bureau,
            channel=channel,
            nature=base.nature,
            request_type=base.request_type,
            template=template,
            petitioners=[dict(p) for p in base.petitioners],
            repeat_of=original,
            stall_p=RECENT_STALL if (self.today - day).days <= RECENT_DAYS else 0.002,
        )
        if kind == "open":
            story.forced = {"intake": "not_accept"}
            story.not_accept_note = C.REPEAT_OPEN_NOTE
        return story
