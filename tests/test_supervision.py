"""Supervision: 催办 on the right day, 督办 and 领导批示 with the units' answers, 领导包案,
积案化解 campaigns, 化解措施 and 息诉罢访, all through the service write path."""

from datetime import date
from decimal import Decimal

import pytest
from conftest import PETITIONER, Driver, at, matter_fields
from django.core.exceptions import ValidationError

from xinfang.core.models import Notification
from xinfang.deadlines.models import PolicyRule, PolicySet
from xinfang.org.models import Division, Role, User
from xinfang.petitions.choices import Nature, Status
from xinfang.petitions.models import AccusedParty, Matter, MatterEvent, MatterUnit
from xinfang.petitions.services import TransitionError, link_repeat, perform, register_matter, sweep
from xinfang.supervision import (
    backlog,
    follow_up,
    measures,
    ownership,
    reception_days,
    reminders,
    supervisions,
)
from xinfang.supervision.common import SupervisionError
from xinfang.supervision.models import (
    Campaign,
    CaseOwnership,
    FollowUp,
    Measure,
    Reminder,
    Supervision,
    SupervisionEvent,
    SupervisionTask,
)


def act(d, matter, action, when, actor=None, **params):
    """Run `action` at `when` with the driver's default actor and parameters."""
    d.now = when
    return d.do(matter, action, actor=actor, days=0, **params)


def reminders_of(matter):
    return list(Reminder.objects.about(matter).order_by("id"))


# ---------------------------------------------------------------- 催办 by the sweeper


def _sweep_fires_on(matter, *, unit, step, before_warn, warn, due, after_due):
    """No 催办 the day before warn, one 临期 on warn, none the next day, none on the last day,
    one 超期 the day after it."""
    assert (matter.due_step, matter.warn_date, matter.due_date) == (step, warn, due)
    sweep(before_warn)
    assert reminders_of(matter) == []
    sweep(warn)
    [warning] = reminders_of(matter)
    assert (warning.kind, warning.unit, warning.step, warning.due_on) == ("warning", unit, step, due)
    assert warning.by is None
    sweep(date.fromordinal(warn.toordinal() + 1))
    sweep(due)  # the last day is still on time
    assert len(reminders_of(matter)) == 1
    sweep(after_due)
    kinds = [r.kind for r in reminders_of(matter)]
    assert kinds == ["warning", "overdue"]
    sweep(date.fromordinal(after_due.toordinal() + 1))
    assert len(reminders_of(matter)) == 2


def test_builtin_zhejiang_dispatch_reminders_across_national_day(world):
    """浙江: 转送交办 within 5 working days, counted over the 2025 National Day holiday."""
    world.divisions.d1.policy_set = PolicySet.objects.get(name="zhejiang")
    world.divisions.d1.save()
    d = Driver(world, start=at(2025, 9, 26))  # a Friday
    matter = d.register(division=Division.objects.get(pk=world.divisions.village.pk))
    assert matter.policy_set == "zhejiang"
    # 2025 calendar (chinese_calendar): 9-27 Sat rest, 9-28 Sun 调休 working, 10-01..10-08 holiday,
    # 10-11 Sat 调休 working. Start day not counted:
    #   9-28 (1), 9-29 (2), 9-30 (3), 10-09 (4), 10-10 (5) → due 10-10;
    #   临期 after ceil(5 × 0.7) = 4 working days → 10-09.
    _sweep_fires_on(
        matter,
        unit=world.units.city_bureau,
        step="dispatch",
        before_warn=date(2025, 10, 8),
        warn=date(2025, 10, 9),
        due=date(2025, 10, 10),
        after_due=date(2025, 10, 11),
    )


def test_policy_rule_acceptance_reminders_across_national_day(world):
    """A local rule: 告知受理 within 7 working days, assigned on the Friday before National Day."""
    rules = PolicySet.objects.create(name="test-local", label="测试地方规则")
    PolicyRule.objects.create(policy_set=rules, step="acceptance", days=7, working=True)
    world.divisions.d1.policy_set = rules
    world.divisions.d1.save()
    d = Driver(world, start=at(2025, 9, 25))
    matter = d.register(division=Division.objects.get(pk=world.divisions.village.pk))
    matter = act(d, matter, "assign", at(2025, 9, 26))
    # Start 9-26 not counted: 9-28 Sun 调休 (1), 9-29 (2), 9-30 (3), [10-01..10-08 holiday],
    # 10-09 (4), 10-10 (5), 10-11 Sat 调休 (6), [10-12 Sun], 10-13 (7) → due 10-13 (Mon).
    # 临期 after ceil(7 × 0.7) = 5 working days → 10-10.
    _sweep_fires_on(
        matter,
        unit=world.units.d1_dept,
        step="acceptance",
        before_warn=date(2025, 10, 9),
        warn=date(2025, 10, 10),
        due=date(2025, 10, 13),
        after_due=date(2025, 10, 14),
    )


