"""督办 and 催办 on a case type other than petition matters, and the migration of the old rows.

The other case types (disputes, grid events, hazards, risk assessments) live in their own apps, and
a test cannot add a model with a table. `Grievance` is a proxy of Matter — no table and no migration
of its own — registered with the kernel as a type of its own for these tests: its own key, its own
(tiny) workflow, no case column in the outbox, its own confidentiality rule (hidden from the unit it
complains about, whatever its nature) and its own page. `registry.of(grievance)` is that type, not
the matter type, so supervision reaches it only through the registry and the kernel.

What this proves: supervision stores, finds and shows cases by their type's key; it notes a 督办
and grants access through the kernel for that type; it keeps a case from the units the type's own
`hidden_q` names; the sweeper's "reminded" hook records 催办 for any type. What it does not prove:
behaviour on a model whose fields differ from a matter's. Supervision reads only the fields every
case has (holder_unit, due_step, due_date, title, display_code, division, status); the one
exception, a matter's `handling_unit`, is read only when a type has it.
"""

import io
from datetime import date, time, timedelta

import pytest
from conftest import Driver, at, sign_in
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.urls import reverse
from docx import Document

from xinfang.audit.models import AuditEntry
from xinfang.cases import registry
from xinfang.cases.registry import CaseType
from xinfang.cases.sweeper import sweep
from xinfang.cases.workflow import Workflow
from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter, MatterEvent, MatterUnit
from xinfang.supervision import reminders, supervisions
from xinfang.supervision.common import SupervisionError
from xinfang.supervision.models import Reminder, SupervisedCase, Supervision


class Grievance(Matter):
    class Meta:
        proxy = True
        app_label = "petitions"


def _hidden_from_complained_unit(unit, user=None):
    return Q(complained_unit=unit)


GRIEVANCE = CaseType(
    key="grievance",
    label="测试投诉",
    model=Grievance,
    event_model=MatterEvent,
    link_model=MatterUnit,
    case_field="matter",
    workflow=Workflow(transitions={}, step_of_status={Status.HANDLING: "handling"}),
    apply={},
    hidden_q=_hidden_from_complained_unit,
    detail_url=lambda grievance: f"/grievances/{grievance.pk}/",
)


@pytest.fixture
def grievance_type(monkeypatch):
    monkeypatch.setitem(registry._TYPES, GRIEVANCE.key, GRIEVANCE)
    return GRIEVANCE


def _grievance(world, **register_overrides) -> Grievance:
    """A case of the test type, in HANDLING at 东城区住建局 (hank, hope); warned 04-16, due 05-06."""
    matter = Driver(world).to(Status.HANDLING, **register_overrides)
    return Grievance.objects.get(pk=matter.pk)


def test_the_test_type_is_its_own_type(world, grievance_type):
    grievance = _grievance(world)
    assert registry.of(grievance) is GRIEVANCE
    assert registry.of(Matter.objects.get(pk=grievance.pk)).key == "matter"


