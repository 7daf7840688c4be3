"""Fast bulk loader for the load benchmark: the demo city and N consistent matters.

    XINFANG_DATA_DIR=/tmp/xf-bench-x .venv/bin/python benchmarks/bulk_matters.py --matters 1000000 \\
        [--workers 2] [--batch 2000] [--seed 1] [--sessions FILE] [--sessions-per-account 4]

The database must be migrated (`xinfang migrate`). The loader builds the demo city (divisions, units,
accounts: xinfang.demo.city.build_city) and then writes matters in batches, one transaction per
batch of `--batch` matters, in `--workers` processes (each its own range of matter ids). It does
not go through services.register_matter / perform (far too slow for a million matters), so it
reproduces what that write path stores, field by field:

* Matter: ids in order of receipt over the last two years (the demo generator's day weights:
  weekends, holidays, growth), division / category / channel / nature / intake details as in the
  demo, registered at the city or a district bureau, routed like the demo (township, district or
  city unit; 检举控告 to the 纪委监委 with the accused unit and person set). Each matter then lives a
  simplified story day by day — dispatch, accept, (extend), reply, approve, rate, review,
  re-review, close; or refer / not accepted / withdrawn — that stops at today, so old matters are
  closed and recent ones open, with a few stalled ones that are 临期 or 超期. Status, holder_unit,
  handling_unit, review units, dates, reply, rating, due_step / due_date / warn_date (computed
  with the product's deadline service and policy set, as services.recompute_deadline does),
  reminded_level (as the sweeper would have set it) and version (= number of events) agree.
* MatterEvent: one row per step, with the actor, actor unit, from/to status, data, public flag and
  on_time as the write path records them (matters whose petitioner window ran out are closed by
  the system, as the sweeper does).
* MatterUnit: the registering unit and every unit the matter was given to (属事 scoping).
* Petitioner: one per matter; name, ID number, phone and address go through EncryptedTextField's
  get_db_prep_save, so they are encrypted exactly as on save() and as QuerySet.bulk_create does;
  the keyed search hashes are filled with the model's own id_number_hash / phone_hash, as
  Petitioner.save() does (bulk_create does not call save(), so a bulk insert must).

How rows are written (xinfang/core/bulk.py, also the 台账 import's write path): every value is
converted by its model field's get_db_prep_save, as bulk_create does, but the INSERT text is built
once and the rows go in with executemany (SQLite) or COPY (PostgreSQL). bulk_create itself spends most of its time building SQL
for a 60-column model, 18 rows per statement on SQLite: about 1 ms per matter with its events,
a quarter of an hour for a million. `--orm` inserts the same rows through bulk_create, to compare.

Not written: audit rows for the history (the audit log starts empty), notifications, attachments,
pauses (no hearings), repeat petitions. Afterwards the matter id sequence is reset (PostgreSQL),
PostgreSQL is VACUUM ANALYZEd as autovacuum would have done (SQLite gets no statistics: the
product never runs ANALYZE; --analyze yes to compare), a sample of matters is checked for
consistency, and — with --sessions — signed-in sessions are created for the benchmark accounts
(see BENCH_ACCOUNTS) and written to a JSON file for the locust scenario.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import sys
import time
import zoneinfo
from bisect import bisect
from datetime import date, datetime, timedelta
from datetime import time as dtime
from itertools import accumulate
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from xinfang.core import crypto  # noqa: E402
from xinfang.core.bulk import BulkInsert  # noqa: E402
from xinfang.deadlines.service import deadline_for  # noqa: E402
from xinfang.demo import DEFAULT_PASSWORD  # noqa: E402
from xinfang.demo import content as C  # noqa: E402
from xinfang.demo.city import build_city, city_exists, load_city  # noqa: E402
from xinfang.demo.generate import (  # noqa: E402
    CHANNELS,
    LEAF_BOOST,
    REQUEST_TYPES,
    TOP_WEIGHTS,
    DaySampler,
    pick_template,
    received_clock,
    step_clock,
)
from xinfang.org.models import Role, Unit, User  # noqa: E402
from xinfang.petitions.choices import (  # noqa: E402
    Channel,
    DispatchKind,
    Nature,
    ReferralChannel,
    Status,
)
from xinfang.petitions.models import (  # noqa: E402
    CODE_ALPHABET,
    CODE_RANDOM_LENGTH,
    Category,
    Matter,
    MatterEvent,
    MatterUnit,
    Petitioner,
    code_check_char,
    id_number_hash,
    phone_hash,
)
from xinfang.petitions.workflow import (  # noqa: E402
    PETITIONER_WINDOWS,
    STEP_OF_STATUS,
    TRANSITIONS,
    completed_step,
    step_of,
)

R = Role
S = Status

# Accounts the locust scenario signs in as: registrars, dispatchers and handlers at city, district
# (and county) and township level, so that every scoping rule is exercised.
BENCH_ACCOUNTS = (
    "city_registrar",
    "city_dispatcher",
    "zhujian_handler",
    "renshe_handler",
    "district1_registrar",
    "district1_dispatcher",
    "district2_dispatcher",
    "district1_zhujian_handler",
    "district4_nongye_handler",
    "district1_town1_handler",
    "district2_town2_handler",
    "district4_town1_handler",
)

HISTORY_DAYS = 730
RECENT_DAYS = 100
TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
CODE_SPACE = len(CODE_ALPHABET) ** CODE_RANDOM_LENGTH
SYSTEM_CLOSE_NOTE = "申请期限届满，信访人未申请复查（复核），事项办结。"


def weighted(rng, options: dict):
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


class Picker:
    """A fixed weighted choice with its cumulative weights computed once."""

    def __init__(self, options: dict):
        self.keys = [str(k) for k in options]
        self.cum = list(accumulate(options.values()))

    def __call__(self, rng):
        return self.keys[bisect(self.cum, rng.random() * self.cum[-1])]


PICK_CHANNEL = Picker(CHANNELS)
PICK_REQUEST_TYPE = {nature: Picker(weights) for nature, weights in REQUEST_TYPES.items()}
PICK_OUTCOME = Picker({"explain": 0.42, "support": 0.4, "reject": 0.18})
PICK_RATING = Picker({"satisfied": 0.68, "basically": 0.2, "unsatisfied": 0.12})


class Plan:
    """Everything a worker needs, read once from the database before the workers fork."""

    def __init__(self, seed: int):
        self.seed = seed
        self.now = timezone.localtime(timezone.now() - timedelta(minutes=2), TZ)
        self.today = self.now.date()
        self.first_day = self.today - timedelta(days=HISTORY_DAYS)
        self.city = city = load_city()
        self.units = {u.pk: u for u in Unit.objects.all()}
        leaves = {
            c.name: c
            for c in Category.objects.filter(parent__isnull=False, active=True).select_related("parent")
        }
        self.category = leaves
        self.leaf_options, weights = [], []
        for name, cat in leaves.items():
            if name not in C.T and name not in C.ACCUSATIONS:
                continue
            siblings = sum(1 for c in leaves.values() if c.parent_id == cat.parent_id)
            self.leaf_options.append(cat)
            weights.append(TOP_WEIGHTS.get(cat.parent.name, 1) / siblings * LEAF_BOOST.get(name, 1.0))
        self.leaf_cumulative = list(accumulate(weights))
        self.samplers = {"flat": DaySampler.build("flat", self.first_day, self.today)}
        self.first_id, self.n = 1, 1  # set by load()
        self.district_cum = list(accumulate(d.spec.weight for d in city.districts))
        self._deadlines = {}
        self.places = {div.pk: list(div.children.all()) for d in city.districts for div, _unit in d.townships}
        # The policy set is chosen per division by the write path; the demo divisions name none.
        self.policy_set = {}
        for d in city.districts:
            for div, _unit in d.townships:
                for place in [div, *self.places[div.pk]]:
                    self.policy_set[place.pk] = place.effective_policy_set() or settings.XINFANG_POLICY_SET
        self.complained_pool = {
            "city": [u for k, u in city.units.items() if k != "jiwei"],
            **{
                d.spec.key: [u for k, u in d.units.items() if k != "jiwei"] + [u for _d, u in d.townships]
                for d in city.districts
            },
        }
        code_rng = random.Random(f"codes:{seed}")
        self.code_mul = code_rng.randrange(10**15, CODE_SPACE) | 1
        while self.code_mul % 31 == 0:
            self.code_mul += 2
        self.code_add = code_rng.randrange(CODE_SPACE)

    def received_day(self, fraction: float) -> date:
        """The day at `fraction` (0..1) of all receipts: matter ids follow the order of receipt, as
        in a real database, with the demo generator's weights (weekends, holidays, growth)."""
        sampler = self.samplers["flat"]
        return sampler.days[
            min(len(sampler.days) - 1, bisect(sampler.cumulative, fraction * sampler.cumulative[-1]))
        ]

    def deadline(self, step, start, policy_set, extension):
        """deadline_for(...), remembered: a million matters share a few thousand distinct inputs."""
        key = (step, start, policy_set, extension)
        found = self._deadlines.get(key)
        if found is None:
            found = self._deadlines[key] = deadline_for(step, start, policy_set, extension_days=extension)
        return found

    def parent(self, unit):
        return self.units.get(unit.parent_id) if unit is not None and unit.parent_id else None

    def code(self, matter_id: int) -> str:
        """A valid 查询码, unique per matter id (an affine bijection of the code space)."""
        n = (matter_id * self.code_mul + self.code_add) % CODE_SPACE
        chars = []
        for _ in range(CODE_RANDOM_LENGTH):
            n, r = divmod(n, 31)
            chars.append(CODE_ALPHABET[r])
        body = "".join(chars)
        return body + code_check_char(body)