def test_reply_sent_for_approval_and_returned_keeps_the_deadline(world):
    d = Driver(world)
    matter = d.to(Status.HANDLING)  # accepted 2025-03-05
    # 60 days from 03-05: 03-31 is +26, 04-30 is +56, 05-04 is +60 (Sunday, 劳动节 05-01..05-05)
    # → 05-06 (Tue); 临期 after 42 days → 04-16.
    assert (matter.due_date, matter.warn_date) == (date(2025, 5, 6), date(2025, 4, 16))
    sweep(date(2025, 4, 16))
    assert [r.kind for r in reminders_of(matter)] == ["warning"]
    matter = act(d, matter, "submit_reply", at(2025, 4, 20))
    assert matter.status == Status.REPLY_PENDING
    assert (matter.due_step, matter.due_date, matter.step_started_on) == (
        "handling",
        date(2025, 5, 6),
        date(2025, 3, 5),
    )
    matter = act(d, matter, "return_reply", at(2025, 4, 21))
    assert matter.status == Status.HANDLING
    assert (matter.due_date, matter.warn_date, matter.step_started_on) == (
        date(2025, 5, 6),
        date(2025, 4, 16),
        date(2025, 3, 5),
    )
    sweep(date(2025, 4, 22))  # the 临期 催办 of this step was already sent
    assert [r.kind for r in reminders_of(matter)] == ["warning"]


# ---------------------------------------------------------------- event facts


def test_events_record_the_step_they_complete(world):
    d = Driver(world)
    matter = d.register()  # 2025-03-03: 转送交办 due 03-03 + 15 = 03-18 (Tue)
    matter = act(d, matter, "assign", at(2025, 3, 4))  # 受理 due 03-04 + 15 = 03-19 (Wed)
    assign = matter.events.get(action="assign")
    assert (assign.step, assign.due_on, assign.unit, assign.on_time) == (
        "dispatch",
        date(2025, 3, 18),
        world.units.city_bureau,
        True,
    )
    matter = act(d, matter, "accept", at(2025, 3, 19))  # the last day is on time
    accept = matter.events.get(action="accept")
    assert (accept.step, accept.due_on, accept.unit, accept.on_time) == (
        "acceptance",
        date(2025, 3, 19),
        world.units.d1_dept,
        True,
    )
    # 60 days from 03-19 → 05-18 (Sun) → 05-19 (Mon)
    assert matter.due_date == date(2025, 5, 19)
    matter = act(d, matter, "submit_reply", at(2025, 5, 19))
    submit = matter.events.get(action="submit_reply")
    assert (submit.step, submit.due_on, submit.unit, submit.on_time) == ("", None, None, None)
    matter = act(d, matter, "approve_reply", at(2025, 5, 20))  # a day late
    approve = matter.events.get(action="approve_reply")
    assert (approve.step, approve.due_on, approve.unit, approve.on_time) == (
        "handling",
        date(2025, 5, 19),
        world.units.d1_dept,
        False,
    )


def test_late_acceptance_and_withdrawal(world):
    d = Driver(world)
    late = act(d, d.register(), "assign", at(2025, 3, 4))
    late = act(d, late, "accept", at(2025, 3, 20))  # due 03-19
    event = late.events.get(action="accept")
    assert (event.step, event.due_on, event.on_time) == ("acceptance", date(2025, 3, 19), False)

    d2 = Driver(world)
    withdrawn = act(d2, d2.register(), "assign", at(2025, 3, 4))
    withdrawn = act(d2, withdrawn, "withdraw", at(2025, 3, 25))  # a petitioner's act, no unit's step
    event = withdrawn.events.get(action="withdraw")
    assert (event.step, event.due_on, event.unit, event.on_time) == ("", None, None, None)


# ---------------------------------------------------------------- 催办 by hand


def test_manual_reminder_by_oversight_and_dispatcher(world):
    d = Driver(world)
    matter = d.to(Status.HANDLING)
    for name in ("sam", "leo", "bob"):
        r = reminders.remind(world.users[name], matter, f"{name}催办：请加快办理。", now=at(2025, 3, 10))
        assert (r.kind, r.unit, r.step, r.due_on, r.by) == (
            "manual",
            world.units.d1_dept,
            "handling",
            matter.due_date,
            world.users[name],
        )
    assert Reminder.objects.about(matter).filter(kind="manual").count() == 3
    notices = Notification.objects.filter(matter=matter, kind="supervision")
    assert sorted(n.recipient_user.username for n in notices) == [
        "hank",
        "hank",
        "hank",
        "hope",
        "hope",
        "hope",
    ]
    assert all("催办" in n.subject for n in notices)


def test_manual_reminder_refusals(world):
    d = Driver(world)
    handling = d.to(Status.HANDLING)
    with pytest.raises(SupervisionError, match="督查员|领导|交办员"):
        reminders.remind(world.hank, handling, "请加快。")
    with pytest.raises(SupervisionError, match="工作范围"):
        reminders.remind(world.nick, handling, "请加快。")  # 南山区 does not see a 东城区 matter
    with pytest.raises(SupervisionError, match="催办意见"):
        reminders.remind(world.sam, handling, "  ")
    closed = Driver(world).to(Status.CLOSED)
    with pytest.raises(SupervisionError, match="无需催办"):
        reminders.remind(world.sam, closed, "请加快。")
    replied = Driver(world).to(Status.REPLIED)  # waiting on the petitioner, not a unit
    with pytest.raises(SupervisionError, match="无需催办"):
        reminders.remind(world.sam, replied, "请加快。")
    assert not Reminder.objects.exists()