def test_a_supervision_on_a_case_of_another_type(client, world, grievance_type):
    grievance = _grievance(world, division=world.divisions.other_township)  # not 东湖街道's
    assert not Grievance.objects.visible_to(world.tom).filter(pk=grievance.pk).exists()
    sup = supervisions.issue(
        world.leo,
        kind=Supervision.Kind.INSTRUCT,
        cases=[grievance, grievance],  # named twice, supervised once
        text="请区住建局会同街道妥善处理。",
        due_on=date(2025, 3, 28),
        units=[world.units.d1_dept, world.units.t1],
        now=at(2025, 3, 20),
    )
    assert list(SupervisedCase.objects.filter(supervision=sup).values_list("case_type", "case_id")) == [
        ("grievance", grievance.pk)
    ]
    [found] = sup.cases()
    assert type(found) is Grievance and found.pk == grievance.pk
    assert list(Supervision.objects.about(grievance)) == [sup]
    assert not Supervision.objects.about(Matter.objects.get(pk=grievance.pk)).exists()
    # Noted on the case through the kernel, as an act on a grievance, and 东湖街道 may now see it.
    event = MatterEvent.objects.get(matter_id=grievance.pk, action="instruct")
    assert event.public is False and sup.number in event.note
    assert AuditEntry.objects.filter(target=f"grievance:{grievance.pk}", detail__action="instruct").exists()
    assert Grievance.objects.visible_to(world.tom).filter(pk=grievance.pk).exists()
    assert sup in supervisions.supervisions_visible_to(world.tom)
    # Its notices name no case: the outbox has no column for this type.
    told = Notification.objects.filter(kind="supervision", recipient_user=world.tom).get()
    assert told.matter_id is None and grievance.title[:30] in told.subject

    supervisions.answer(sup.tasks.get(unit=world.units.t1).pk, world.tom, "已入户。", now=at(2025, 3, 22))
    supervisions.answer(sup.tasks.get(unit=world.units.d1_dept).pk, world.hope, "已办。", now=at(2025, 3, 23))
    escalated = supervisions.escalate(
        sup.pk, world.leo, level="red", due_on=date(2025, 4, 10), note="升级。", now=at(2025, 3, 24)
    )
    assert escalated.cases() == [grievance] and type(escalated.cases()[0]) is Grievance

    sign_in(client, "leo")
    page = client.get(reverse("supervision:detail", args=[escalated.pk])).content.decode()
    assert f'href="/grievances/{grievance.pk}/"' in page and grievance.display_code in page
    assert "测试投诉" in page
    sheet = client.get(reverse("supervision:print", args=[escalated.pk])).content.decode()
    assert "测试投诉督办单" in sheet and grievance.title in sheet
    doc = Document(io.BytesIO(client.get(reverse("documents:supervision", args=[escalated.pk])).content))
    assert doc.paragraphs[0].text == "测试投诉督办单"
    assert [c.text for c in doc.tables[0].rows[1].cells] == [
        grievance.display_code,
        grievance.title,
        "测试投诉",
        grievance.division.full_name(),
    ]
    panel = client.get(reverse("supervision:case_panel", args=["grievance", grievance.pk])).content.decode()
    assert escalated.number in panel and f"?grievance={grievance.pk}" in panel
    issue_page = client.get(reverse("supervision:issue") + f"?grievance={grievance.pk}").content.decode()
    assert grievance.display_code in issue_page and f'name="grievance" value="{grievance.pk}"' in issue_page
    assert client.get(reverse("supervision:case_panel", args=["nothing", grievance.pk])).status_code == 404


def test_the_types_own_confidentiality_rule_keeps_a_case_from_a_unit(world, grievance_type):
    """Not an accusation, so the matter type's rule would show it: the grievance's rule hides it
    from the unit it complains about."""
    grievance = _grievance(world, complained_unit=world.units.d1_dept)
    assert Matter.objects.visible_to(world.hank).filter(pk=grievance.pk).exists()
    assert not Grievance.objects.visible_to(world.hank).filter(pk=grievance.pk).exists()
    kwargs = dict(
        kind="supervise", level="red", reasons=["overdue"], text="请办理。", due_on=date(2025, 3, 28)
    )
    with pytest.raises(SupervisionError, match="保密"):
        supervisions.issue(world.sam, cases=[grievance], now=at(2025, 3, 20), **kwargs)
    assert not Supervision.objects.exists()
    sup = supervisions.issue(
        world.sam, cases=[grievance], units=[world.units.t1], now=at(2025, 3, 20), **kwargs
    )
    assert sup in supervisions.supervisions_visible_to(world.tom)
    for name in ("hank", "hope"):
        assert sup not in supervisions.supervisions_visible_to(world.users[name])
    # The same row as a matter, supervised as a matter, stays visible to them.
    as_matter = supervisions.issue(
        world.sam, cases=[Matter.objects.get(pk=grievance.pk)], now=at(2025, 3, 20), **kwargs
    )
    assert as_matter in supervisions.supervisions_visible_to(world.hank)