class Story:
    """One matter's simplified life, applied the way services.perform applies transitions."""

    def __init__(self, plan: Plan, rng: random.Random, matter_id: int):
        self.p, self.rng, self.id = plan, rng, matter_id
        self.events = []
        self.links = []
        self.m = {}

    # -- drawing what the matter is about

    def draw(self):
        p, rng, city = self.p, self.rng, self.p.city
        category = p.leaf_options[bisect(p.leaf_cumulative, rng.random() * p.leaf_cumulative[-1])]
        day = p.received_day((self.id - p.first_id + rng.random()) / p.n)
        district = city.districts[bisect(p.district_cum, rng.random() * p.district_cum[-1])]
        township_div, township_unit = rng.choice(district.townships)
        places = p.places[township_div.pk]
        division = township_div if rng.random() < 0.12 or not places else rng.choice(places)
        channel = PICK_CHANNEL(rng)
        top = category.parent.name
        if top == "纪检监察":
            nature = Nature.ACCUSATION
        elif rng.random() < 0.08 and top in C.ADVICE:
            nature = Nature.ADVICE
        else:
            nature = Nature.APPEAL
        if channel in (Channel.UPPER_FORWARDED, Channel.UPPER_ASSIGNED, Channel.LEADER_RECEPTION):
            bureau = city.bureau
        else:
            share = 0.4 if channel == Channel.ONLINE else 0.2
            bureau = city.bureau if rng.random() < share else district.bureau
        collective = (
            nature == Nature.APPEAL
            and channel in (Channel.VISIT, Channel.LEADER_RECEPTION)
            and rng.random() < 0.08
        )
        complained_unit, complained_person, extra = None, "", {}
        if nature == Nature.ACCUSATION and rng.random() < 0.85:
            pool = p.complained_pool["city" if bureau is city.bureau else district.spec.key]
            complained_unit = rng.choice(pool)
            complained_person = rng.choice(C.SURNAMES_COMMON) + "某"
            extra = {"unit": complained_unit.name, "person": complained_person}
        slots = C.Slots(
            rng,
            place=division.name,
            township=township_div.name,
            district=district.spec.name,
            received=day,
            extra=extra,
        )
        category, template = pick_template(rng, nature, top, category, p.category)
        headcount = rng.randint(6, 80) if collective else 1
        if collective:
            slots["headcount"] = str(headcount)
        title, text, request = C.compose(
            slots,
            template,
            opening_kind="collective" if collective else "person",
            advice=nature == Nature.ADVICE,
        )
        request_type = PICK_REQUEST_TYPE[nature](rng)
        received = datetime.combine(day, received_clock(rng, channel), tzinfo=TZ)
        latest = p.now - timedelta(minutes=10)
        if received > latest:
            received = latest - timedelta(minutes=rng.randint(0, 120))
        leader_name = upper_reference = ""
        upper_due_date = None
        if channel == Channel.LEADER_RECEPTION:  # the form requires the receiving leader
            leader_name = rng.choice(C.SURNAMES_COMMON) + rng.choice(
                ["某某（副市长）", "某某（副区长）", "某某（局长）"]
            )
        elif channel in (Channel.UPPER_FORWARDED, Channel.UPPER_ASSIGNED):  # and the upper level's number
            upper_reference = f"示信转〔{day.year}〕{rng.randint(1, 9999)}号"
            if channel == Channel.UPPER_ASSIGNED:
                upper_due_date = day + timedelta(days=60)
        self.category, self.district, self.township_unit = category, district, township_unit
        self.bureau, self.complained_unit = bureau, complained_unit
        self.stall_p = 0.05 if (p.today - received.date()).days <= RECENT_DAYS else 0.002
        self.m = dict(
            id=self.id,
            code=p.code(self.id),
            channel=channel,
            received_at=received,
            title=title,
            content=text,
            request=request,
            nature=nature,
            request_type=request_type,
            division_id=division.pk,
            category_id=category.pk,
            complained_unit_id=complained_unit.pk if complained_unit else None,
            complained_person=complained_person,
            is_collective=collective,
            headcount=headcount,
            anonymous=False,
            leader_name=leader_name,
            upper_reference=upper_reference,
            upper_due_date=upper_due_date,
            status=S.REGISTERED,
            registered_by_id=None,
            registering_unit_id=bureau.pk,
            holder_unit_id=bureau.pk,
            handling_unit_id=None,
            dispatch_kind="",
            dispatched_on=None,
            referral_channel="",
            accepted_on=None,
            extension_days=0,
            extension_reason="",
            reply_outcome="",
            resolution="",
            reply_text="",
            reply_basis="",
            reply_delivered_on=None,
            rating="",
            rated_on=None,
            rating_due=None,
            review_unit_id=None,
            review_requested_on=None,
            review_decision="",
            review_decided_on=None,
            rereview_unit_id=None,
            rereview_requested_on=None,
            rereview_decision="",
            rereview_decided_on=None,
            closed_on=None,
            repeat_of_id=None,
            finality_flag=False,
            personal_data_removed_on=None,
            policy_set=p.policy_set[division.pk],
            due_step="",
            due_date=None,
            warn_date=None,
            due_provisional=False,
            step_started_on=received.date(),
            clock_paused=False,
            reminded_level=0,
            version=1,
        )
        self.petitioner = {
            "name": C.petitioner_name(rng),
            "id_number": (C.id_number(rng, district.division.code[:6], day) if rng.random() < 0.85 else ""),
            "phone": C.phone(rng) if rng.random() < 0.9 else "",
            "address": C.address(rng, district.spec.name, township_div.name, division.name),
            "is_representative": collective,
        }

    # -- helpers

    def user(self, unit, role):
        return self.p.city.user(unit, role)

    def registrar(self):
        return self.p.city.user(self.bureau, R.REGISTRAR, self.rng)

    def dispatcher(self):
        return self.user(self.bureau, R.DISPATCHER)

    def day_after(self, gap: int, staff=True):
        """The day `gap` days after the last event (weekends skipped for staff), or None if that
        is today or later: the story has reached today and the matter stays where it is."""
        day = self.t.date() + timedelta(days=gap)
        if staff:
            while day.weekday() >= 5:
                day += timedelta(days=1)
        return day if day < self.p.today else None

    def moment(self, day, staff=True):
        rng = self.rng
        at = datetime.combine(day, step_clock(rng, staff), tzinfo=TZ)
        if at <= self.t:
            at = self.t + timedelta(minutes=rng.randint(5, 90))
        return at

    def recompute(self):
        m = self.m
        step = STEP_OF_STATUS.get(m["status"])
        if step is None:
            m.update(due_step="", due_date=None, warn_date=None, due_provisional=False, clock_paused=False)
            return
        extension = m["extension_days"] if step == "handling" else 0
        d = self.p.deadline(step, m["step_started_on"], m["policy_set"], extension)
        m.update(due_step=step, due_date=d.due, warn_date=d.warn_from, due_provisional=d.provisional)

    def act(self, action, actor, at, *, target=None, note="", data=None, link=None, step_start=None):
        """What services.perform stores for one transition (after its APPLY function ran)."""
        m = self.m
        t = TRANSITIONS[action]
        from_status, old_due = m["status"], m["due_date"]
        target = target or (t.targets[0] if t.targets[0] is not None else from_status)
        m["status"] = target
        day = at.date()
        if step_of(target) != step_of(from_status):
            m["step_started_on"] = step_start or day
            m["reminded_level"] = 0
        if target != from_status or action == "extend":
            self.recompute()
        done = completed_step(t, from_status, target)
        facts = {"step": done, "due_on": None, "unit_id": None, "on_time": None}
        if done:
            # The loader's actors belong to the unit responsible for the step (the product
            # records the holder unit, which an actor of a sub-unit also acts for).
            facts.update(due_on=old_due, unit_id=actor.unit_id, on_time=day <= old_due if old_due else None)
        m["version"] += 1
        if link is not None and link.pk not in self.links:
            self.links.append(link.pk)
        self.event(action, from_status, target, actor, at, note, data or {}, t.public, facts)
        self.t = at

    def event(self, action, from_status, to_status, actor, at, note, data, public, facts):
        self.events.append(
            dict(
                matter_id=self.id,
                action=action,
                from_status=from_status,
                to_status=to_status,
                actor_id=actor.pk if actor else None,
                actor_unit_id=actor.unit_id if actor else None,
                at=at,
                note=note,
                data=data,
                public=public,
                **facts,
            )
        )

    def stalls(self):
        return self.rng.random() < self.stall_p

    # -- the story

    def run(self):
        self.draw()
        rng, m = self.rng, self.m
        delay = {Channel.LETTER: (1, 4), Channel.ONLINE: (0, 1), Channel.PHONE: (0, 1)}.get(
            m["channel"], (0, 0)
        )
        self.t = m["received_at"]
        registrar = self.registrar()
        reg_day = self.day_after(rng.randint(*delay))
        at = self.moment(reg_day) if reg_day else m["received_at"] + timedelta(minutes=rng.randint(1, 9))
        m["registered_by_id"] = registrar.pk
        self.recompute()
        self.links.append(self.bureau.pk)
        self.event(
            "register",
            "",
            S.REGISTERED,
            registrar,
            at,
            "",
            {"channel": m["channel"], "repeat_of": None},
            True,
            {"step": "", "due_on": None, "unit_id": None, "on_time": None},  # registering completes no step
        )
        self.t = at
        try:
            self.intake()
        except StopIteration:
            pass
        self.finish()

    def next_day(self, lo, hi, staff=True):
        day = self.day_after(self.rng.randint(lo, hi), staff)
        if day is None:
            raise StopIteration
        return day

    def intake(self):
        rng = self.rng
        options = {"dispatch": 0.85, "direct": 0.05, "refer": 0.05, "not_accept": 0.02, "withdraw": 0.01}
        options["stall"] = self.stall_p
        if self.complained_unit is not None:
            options.update(direct=0, refer=0)
        choice = weighted(rng, options)
        if choice == "stall":
            return
        day = self.next_day(0, 6)
        if choice == "withdraw":
            self.withdraw(day)
        elif choice == "refer":
            channel = C.REFERRAL_BY_CATEGORY.get(self.category.name, "other")
            self.m["referral_channel"] = channel
            self.m["closed_on"] = day
            self.act(
                "refer",
                self.dispatcher(),
                self.moment(day),
                note=C.REFERRALS[channel],
                data={"channel": ReferralChannel(channel).label},
            )
        elif choice == "not_accept":
            self.m["closed_on"] = day
            self.act("not_accept", self.dispatcher(), self.moment(day), note=rng.choice(C.NOT_ACCEPT_NOTES))
        elif choice == "direct":
            self.m.update(
                handling_unit_id=self.bureau.pk,
                dispatch_kind=DispatchKind.DIRECT,
                dispatched_on=day,
                accepted_on=day,
            )
            self.act("handle_directly", self.dispatcher(), self.moment(day))
            self.handling(self.bureau)
        else:
            self.dispatch(day)

    def withdraw(self, day):
        self.m["closed_on"] = day
        self.act(
            "withdraw",
            self.registrar(),
            self.moment(day, staff=False),
            note=self.rng.choice(C.WITHDRAW_NOTES),
        )

    def route(self):
        rng, city, d = self.rng, self.p.city, self.district
        cat = self.category.pk
        if self.complained_unit is not None:
            return city.units["jiwei"] if self.bureau is city.bureau else d.units["jiwei"]
        options = []
        if self.bureau is city.bureau:
            if rng.random() < 0.3:
                options.append(d.bureau)
            if cat in city.routes:
                options.append(city.routes[cat])
        else:
            if cat in city.township_categories:
                options.append(self.township_unit)
            options.extend(d.routes.get(cat, []))
            if not options and cat in city.routes:
                options.append(city.routes[cat])
        options = [u for u in options if u is not self.bureau]
        if not options:
            fallback = [self.township_unit, d.bureau, city.routes.get(cat), d.units["minzheng"]]
            options = [u for u in fallback if u is not None and u is not self.bureau]
        return rng.choice(options)

    def dispatch(self, day):
        rng = self.rng
        target = self.route()
        kind = DispatchKind.FORWARD if rng.random() < 0.6 else DispatchKind.ASSIGN
        if rng.random() < 0.05:  # late dispatch
            day = self.next_day(16, 25)
        self.m.update(
            handling_unit_id=target.pk, dispatch_kind=kind, dispatched_on=day, holder_unit_id=target.pk
        )
        self.act(kind, self.dispatcher(), self.moment(day), data={"unit": target.name}, link=target)
        if self.stalls():
            return
        day = self.next_day(16, 28) if rng.random() < 0.04 else self.next_day(1, 8)
        self.m["accepted_on"] = day
        self.act("accept", self.user(target, R.HANDLER), self.moment(day), data={"notice_required": True})
        self.handling(target)

    def handling(self, unit):
        rng, m = self.rng, self.m
        handler, head = self.user(unit, R.HANDLER), self.user(unit, R.UNIT_HEAD)
        if rng.random() < 0.01:
            self.withdraw(self.next_day(5, 30, staff=False))
            return
        if self.stalls():
            return
        if rng.random() < 0.08:
            day = self.next_day(30, 50)
            if day <= m["due_date"]:
                days = rng.choice([15, 20, 30])
                note = rng.choice(C.EXTEND_NOTES)
                m["extension_days"] += days
                m["extension_reason"] = note
                self.act("extend", head, self.moment(day), note=note, data={"days": days})
        due = m["due_date"]
        if rng.random() < 0.06:
            day = due + timedelta(days=rng.randint(3, 25))
        else:
            start = m["accepted_on"]
            latest = max(1, (due - start).days - 1)
            day = start + timedelta(days=rng.randint(min(10, latest), latest))
        day = max(day, self.t.date())
        if day >= self.p.today:
            raise StopIteration
        self.submit(handler, day)
        if rng.random() < 0.07:
            day = self.next_day(1, 3)
            self.act("return_reply", head, self.moment(day), note=rng.choice(C.RETURN_NOTES))
            self.submit(handler, self.next_day(2, 7))
        if rng.random() < self.stall_p / 3:
            return
        day = self.next_day(1, 4)
        m.update(
            reply_delivered_on=day,
            rating="",
            rated_on=None,
            rating_due=self.p.deadline("rating", day, m["policy_set"], 0).due,
            review_unit_id=unit.parent_id,
            holder_unit_id=m["registering_unit_id"],
        )
        data = dict(
            outcome=m["reply_outcome"],
            resolution=m["resolution"],
            text=m["reply_text"],
            basis=m["reply_basis"],
            delivered_on=str(day),
        )
        self.act("approve_reply", head, self.moment(day), data=data, step_start=day)
        self.after_reply()

    def submit(self, handler, day):
        outcome = PICK_OUTCOME(self.rng)
        text, basis = C.reply_for(
            self.rng, self.category.parent.name, outcome, self.m["title"], handler.unit.name
        )
        resolution = C.resolution_for(self.rng, outcome)
        self.m.update(reply_outcome=outcome, resolution=resolution, reply_text=text, reply_basis=basis)
        self.act(
            "submit_reply", handler, self.moment(day), data={"outcome": outcome, "resolution": resolution}
        )

    def close_by_system(self):
        """The sweeper closes a matter the day after the petitioner's window has run out."""
        day = self.m["due_date"] + timedelta(days=1)
        if day >= self.p.today:
            raise StopIteration
        self.m["closed_on"] = day
        at = datetime.combine(day, dtime(2, self.rng.randint(0, 59)), tzinfo=TZ)
        self.act("close", None, max(at, self.t + timedelta(minutes=1)), note=SYSTEM_CLOSE_NOTE)

    def after_reply(self):
        rng, m = self.rng, self.m
        rating = ""
        if rng.random() < 0.72:
            rating = PICK_RATING(rng)
            day = self.next_day(1, 18, staff=False)
            if day <= m["due_date"]:
                m.update(rating=rating, rated_on=day)
                self.act("rate", self.registrar(), self.moment(day, staff=False), data={"rating": rating})
        review_p = 0.45 if rating == "unsatisfied" else 0.03 if rating else 0.05
        if m["review_unit_id"] is None or rng.random() >= review_p:
            self.close_by_system()
            return
        day = self.next_day(2, 20, staff=False)
        if day > m["due_date"]:
            self.close_by_system()
            return
        review_unit = self.p.units[m["review_unit_id"]]
        m.update(review_requested_on=day, holder_unit_id=review_unit.pk)
        self.act("request_review", self.registrar(), self.moment(day, staff=False), link=review_unit)
        if self.stalls():
            return
        day = self.next_day(32, 45) if rng.random() < 0.05 else self.next_day(10, 27)
        decision = weighted(rng, {"uphold": 0.8, "change": 0.2})
        rereview_unit = self.p.parent(review_unit)
        m.update(
            review_decision=decision,
            review_decided_on=day,
            rereview_unit_id=rereview_unit.pk if rereview_unit else None,
            holder_unit_id=m["registering_unit_id"],
        )
        self.act(
            "decide_review",
            self.user(review_unit, R.UNIT_HEAD),
            self.moment(day),
            target=S.REVIEWED,
            note=C.REVIEW_NOTES[decision],
            data={"decision": decision},
        )
        if rereview_unit is None or rng.random() >= 0.3:
            self.close_by_system()
            return
        day = self.next_day(3, 20, staff=False)
        if day > m["due_date"]:
            self.close_by_system()
            return
        m.update(rereview_requested_on=day, holder_unit_id=rereview_unit.pk)
        self.act("request_rereview", self.registrar(), self.moment(day, staff=False), link=rereview_unit)
        if self.stalls():
            return
        day = self.next_day(8, 25)
        decision = weighted(rng, {"uphold": 0.85, "change": 0.15})
        m.update(
            rereview_decision=decision,
            rereview_decided_on=day,
            closed_on=day,
            holder_unit_id=m["registering_unit_id"],
        )
        self.act(
            "decide_rereview",
            self.user(rereview_unit, R.UNIT_HEAD),
            self.moment(day),
            target=S.CLOSED,
            note=C.REREVIEW_NOTES[decision],
            data={"decision": decision},
        )

    def finish(self):
        """What the daily sweeper would have set by now: reminders sent for 临期 / 超期."""
        m, today = self.m, self.p.today
        if m["due_date"] and m["due_step"] not in PETITIONER_WINDOWS:
            if m["due_date"] < today:
                m["reminded_level"] = 2
            elif m["warn_date"] and m["warn_date"] <= today:
                m["reminded_level"] = 1