# ---------------------------------------------------------------- 督办


def _supervise(world, matter, *, level="red", due_on=date(2025, 4, 10), now=None, **kw):
    return supervisions.issue(
        world.sam,
        kind=Supervision.Kind.SUPERVISE,
        cases=[matter],
        text="请于期限内办结并报送办理情况。",
        due_on=due_on,
        level=level,
        reasons=kw.pop("reasons", ["overdue"]),
        now=now or at(2025, 3, 20),
        **kw,
    )


def test_supervision_lifecycle(world):
    d = Driver(world)
    matter = d.to(Status.HANDLING)
    sup = _supervise(world, matter)
    assert (sup.kind, sup.level, sup.reasons, sup.state) == ("supervise", "red", ["overdue"], "open")
    assert sup.number == "督〔2025〕1号" and sup.issuing_unit == world.units.city_bureau
    [task] = sup.tasks.all()
    assert (task.unit, task.state) == (world.units.d1_dept, "pending")
    assert MatterUnit.objects.filter(matter=matter, unit=world.units.d1_dept).exists()
    event = MatterEvent.objects.get(matter=matter, action="supervise")
    assert event.public is False and event.actor == world.sam and "督〔2025〕1号" in event.note
    assert Notification.objects.filter(kind="supervision", recipient_user=world.hank).exists()

    with pytest.raises(SupervisionError, match="尚有单位未反馈"):
        supervisions.close(sup.pk, world.sam, "办结", now=at(2025, 3, 21))

    task = supervisions.answer(task.pk, world.hank, "已约谈物业公司，正在整改。", now=at(2025, 3, 25))
    sup.refresh_from_db()
    assert (sup.state, task.state, task.on_time, task.answered_by) == (
        "answered",
        "answered",
        True,
        world.hank,
    )
    with pytest.raises(SupervisionError, match="已经反馈"):
        supervisions.answer(task.pk, world.hope, "补充。", now=at(2025, 3, 26))

    task = supervisions.return_answer(task.pk, world.sam, "请附整改照片。", now=at(2025, 3, 26))
    sup.refresh_from_db()
    assert (sup.state, task.state) == ("open", "pending")

    task = supervisions.answer(task.pk, world.hope, "整改完毕，附照片。", now=at(2025, 4, 11))  # a day late
    sup.refresh_from_db()
    assert (sup.state, task.on_time) == ("answered", False)

    sup = supervisions.close(sup.pk, world.sam, "整改到位，予以办结。", now=at(2025, 4, 12))
    assert sup.state == "closed" and sup.closed_at == at(2025, 4, 12)
    assert list(sup.tasks.values_list("state", flat=True)) == ["accepted"]
    assert list(sup.events.values_list("action", flat=True)) == [
        "issue",
        "answer",
        "return",
        "answer",
        "close",
    ]
    with pytest.raises(SupervisionError, match="^该督办已办结。$"):
        supervisions.close(sup.pk, world.sam, "再次办结")


def test_supervision_refusals(world):
    d = Driver(world)
    matter = d.to(Status.HANDLING)
    with pytest.raises(SupervisionError, match="督查员|领导"):
        supervisions.issue(
            world.hank,
            kind="supervise",
            cases=[matter],
            text="督办",
            due_on=date(2025, 4, 10),
            level="red",
            reasons=["overdue"],
            now=at(2025, 3, 20),
        )
    with pytest.raises(SupervisionError, match="晚于今天"):
        _supervise(world, matter, due_on=date(2025, 3, 19), now=at(2025, 3, 20))
    with pytest.raises(SupervisionError, match="晚于今天"):
        _supervise(world, matter, due_on=date(2025, 3, 20), now=at(2025, 3, 20))
    with pytest.raises(SupervisionError, match="督办事由"):
        _supervise(world, matter, reasons=[])
    with pytest.raises(SupervisionError, match="督办等级"):
        _supervise(world, matter, level="purple")
    assert not Supervision.objects.exists()

    sup = _supervise(world, matter)
    [task] = sup.tasks.all()
    with pytest.raises(SupervisionError, match="东城区住房和城乡建设局"):
        supervisions.answer(task.pk, world.tom, "街道代为反馈。", now=at(2025, 3, 25))
    with pytest.raises(SupervisionError, match="只有签发单位"):
        supervisions.return_answer(task.pk, world.leo, "退回")  # leo is not within 市信访局
    for level in ("yellow", "red"):
        with pytest.raises(SupervisionError, match="更高的督办等级"):
            supervisions.escalate(
                sup.pk, world.sam, level=level, due_on=date(2025, 4, 30), note="升级", now=at(2025, 4, 11)
            )
    sup.refresh_from_db()
    assert sup.state == "open" and Supervision.objects.count() == 1