def test_automatic_and_manual_reminders_on_a_case_of_another_type(client, world, grievance_type):
    grievance = _grievance(world)
    assert (grievance.warn_date, grievance.due_date) == (date(2025, 4, 16), date(2025, 5, 6))
    assert sweep(GRIEVANCE, clock.local_datetime(date(2025, 4, 15), time(12)))["warning"] == 0
    assert sweep(GRIEVANCE, clock.local_datetime(date(2025, 4, 16), time(12)))["warning"] == 1
    assert sweep(GRIEVANCE, clock.local_datetime(date(2025, 5, 7), time(12)))["overdue"] == 1
    rows = list(Reminder.objects.about(grievance).order_by("id"))
    assert [(r.case_type, r.case_id, r.kind, r.unit, r.step, r.due_on) for r in rows] == [
        ("grievance", grievance.pk, kind, world.units.d1_dept, "handling", date(2025, 5, 6))
        for kind in ("warning", "overdue")
    ]
    assert type(rows[0].case) is Grievance and rows[0].case.pk == grievance.pk
    assert not Reminder.objects.about(Matter.objects.get(pk=grievance.pk)).exists()

    manual = reminders.remind(world.sam, grievance, "请加快办理。", now=at(2025, 5, 8))
    assert (manual.case_type, manual.case_id, manual.kind, manual.by) == (
        "grievance",
        grievance.pk,
        "manual",
        world.sam,
    )
    sign_in(client, "bob")
    response = client.post(
        reverse("supervision:remind", args=["grievance", grievance.pk]), {"note": "请三日内报送进展。"}
    )
    assert response.status_code == 302 and response["Location"] == f"/grievances/{grievance.pk}/"
    assert Reminder.objects.about(grievance).filter(kind="manual").count() == 2
    panel = client.get(reverse("supervision:case_panel", args=["grievance", grievance.pk])).content.decode()
    assert "催办 4 次" in panel and "请三日内报送进展。" in panel
    sign_in(client, "nick")  # 南山区 does not see a 东城区 case
    response = client.post(reverse("supervision:remind", args=["grievance", grievance.pk]), {"note": "催"})
    assert response.status_code == 404


# ---------------------------------------------------------------- the migration of existing rows


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrations_move_supervisions_and_reminders_both_ways(world):
    """Rows made today go back to the old links (matters only) and forward again unchanged."""
    first, second = Driver(world).to(Status.HANDLING), Driver(world).to(Status.HANDLING)
    sup = supervisions.issue(
        world.sam,
        kind="supervise",
        cases=[second, first],
        level="red",
        reasons=["overdue"],
        text="请办理。",
        due_on=clock.today() + timedelta(days=5),
    )
    reminders.remind(world.sam, first, "请加快。")
    sweep(registry.get("matter"), clock.local_datetime(second.warn_date, time(12)))
    refs = list(SupervisedCase.objects.order_by("id").values_list("supervision_id", "case_type", "case_id"))
    kept = list(Reminder.objects.order_by("id").values_list("id", "case_type", "case_id", "kind"))
    assert refs == [(sup.pk, "matter", second.pk), (sup.pk, "matter", first.pk)]
    assert [r[1:] for r in kept] == [
        ("matter", first.pk, "manual"),
        ("matter", first.pk, "warning"),
        ("matter", second.pk, "warning"),
    ]

    old = _migrate(("supervision", "0002_default_score_scheme"))
    links = old.get_model("supervision", "Supervision").matters.through.objects
    assert sorted(links.values_list("supervision_id", "matter_id")) == sorted(
        [(sup.pk, first.pk), (sup.pk, second.pk)]
    )
    old_reminders = old.get_model("supervision", "Reminder").objects.order_by("id")
    assert list(old_reminders.values_list("id", "matter_id")) == [(pk, case_id) for pk, _, case_id, _ in kept]

    latest = [
        key for key in MigrationExecutor(connection).loader.graph.leaf_nodes() if key[0] == "supervision"
    ]
    _migrate(*latest)
    assert (
        list(SupervisedCase.objects.order_by("id").values_list("supervision_id", "case_type", "case_id"))
        == refs
    )
    assert list(Reminder.objects.order_by("id").values_list("id", "case_type", "case_id", "kind")) == kept


def _migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    executor.loader.build_graph()
    return executor.loader.project_state(list(targets)).apps