# ---------------------------------------------------------------- writing


class Table(BulkInsert):
    """The product's bulk insert (xinfang/core/bulk.py), plus the ORM path for --orm."""

    def orm_insert(self, dicts):
        """The same rows through QuerySet.bulk_create (slow, for comparison: --orm)."""
        self.model.objects.bulk_create([self.model(**d) for d in dicts], batch_size=500)


def write_range(plan: Plan, start: int, stop: int, batch: int, orm: bool = False) -> dict:
    """Generate and insert matters with ids start..stop-1, `batch` matters per transaction."""
    counts = {"matters": 0, "events": 0, "units": 0, "petitioners": 0, "generate_s": 0.0, "write_s": 0.0}
    statuses = {}
    rng = random.Random(f"{plan.seed}:{start}")
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            # This loader connection only: a bigger page cache, no fsync (a throwaway benchmark
            # database), and fewer WAL checkpoints while the tables grow.
            cur.execute("PRAGMA cache_size = -1048576")
            cur.execute(f"PRAGMA synchronous = {os.environ.get('XF_BULK_SYNC', 'OFF')}")
            cur.execute(f"PRAGMA wal_autocheckpoint = {os.environ.get('XF_BULK_CKPT', '10000')}")
    tables = {
        "matters": Table(Matter, with_pk=True),
        "units": Table(MatterUnit),
        "petitioners": Table(Petitioner),
        "events": Table(MatterEvent),
    }
    for lo in range(start, stop, batch):
        t0 = time.perf_counter()
        rows = {name: [] for name in tables}
        now = timezone.now()
        for mid in range(lo, min(stop, lo + batch)):
            story = Story(plan, rng, mid)
            story.run()
            story.m["created_at"] = story.m["updated_at"] = now
            rows["matters"].append(story.m)
            rows["events"].extend(story.events)
            rows["units"].extend(
                {"matter_id": mid, "unit_id": u, "unit_path": plan.units[u].path} for u in story.links
            )
            pet = story.petitioner
            pet["matter_id"] = mid
            # what Petitioner.save() does; bulk inserts do not call save()
            pet["id_number_hash"] = id_number_hash(pet["id_number"])
            pet["phone_hash"] = phone_hash(pet["phone"])
            rows["petitioners"].append(pet)
            statuses[story.m["status"]] = statuses.get(story.m["status"], 0) + 1
        if orm:
            for name in rows:
                rows[name] = [
                    {k: v for k, v in d.items() if k not in ("created_at", "updated_at")} for d in rows[name]
                ]
        converted = None if orm else {name: tables[name].rows(rows[name]) for name in tables}
        t1 = time.perf_counter()
        with transaction.atomic():
            for name, table in tables.items():
                if orm:
                    table.orm_insert(rows[name])
                else:
                    table.insert_rows(converted[name])
        t2 = time.perf_counter()
        counts["generate_s"] += t1 - t0
        counts["write_s"] += t2 - t1
        for name in tables:
            counts[name] += len(rows[name])
    connections.close_all()
    counts["statuses"] = statuses
    return counts