def test_escalation_and_overdue_sweep(world):
    d = Driver(world)
    matter = d.to(Status.HANDLING)
    sup = _supervise(world, matter, level="yellow", due_on=date(2025, 4, 10))
    assert supervisions.sweep_supervision(today=date(2025, 4, 10)) == 0  # the last day is on time
    assert supervisions.sweep_supervision(today=date(2025, 4, 11)) == 1
    assert supervisions.sweep_supervision(today=date(2025, 4, 12)) == 0
    overdue = Notification.objects.filter(kind="supervision", subject__startswith="督办反馈超期")
    assert sorted(n.recipient_user.username for n in overdue) == ["hank", "hope", "sam"]
    assert sup.events.filter(action="overdue").count() == 1

    with pytest.raises(SupervisionError, match="晚于今天"):  # the new supervision is refused …
        supervisions.escalate(
            sup.pk, world.sam, level="red", due_on=date(2025, 4, 12), note="升级", now=at(2025, 4, 12)
        )
    sup.refresh_from_db()
    assert sup.state == "open" and Supervision.objects.count() == 1  # … and the old one stays open
    new = supervisions.escalate(
        sup.pk,
        world.sam,
        level="listed",
        due_on=date(2025, 4, 25),
        note="逾期未反馈，挂牌督办。",
        now=at(2025, 4, 12),
    )
    sup.refresh_from_db()
    assert sup.state == "escalated" and sup.closed_at == at(2025, 4, 12)
    assert new.escalated_from == sup and new.level == "listed" and new.state == "open"
    assert new.cases() == [matter]
    assert [t.unit for t in new.tasks.all()] == [world.units.d1_dept]
    assert new.reasons == ["overdue"] and new.number == "督〔2025〕2号"
    with pytest.raises(SupervisionError, match="^该督办已升级督办，不能升级。$"):
        supervisions.escalate(sup.pk, world.sam, level="listed", due_on=date(2025, 4, 25), note="再升级")
    with pytest.raises(SupervisionError, match="^该督办已升级督办，不能再反馈。$"):
        supervisions.answer(sup.tasks.get().pk, world.hank, "对旧督办反馈。", now=at(2025, 4, 13))


# ---------------------------------------------------------------- 领导批示 and accusations


def test_leader_instruction_reaches_named_units(world):
    d = Driver(world)
    matter = d.to(Status.HANDLING, division=world.divisions.other_township)  # 西岭镇: not 东湖街道's
    assert not Matter.objects.visible_to(world.tom).filter(pk=matter.pk).exists()
    sup = supervisions.issue(
        world.leo,
        kind=Supervision.Kind.INSTRUCT,
        cases=[matter],
        text="请区住建局会同街道妥善处理，一周内报结果。",
        due_on=date(2025, 3, 28),
        units=[world.units.d1_dept, world.units.t1],
        now=at(2025, 3, 20),
    )
    assert (sup.kind, sup.level, sup.title, sup.number) == ("instruct", "", "领导批示", "批〔2025〕1号")
    assert {t.unit for t in sup.tasks.all()} == {world.units.d1_dept, world.units.t1}
    assert Matter.objects.visible_to(world.tom).filter(pk=matter.pk).exists()
    assert MatterEvent.objects.filter(matter=matter, action="instruct", public=False).count() == 1
    assert sup in supervisions.supervisions_visible_to(world.tom)
    t1_task = sup.tasks.get(unit=world.units.t1)
    supervisions.answer(t1_task.pk, world.tom, "街道已配合入户。", now=at(2025, 3, 22))
    sup.refresh_from_db()
    assert sup.state == "open"  # 区住建局 has not answered yet
    with pytest.raises(SupervisionError, match="批示送达的单位"):
        supervisions.issue(
            world.leo,
            kind="instruct",
            cases=[matter],
            text="阅。",
            due_on=date(2025, 3, 28),
            now=at(2025, 3, 20),
        )
    with pytest.raises(SupervisionError, match="领导"):
        supervisions.issue(
            world.sam,
            kind="instruct",
            cases=[matter],
            text="阅。",
            due_on=date(2025, 3, 28),
            units=[world.units.t1],
            now=at(2025, 3, 20),
        )


def test_accusation_is_never_supervised_by_or_shown_to_the_accused_unit(world):
    d = Driver(world)
    accusation = d.register(nature=Nature.ACCUSATION, complained_unit=world.units.d1_dept)
    d.screen(accusation, units=[world.units.d1_dept])
    accusation = act(d, accusation, "assign", at(2025, 3, 4), unit=world.units.t1)
    for kind, extra in (("instruct", {}), ("supervise", {"level": "red", "reasons": ["procedure"]})):
        actor = world.leo if kind == "instruct" else world.sam
        with pytest.raises(SupervisionError, match="检举控告"):
            supervisions.issue(
                actor,
                kind=kind,
                cases=[accusation],
                text="请核查。",
                due_on=date(2025, 3, 28),
                units=[world.units.d1_dept],
                now=at(2025, 3, 20),
                **extra,
            )
    assert not Supervision.objects.exists()
    sup = supervisions.issue(
        world.sam,
        kind="supervise",
        cases=[accusation],
        text="请街道核查。",
        due_on=date(2025, 3, 28),
        level="normal",
        reasons=["procedure"],
        now=at(2025, 3, 20),
    )
    assert [t.unit for t in sup.tasks.all()] == [world.units.t1]
    assert sup in supervisions.supervisions_visible_to(world.tom)
    assert sup not in supervisions.supervisions_visible_to(world.hank)

    # A supervision addressed to 区住建局 about a matter later corrected to an accusation against it
    other = Driver(world).to(Status.HANDLING)
    addressed = _supervise(world, other)
    assert addressed in supervisions.supervisions_visible_to(world.hank)
    Matter.objects.filter(pk=other.pk).update(
        nature=Nature.ACCUSATION,
        complained_unit=world.units.d1_dept,
        screening_unit=world.units.discipline,
        screened_at=at(2025, 3, 21),
    )
    AccusedParty.objects.create(matter=other, unit=world.units.d1_dept, unit_path=world.units.d1_dept.path)
    for name in ("hank", "hope"):
        assert addressed not in supervisions.supervisions_visible_to(world.users[name])
    assert addressed in supervisions.supervisions_visible_to(world.sam)
    with pytest.raises(SupervisionError, match="回避"):
        supervisions.answer(addressed.tasks.get().pk, world.hope, "已核查。", now=at(2025, 3, 25))


# ---------------------------------------------------------------- 领导包案


def test_case_ownership(world):
    first = Driver(world).to(Status.HANDLING)  # handling due 2025-05-06
    second = Driver(world).to(Status.HANDLING)
    own = ownership.take_ownership(
        world.leo,
        first,
        leader=world.leo,
        unit=world.units.d1_dept,
        plan="约谈物业公司，组织业主协商。",
        target_date=date(2025, 4, 30),
        milestones=[("约谈物业公司", date(2025, 4, 10)), ("业主协商会", date(2025, 4, 20))],
        now=at(2025, 4, 1),
    )
    assert (own.leader, own.created_by, own.started_on, own.state) == (
        world.leo,
        world.leo,
        date(2025, 4, 1),
        "active",
    )
    assert MatterEvent.objects.filter(matter=first, action="take_ownership", public=False).exists()
    assert Notification.objects.filter(kind="supervision", recipient_user=world.hope, matter=first).exists()

    by_sam = ownership.take_ownership(
        world.sam,
        second,
        leader=world.leo,
        unit=world.units.d1_dept,
        plan="由领导包案化解。",
        target_date=date(2025, 4, 30),
        now=at(2025, 4, 1),
    )
    assert (by_sam.leader, by_sam.created_by) == (world.leo, world.sam)

    kwargs = dict(unit=world.units.d1_dept, plan="方案", target_date=date(2025, 4, 30), now=at(2025, 4, 1))
    with pytest.raises(SupervisionError, match="已有领导包案"):
        ownership.take_ownership(world.sam, first, leader=world.leo, **kwargs)
    third = Driver(world).to(Status.HANDLING)
    with pytest.raises(SupervisionError, match="在岗的领导"):
        ownership.take_ownership(world.sam, third, leader=world.hope, **kwargs)
    lena = User.objects.create_user(
        username="lena", password="x", unit=world.units.city_gov, role=Role.LEADER
    )
    with pytest.raises(SupervisionError, match="本人包案"):
        ownership.take_ownership(world.leo, third, leader=lena, **kwargs)
    with pytest.raises(SupervisionError, match="督查员|领导"):
        ownership.take_ownership(world.hope, third, leader=world.leo, **kwargs)
    with pytest.raises(SupervisionError, match="早于今天"):
        ownership.take_ownership(
            world.sam, third, leader=world.leo, **(kwargs | {"target_date": date(2025, 3, 31)})
        )

    first_step, second_step = own.milestones.all()
    ownership.complete_milestone(world.hope, first_step, "已约谈。", on=date(2025, 4, 9))
    with pytest.raises(SupervisionError, match="已完成"):
        ownership.complete_milestone(world.hope, first_step, "再次完成。", on=date(2025, 4, 9))
    extra = ownership.add_milestone(world.hank, own, "回访", date(2025, 4, 28))
    with pytest.raises(SupervisionError, match="更新包案进展"):
        ownership.add_milestone(world.tom, own, "街道回访", date(2025, 4, 28))

    assert ownership.stuck_reasons(own, date(2025, 4, 20)) == []  # 业主协商会 is due today
    assert ownership.stuck_reasons(own, date(2025, 4, 21)) == ["1个节点逾期未完成：业主协商会"]
    assert ownership.stuck_reasons(own, date(2025, 5, 1)) == [
        "已超过目标化解日期（2025年4月30日）",
        "2个节点逾期未完成：业主协商会",
    ]
    assert extra.due_on == date(2025, 4, 28)
    # the matter's own handling deadline (05-06) has passed as well
    assert ownership.stuck_reasons(own, date(2025, 5, 7)) == [
        "已超过目标化解日期（2025年4月30日）",
        "2个节点逾期未完成：业主协商会",
        "事项办理并出具处理意见已超期",
    ]

    with pytest.raises(SupervisionError, match="包案领导或督查人员"):
        ownership.resolve_ownership(world.hope, own, resolution="solved", result="已解决")
    with pytest.raises(SupervisionError, match="四个到位"):
        ownership.resolve_ownership(world.leo, own, resolution="maybe", result="已解决")
    with pytest.raises(SupervisionError, match="化解情况"):
        ownership.resolve_ownership(world.leo, own, resolution="solved", result=" ")
    own = ownership.resolve_ownership(
        world.leo, own, resolution="solved", result="物业恢复原收费标准。", on=date(2025, 4, 29)
    )
    assert (own.state, own.resolved_on, own.resolution) == ("resolved", date(2025, 4, 29), "solved")
    assert ownership.stuck_reasons(own, date(2025, 5, 7)) == []
    with pytest.raises(SupervisionError, match="已化解"):
        ownership.resolve_ownership(world.leo, own, resolution="solved", result="再次化解")
    again = ownership.take_ownership(world.sam, first, leader=world.leo, **kwargs)  # no active one now
    assert again.state == "active"
    assert CaseOwnership.objects.filter(matter=first).count() == 2