_PLAN = None


def _work(args):
    return write_range(_PLAN, *args)


def load(n: int, *, workers: int, batch: int, seed: int, orm=False, analyze=None, progress=print) -> dict:
    global _PLAN
    started = time.perf_counter()
    if not city_exists():
        build_city(DEFAULT_PASSWORD)
    # Read (or, in a new data directory, create) the encryption keys once, before the workers fork:
    # each worker would otherwise create its own key file on first use, and encrypt with its own key.
    crypto.keyring()
    _PLAN = Plan(seed)
    first = (Matter.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    _PLAN.first_id, _PLAN.n = first, n
    chunk = max(batch, min(50_000, math.ceil(n / max(1, workers) / 4 / batch) * batch))
    tasks = [(lo, min(first + n, lo + chunk), batch, orm) for lo in range(first, first + n, chunk)]
    totals = {"matters": 0, "events": 0, "units": 0, "petitioners": 0, "generate_s": 0.0, "write_s": 0.0}
    totals["statuses"] = {}

    def add(result):
        for k in ("matters", "events", "units", "petitioners", "generate_s", "write_s"):
            totals[k] += result[k]
        for k, v in result["statuses"].items():
            totals["statuses"][k] = totals["statuses"].get(k, 0) + v
        elapsed = time.perf_counter() - started
        progress(f"  {totals['matters']:>9,} / {n:,} 件事项 / matters  {elapsed:6.1f}s")

    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            add(_work(task))
    else:
        connections.close_all()  # no connection may cross the fork
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for result in pool.imap_unordered(_work, tasks):
                add(result)
    insert_seconds = time.perf_counter() - started
    finishing = time.perf_counter()
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        models = [Matter, MatterEvent, MatterUnit, Petitioner]
        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cur.execute(sql)
    if analyze is None:
        # As in a deployment that grew to this size: PostgreSQL's autovacuum has vacuumed and
        # analysed the tables (done here, so that it does not run during the measurement); SQLite
        # has no statistics, because nothing in the product runs ANALYZE.
        analyze = connection.vendor == "postgresql"
    if analyze:
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    totals["analyzed"] = analyze
    totals["insert_seconds"] = insert_seconds
    totals["analyze_seconds"] = time.perf_counter() - finishing
    totals["seconds"] = time.perf_counter() - started
    return totals


# ---------------------------------------------------------------- checks and sessions


def check_sample(k: int = 300, seed: int = 7) -> list[str]:
    """Compare a sample of loaded matters with what the write path would have stored."""
    from xinfang.petitions.scoping import can_see

    problems = []
    ids = list(Matter.objects.values_list("id", flat=True).order_by("id"))
    rng = random.Random(seed)
    sample = rng.sample(ids, min(k, len(ids)))
    registrars = {u.unit_id: u for u in User.objects.filter(role=R.REGISTRAR)}
    for m in Matter.objects.filter(pk__in=sample).select_related("division", "holder_unit"):
        events = list(m.events.order_by("at", "id"))
        if m.version != len(events):
            problems.append(f"{m.pk}: version {m.version} != {len(events)} events")
        if not events or events[0].action != "register" or events[-1].to_status != m.status:
            problems.append(f"{m.pk}: history does not end in status {m.status}")
        if any(a.at > b.at for a, b in zip(events, events[1:], strict=False)):
            problems.append(f"{m.pk}: events out of order")
        units = set(m.unit_links.values_list("unit_id", flat=True))
        if m.registering_unit_id not in units or (m.handling_unit_id and m.handling_unit_id not in units):
            problems.append(f"{m.pk}: missing MatterUnit rows")
        step = STEP_OF_STATUS.get(m.status)
        if (step or "") != m.due_step or bool(step) != bool(m.due_date):
            problems.append(f"{m.pk}: due_step {m.due_step!r} does not fit status {m.status}")
        if not can_see(registrars[m.registering_unit_id], m):
            problems.append(f"{m.pk}: registering bureau cannot see it")
        for p in m.petitioners.all():
            if p.id_number_hash != id_number_hash(p.id_number) or p.phone_hash != phone_hash(p.phone):
                problems.append(f"{m.pk}: search hashes do not match")
    with connection.cursor() as cur:
        table = Petitioner._meta.db_table
        cur.execute(f"SELECT name, address FROM {table} WHERE matter_id = %s", [sample[0]])  # noqa: S608
        for name, address in cur.fetchall():
            if not (name.startswith("sm4gcm:") and address.startswith("sm4gcm:")):
                problems.append(f"{sample[0]}: petitioner stored as plain text")
    return problems


def create_sessions(usernames, per_account: int) -> list[dict]:
    """Signed-in sessions, as django.contrib.auth.login leaves them (no second factor: the bench
    server runs with XINFANG_TOTP_REQUIRED=false)."""
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore
    users = {u.username: u for u in User.objects.filter(username__in=usernames).select_related("unit")}
    missing = [name for name in usernames if name not in users]
    if missing:
        raise SystemExit(f"演示城市中没有这些账号 / unknown accounts: {', '.join(missing)}")
    sessions = []
    for i in range(per_account):
        for name in usernames:
            user = users[name]
            s = store()
            s[SESSION_KEY] = user._meta.pk.value_to_string(user)
            s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            s[HASH_SESSION_KEY] = user.get_session_auth_hash()
            s.create()
            sessions.append(
                {
                    "username": name,
                    "role": user.role,
                    "unit": user.unit.name,
                    "session": s.session_key,
                    "copy": i,
                }
            )
    return sessions


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matters", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="loader processes (default 2)")
    parser.add_argument("--batch", type=int, default=2000, help="matters per transaction")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sessions", help="write signed-in sessions of the benchmark accounts to this JSON file"
    )
    parser.add_argument("--sessions-per-account", type=int, default=4)
    parser.add_argument("--accounts", default=",".join(BENCH_ACCOUNTS), help="comma-separated usernames")
    parser.add_argument("--result", help="write the load figures to this JSON file")
    parser.add_argument("--no-check", action="store_true", help="skip the consistency check of a sample")
    parser.add_argument(
        "--orm", action="store_true", help="insert through QuerySet.bulk_create (same rows, much slower)"
    )
    parser.add_argument(
        "--analyze",
        choices=["auto", "yes", "no"],
        default="auto",
        help="run ANALYZE afterwards (auto: on PostgreSQL, as autovacuum would; not on SQLite)",
    )
    args = parser.parse_args(argv)

    vendor = connection.vendor
    print(
        f"批量写入 {args.matters:,} 件事项 / bulk loading {args.matters:,} matters into {vendor} …",
        flush=True,
    )
    totals = load(
        args.matters,
        workers=args.workers,
        batch=args.batch,
        seed=args.seed,
        orm=args.orm,
        analyze={"auto": None, "yes": True, "no": False}[args.analyze],
        progress=lambda line: print(line, flush=True),
    )
    rows = totals["matters"] + totals["events"] + totals["units"] + totals["petitioners"]
    totals["rows"] = rows
    totals["vendor"] = vendor
    print(
        f"写入完成 / loaded: {totals['matters']:,} matters, {totals['events']:,} events, "
        f"{totals['units']:,} matter-unit links, {totals['petitioners']:,} petitioners = {rows:,} rows "
        f"in {totals['seconds']:.1f}s (inserts {totals['insert_seconds']:.1f}s, "
        f"{'(VACUUM) ANALYZE' if totals['analyzed'] else 'no ANALYZE'} {totals['analyze_seconds']:.1f}s; CPU in workers: generate {totals['generate_s']:.1f}s, "
        f"write {totals['write_s']:.1f}s) → {totals['matters'] / totals['seconds']:,.0f} matters/s, "
        f"{rows / totals['seconds']:,.0f} rows/s"
    )
    order = [s.value for s in Status]
    print(
        "状态分布 / statuses: "
        + ", ".join(
            f"{Status(s).label} {totals['statuses'][s]:,}" for s in order if totals["statuses"].get(s)
        )
    )
    if not args.no_check:
        problems = check_sample()
        totals["check_problems"] = problems
        if problems:
            print("!!! 一致性检查发现问题 / consistency problems:\n  " + "\n  ".join(problems[:20]))
        else:
            print(
                "一致性检查通过 / sample of 300 matters consistent (version, history, links, deadlines, hashes)"
            )
    if args.sessions:
        usernames = [u.strip() for u in args.accounts.split(",") if u.strip()]
        sessions = create_sessions(usernames, args.sessions_per_account)
        Path(args.sessions).write_text(json.dumps(sessions, ensure_ascii=False, indent=1), encoding="utf-8")
        print(
            f"已为 {len(usernames)} 个账号创建 {len(sessions)} 个会话 / sessions written to {args.sessions}"
        )
    if args.result:
        Path(args.result).write_text(json.dumps(totals, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if totals.get("check_problems") else 0


if __name__ == "__main__":
    sys.exit(main())