# ---------------------------------------------------------------- 积案化解


def _registered(world, received, **overrides):
    fields = matter_fields(world, received_at=received, **overrides)
    return register_matter(world.alice, fields=fields, petitioners=[dict(PETITIONER)], now=received)


def test_campaign(world):
    today = date(2025, 6, 1)
    # open_days 90: cutoff 2025-06-01 − 90 days = 03-03 00:00; received before it and still open
    old_open = _registered(world, at(2025, 2, 20))
    edge_in = _registered(world, at(2025, 3, 2))  # 91 days before the freeze
    edge_out = _registered(world, at(2025, 3, 3))  # 90 days: not "more than"
    old_closed = _registered(world, at(2025, 2, 20))
    perform(old_closed.pk, world.alice, "withdraw", note="已协商解决。", now=at(2025, 2, 25))
    d = Driver(world, start=at(2025, 3, 2))
    edge_in = act(d, edge_in, "assign", at(2025, 3, 4))
    edge_in = act(d, edge_in, "accept", at(2025, 3, 5))
    # repeat_times 2: more than two repeat petitions
    heavy, light = _registered(world, at(2025, 4, 1)), _registered(world, at(2025, 4, 2))
    perform(heavy.pk, world.alice, "withdraw", note="撤回。", now=at(2025, 4, 3))
    for original, days in ((heavy, (10, 20, 30)), (light, (11, 21))):
        for day in days:
            again = _registered(world, at(2025, 4, day))
            link_repeat(again.pk, world.alice, original, now=at(2025, 4, day))
    named = _registered(world, at(2025, 5, 15))
    named = act(Driver(world), named, "assign", at(2025, 5, 16))
    ownership.take_ownership(
        world.sam,
        old_open,
        leader=world.leo,
        unit=world.units.city_bureau,
        plan="领导包案。",
        target_date=date(2025, 6, 30),
        now=at(2025, 5, 20),
    )
    rules = {"open_days": 90, "repeat_times": 2, "codes": [named.code]}

    with pytest.raises(SupervisionError, match="晚于今天"):
        backlog.freeze_campaign(world.sam, name="积案清仓", target_date=today, rules=rules, today=today)
    with pytest.raises(SupervisionError, match="没有筛选到"):
        backlog.freeze_campaign(
            world.sam, name="积案清仓", target_date=date(2025, 6, 11), rules={"codes": ["NONE"]}, today=today
        )
    with pytest.raises(SupervisionError, match="督查员|领导"):
        backlog.freeze_campaign(
            world.bob, name="积案清仓", target_date=date(2025, 6, 11), rules=rules, today=today
        )

    campaign = backlog.freeze_campaign(
        world.sam, name="积案清仓", target_date=date(2025, 6, 11), rules=rules, today=today
    )
    cases = {c.matter_id: c for c in campaign.cases.all()}
    assert set(cases) == {old_open.pk, edge_in.pk, heavy.pk, named.pk}
    assert edge_out.pk not in cases and old_closed.pk not in cases and light.pk not in cases
    assert campaign.rules_text == "登记超过90日仍未办结；重复信访超过2次；逐件指定1件"
    assert (cases[old_open.pk].leader, cases[old_open.pk].unit) == (world.leo, world.units.city_bureau)
    assert (cases[edge_in.pk].leader, cases[edge_in.pk].unit) == (None, world.units.d1_dept)
    assert cases[named.pk].unit == world.units.d1_dept

    late = _registered(world, at(2025, 1, 15))  # an old matter registered after the freeze
    assert late in backlog.campaign_candidates(world.sam, rules, today)
    assert campaign.cases.count() == 4 and not campaign.cases.filter(matter=late).exists()

    backlog.assign_case(world.sam, cases[named.pk], leader=world.leo)
    with pytest.raises(SupervisionError, match="必须是领导"):
        backlog.assign_case(world.sam, cases[named.pk], leader=world.hope)

    case = cases[edge_in.pk]
    with pytest.raises(SupervisionError, match="四个到位"):
        backlog.record_outcome(world.sam, case, outcome="partly", evidence="材料", on=date(2025, 6, 3))
    with pytest.raises(SupervisionError, match="化解依据"):
        backlog.record_outcome(world.sam, case, outcome="solved", evidence="  ", on=date(2025, 6, 3))
    with pytest.raises(SupervisionError, match="化解日期"):
        backlog.record_outcome(world.sam, case, outcome="solved", evidence="协议书", on=date(2025, 5, 31))
    with pytest.raises(SupervisionError, match="只有专项"):
        backlog.record_outcome(world.tom, case, outcome="solved", evidence="协议书", on=date(2025, 6, 3))
    backlog.record_outcome(world.sam, case, outcome="solved", evidence="调解协议书", on=date(2025, 6, 3))
    with pytest.raises(SupervisionError, match="已记录"):
        backlog.record_outcome(world.sam, case, outcome="explained", evidence="再记", on=date(2025, 6, 4))
    # 区住建局's head records the outcome of a case of her unit
    backlog.record_outcome(
        world.hope, cases[named.pk], outcome="by_law", evidence="依法处理决定书", on=date(2025, 6, 5)
    )

    chart = backlog.burn_down(campaign, date(2025, 6, 6))
    assert chart["days"][0] == "2025-06-01" and chart["days"][-1] == "2025-06-11" and len(chart["days"]) == 11
    # 4 cases; one resolved 06-03, one 06-05; no value after today (06-06)
    assert chart["remaining"] == [4, 4, 3, 3, 2, 2, None, None, None, None, None]
    # straight line 4 → 0 over the 10 days to the target
    assert chart["ideal"] == [4.0, 3.6, 3.2, 2.8, 2.4, 2.0, 1.6, 1.2, 0.8, 0.4, 0.0]
    assert (chart["total"], chart["resolved"]) == (4, 2)

    by_unit = {
        r["name"]: (r["total"], r["resolved"], r["remaining"])
        for r in backlog.campaign_table(campaign, "unit")
    }
    assert by_unit == {"青溪市信访局": (2, 0, 2), "东城区住房和城乡建设局": (2, 2, 0)}
    by_leader = {
        r["name"]: (r["total"], r["resolved"], r["remaining"])
        for r in backlog.campaign_table(campaign, "leader")
    }
    assert by_leader == {str(world.leo): (2, 1, 1), "（未指定）": (2, 1, 1)}
    assert Campaign.objects.get().frozen_on == today


# ---------------------------------------------------------------- 化解措施


def test_hearing_measure_pauses_the_clock(world):
    d = Driver(world, start=at(2025, 6, 3))
    matter = d.to(Status.HANDLING)  # accepted 06-05
    # 60 days from 06-05: 06-30 is +25, 07-31 is +56, 08-04 (Mon) is +60. 临期 +42 → 07-17.
    assert (matter.due_date, matter.warn_date) == (date(2025, 8, 4), date(2025, 7, 17))
    with pytest.raises(SupervisionError, match="举行当天"):
        measures.record_measure(
            world.hope, matter, kind="hearing", held_on=date(2025, 6, 9), note="听证", now=at(2025, 6, 10)
        )
    measure = measures.record_measure(
        world.hope,
        matter,
        kind="hearing",
        held_on=date(2025, 6, 10),
        note="邀请业主代表、物业公司公开听证。",
        participants="业主代表、物业公司、区住建局",
        now=at(2025, 6, 10),
    )
    matter.refresh_from_db()
    assert matter.clock_paused and measure.pause.first == date(2025, 6, 10) and measure.pause.last is None
    assert matter.events.filter(action="start_hearing").count() == 1
    # While paused, the day of the sweep is after the due date and after 临期, yet nothing fires.
    assert matter.due_date < date(2025, 8, 20)
    assert sweep(date(2025, 8, 20)) == {"warning": 0, "overdue": 0, "closed": 0}
    assert reminders_of(matter) == []
    with pytest.raises(TransitionError, match="听证尚未结束"):
        perform(
            matter.pk,
            world.hank,
            "submit_reply",
            now=at(2025, 6, 12),
            **d.params_for("submit_reply"),
        )
    matter = perform(matter.pk, world.hope, "end_hearing", now=at(2025, 6, 16))
    # 06-10..06-16 not counted: 7 days → 08-04 + 7 = 08-11 (Mon); 临期 07-17 + 7 = 07-24.
    assert not matter.clock_paused
    assert (matter.due_date, matter.warn_date) == (date(2025, 8, 11), date(2025, 7, 24))
    assert matter.events.get(action="end_hearing").data["paused_days"] == 7
    measure.refresh_from_db()
    assert measure.pause.last == date(2025, 6, 16)
    sweep(date(2025, 8, 6))  # the clock runs again: past 临期, not yet overdue
    assert [r.kind for r in reminders_of(matter)] == ["warning"]


def test_assistance_measure_needs_an_amount(world):
    matter = Driver(world).to(Status.HANDLING)
    base = dict(kind="assistance", held_on=date(2025, 3, 10), note="困难救助。", now=at(2025, 3, 10))
    for amount in (None, "", 0, "-5", "abc"):
        with pytest.raises(SupervisionError, match="救助金额"):
            measures.record_measure(world.hope, matter, amount=amount, **base)
    with pytest.raises(SupervisionError, match="晚于今天"):
        measures.record_measure(world.hope, matter, **(base | {"held_on": date(2025, 3, 11)}), amount=100)
    with pytest.raises(SupervisionError, match="工作范围"):
        measures.record_measure(world.nora, matter, amount=100, **base)
    measure = measures.record_measure(world.hope, matter, amount="2000", **base)
    assert measure.amount == Decimal("2000.00") and measure.pause is None
    mediation = measures.record_measure(
        world.hank,
        matter,
        kind="mediation",
        held_on=date(2025, 3, 10),
        note="调解。",
        amount=50,
        now=at(2025, 3, 10),
    )
    assert mediation.amount is None
    assert Measure.objects.filter(matter=matter).count() == 2
    matter.refresh_from_db()
    assert not matter.clock_paused


# ---------------------------------------------------------------- 息诉罢访


def test_follow_ups(world, settings):
    settings.XINFANG_FOLLOW_UP_DAYS = 30
    quiet = Driver(world).to(Status.REPLIED)  # delivered 2025-03-07
    again = Driver(world).to(Status.REPLIED)
    early = Driver(world).to(Status.REPLIED)
    assert {m.reply_delivered_on for m in (quiet, again, early)} == {date(2025, 3, 7)}
    repeat = _registered(world, at(2025, 3, 20))  # after the reply
    link_repeat(repeat.pk, world.alice, again, now=at(2025, 3, 20))
    before = _registered(world, at(2025, 3, 5))  # before the reply: not a sign of going on
    link_repeat(before.pk, world.alice, early, now=at(2025, 3, 5))

    # 03-07 + 30 days = 04-06: decided on the sweep of that day, not before
    assert follow_up.sweep_follow_ups(date(2025, 4, 5)) == 0
    assert follow_up.sweep_follow_ups(date(2025, 4, 6)) == 3
    results = {f.matter_id: f for f in FollowUp.objects.all()}
    assert results[quiet.pk].stopped is True and results[early.pk].stopped is True
    assert results[again.pk].stopped is False and results[again.pk].basis == "答复后重复信访1次"
    assert results[quiet.pk].due_on == date(2025, 4, 6) and results[quiet.pk].checked_on == date(2025, 4, 6)
    assert follow_up.sweep_follow_ups(date(2025, 4, 7)) == 0  # decided once


def test_follow_up_with_review_request(world, settings):
    settings.XINFANG_FOLLOW_UP_DAYS = 30
    matter = Driver(world).to(Status.REVIEW_REQUESTED)  # delivered 03-07, review asked 03-08
    assert follow_up.sweep_follow_ups(date(2025, 4, 6)) == 1
    decided = FollowUp.objects.get(matter=matter)
    assert decided.stopped is False and decided.basis == "答复后申请了复查"


def test_supervision_events_are_append_only(world):
    matter = Driver(world).to(Status.HANDLING)
    sup = _supervise(world, matter)
    event = SupervisionEvent.objects.get(supervision=sup)
    event.note = "改写"
    with pytest.raises(ValidationError, match="只能追加"):
        event.save()
    assert SupervisionTask.objects.filter(supervision=sup).count() == 1


def test_accusation_against_a_person_is_not_shown_to_them(world):
    d = Driver(world)
    matter = d.register(nature=Nature.ACCUSATION, complained_person="hank")
    d.screen(matter, users=[world.hank])
    # 东湖街道 handles it; neither hank nor anyone of his unit (区住建局, its head hope) may
    matter = act(d, matter, "assign", at(2025, 3, 4), unit=world.units.t1)
    sup = _supervise(world, matter)
    for accused_side in (world.hank, world.hope):
        assert not Matter.objects.visible_to(accused_side).filter(pk=matter.pk).exists()
        assert sup not in supervisions.supervisions_visible_to(accused_side)
    assert sup in supervisions.supervisions_visible_to(world.tina)
    [task] = sup.tasks.all()
    with pytest.raises(SupervisionError, match="反馈"):
        supervisions.answer(task.pk, world.hank, "已核查。", now=at(2025, 3, 25))
    assert supervisions.answer(task.pk, world.tina, "已核查。", now=at(2025, 3, 25)).state == "answered"


def test_campaign_rule_after_rereview(world):
    final = Driver(world).to(Status.CLOSED)  # re-review decided 2025-03-11
    assert final.rereview_decided_on == date(2025, 3, 11)
    quiet = Driver(world).to(Status.CLOSED)
    same_day = _registered(world, at(2025, 3, 11))  # on the day of the decision: not "after"
    link_repeat(same_day.pk, world.alice, quiet, now=at(2025, 3, 11))
    later = _registered(world, at(2025, 4, 1))
    link_repeat(later.pk, world.alice, final, now=at(2025, 4, 1))
    picked = backlog.campaign_candidates(world.sam, {"after_rereview": True}, date(2025, 6, 1))
    assert list(picked) == [final]


def test_reception_day(world):
    with pytest.raises(SupervisionError, match="必须是领导"):
        reception_days.schedule_reception(
            world.bob, leader=world.sam, date=date(2025, 3, 3), place="市信访接待中心"
        )
    with pytest.raises(SupervisionError, match="只能由"):
        reception_days.schedule_reception(
            world.hank, leader=world.leo, date=date(2025, 3, 3), place="市信访接待中心"
        )
    day = reception_days.schedule_reception(
        world.bob, leader=world.leo, date=date(2025, 3, 3), place="市信访接待中心", topic="物业管理"
    )
    assert (day.unit, day.leader) == (world.units.city_bureau, world.leo)
    received = Driver(world).register(channel="leader")  # 2025-03-03
    other_day = Driver(world, start=at(2025, 3, 4)).register()
    reception_days.receive_at(world.alice, day, received)
    with pytest.raises(SupervisionError, match="不是在2025年3月3日收到的"):
        reception_days.receive_at(world.alice, day, other_day)
    with pytest.raises(SupervisionError, match="工作范围"):
        reception_days.receive_at(world.nick, day, received)
    assert list(day.matters.all()) == [received]
