"""`xinfang demo`: the fictional city, its accounts and matters driven through the write path."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.demo import DEFAULT_PASSWORD
from xinfang.demo.content import id_check_digit
from xinfang.org.models import Division, Role, Unit, User
from xinfang.petitions.choices import Nature, RequestType, Status
from xinfang.petitions.models import MAX_REPRESENTATIVES, Matter, MatterEvent, Petitioner
from xinfang.petitions.workflow import PETITIONER_WINDOWS


# The demo is generated back from the day it runs: on an ordinary Monday, on a working Saturday
# of the 国庆 holiday (调休), and a year ahead (whose holiday schedule may not be announced yet).
@pytest.mark.django_db
@pytest.mark.parametrize("day", [date(2026, 11, 23), date(2026, 10, 10), date(2027, 12, 7)])
def test_demo(capsys, day):
    """One demo of 300 matters (about ten seconds), checked from several sides."""
    clock.travel_to(day)
    call_command("demo", matters=300, seed=1)
    out = capsys.readouterr().out
    check_every_role_has_an_account()
    check_city_divisions_came_through_the_importer()
    check_matters_reach_every_status_through_the_write_path()
    check_deadline_lights_show_late_and_nearly_late_matters()
    check_accusations_never_reach_the_accused_unit()
    check_collective_visits_have_at_most_five_representatives()
    check_petitioners_are_fictional()
    check_history_notifications_are_not_delivered()
    check_supervision_records_went_through_their_write_path()
    check_disputes_and_grid_events()
    check_prevention_ledgers_went_through_their_write_paths()
    check_accounts_are_printed_and_rerun_changes_nothing(out, capsys)


def check_prevention_ledgers_went_through_their_write_paths():
    from xinfang.assessments import documents as reports
    from xinfang.assessments.choices import Status as Step
    from xinfang.assessments.models import Assessment, CaseReference
    from xinfang.hazards import credit
    from xinfang.hazards.choices import Status as Stage
    from xinfang.hazards.models import Enterprise, Hazard
    from xinfang.supervision.models import Reminder

    assert Enterprise.objects.count() >= 200
    assert all(
        credit.is_valid(c)
        for c in Enterprise.objects.exclude(credit_code="").values_list("credit_code", flat=True)
    )
    hazards = Hazard.objects.all()
    assert set(hazards.values_list("status", flat=True)) == set(Stage.values)
    for h in hazards:  # every one registered and moved by the write path
        assert h.events.first().action == "register" and h.events.last().to_status == h.status
    today = clock.today()
    assert hazards.filter(
        status__in=[Stage.RECTIFYING, Stage.PLAN_PENDING, Stage.GOVERNING], due_date__lt=today
    ).exists()
    listed = hazards.exclude(listed_level="").get()
    assert (
        listed.level == "major" and listed.events.filter(action="list").exists() and not listed.plan_missing()
    )
    escalated = hazards.get(escalated_to__isnull=False)
    assert escalated.events.filter(action="escalate", data__interviewed__isnull=False).exists()
    assert Reminder.objects.about(escalated).filter(kind=Reminder.Kind.MANUAL).exists()  # 催办 first
    assert hazards.filter(petition__isnull=False).exists() and hazards.filter(stoppage="partial").exists()
    accepted = hazards.filter(status__in=[Stage.ACCEPTED, Stage.CLOSED])
    assert all(h.photos.filter(stage="after").exists() for h in accepted[:50])
    assessments = Assessment.objects.all()
    assert set(assessments.values_list("status", flat=True)) == set(Step.values)
    decided = assessments.exclude(report_on=None).first()
    assert reports.report(decided, decided.events.get(action="issue_report")).startswith(b"PK")
    assert CaseReference.objects.filter(case_type="matter").exists()


def check_supervision_records_went_through_their_write_path():
    from xinfang.supervision.models import Campaign, CaseOwnership, FollowUp, Supervision

    states = set(Supervision.objects.values_list("state", flat=True))
    assert {"open", "answered", "closed"} <= states
    for sup in Supervision.objects.all():
        assert sup.events.first().action == "issue"
        assert sup.cases()[0].events.filter(action="supervise").exists()
    assert CaseOwnership.objects.filter(milestones__isnull=False).exists()
    campaign = Campaign.objects.get()
    resolved = campaign.cases.exclude(outcome="")
    assert 0 < resolved.count() < campaign.cases.count()
    assert all(campaign.frozen_on < c.resolved_on <= clock.today() for c in resolved)
    assert FollowUp.objects.filter(stopped=True).exists()


def check_disputes_and_grid_events():
    """Grids with their workers, a screening campaign with 零报告 and units not reported yet,
    disputes at every stage and events through the whole workflow, each through its write path."""
    from xinfang.disputes import campaigns
    from xinfang.disputes.choices import Status as DisputeStatus
    from xinfang.disputes.models import Campaign, Dispute, MatterLink
    from xinfang.grid.choices import Status as EventStatus
    from xinfang.grid.models import Grid, GridEvent

    assert Grid.objects.exists()
    assert all(g.workers.filter(role=Role.GRID_WORKER).exists() for g in Grid.objects.all())
    assert all(g.workers.filter(role=Role.INFORMANT).exists() for g in Grid.objects.all())
    lines = campaigns.dashboard(Campaign.objects.get())
    reported = [line.report for line in lines if line.report]
    assert any(r.zero for r in reported) and any(not r.zero for r in reported)
    assert any(line.report is None for line in lines)
    assert set(Dispute.objects.values_list("status", flat=True)) == set(DisputeStatus.values)
    assert Dispute.objects.filter(escalated_to__isnull=False, risk="major").exists()
    assert set(GridEvent.objects.values_list("status", flat=True)) == set(EventStatus.values)
    for converted in GridEvent.objects.filter(status=EventStatus.TO_MATTER):
        assert converted.matter.events.order_by("at", "id").first().action == "register"
    assert Dispute.objects.filter(
        event__status=EventStatus.TO_DISPUTE, source__in=["grid", "informant"]
    ).exists()
    kinds = set(MatterLink.objects.values_list("kind", flat=True))
    assert kinds == {"became", "behind"}  # both ways, each shown on both pages
    for model in (Dispute, GridEvent):
        for case in model.objects.order_by("pk")[::25]:
            assert case.events.order_by("at", "id").first().action == "register"


def check_every_role_has_an_account():
    roles = set(User.objects.filter(is_active=True).exclude(unit=None).values_list("role", flat=True))
    assert roles == set(Role.values)
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(DEFAULT_PASSWORD)
    assert User.objects.get(username="district3_dispatcher").unit.name == "新港区信访局"


def check_city_divisions_came_through_the_importer():
    city = Division.objects.get(code="990100000000")
    assert city.name == "青溪市" and city.level == 2 and city.parent.code == "990000000000"
    assert Division.objects.filter(path__startswith=city.path, level=5).count() > 50
    gov = Unit.objects.get(name="青溪市委市政府")
    assert gov.parent is None and list(gov.divisions.all()) == [city]
    assert Unit.objects.get(name="青溪市信访局").parent == gov
    assert Unit.objects.filter(kind=Unit.Kind.LEGAL).count() >= 2
    assert (
        Unit.objects.filter(kind=Unit.Kind.TOWNSHIP, divisions__level=4).count()
        == Unit.objects.filter(kind=Unit.Kind.TOWNSHIP).count()
    )


def check_matters_reach_every_status_through_the_write_path():
    # 300 generated, and a few from grid events and disputes turned into matters (转为信访事项)
    converted = Q(grid_events__isnull=False) | Q(dispute_links__kind="became")
    assert Matter.objects.exclude(converted).count() == 300
    assert Matter.objects.filter(converted).count() < 30
    assert set(Matter.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Matter.objects.values_list("nature", flat=True)) == set(Nature.values)
    assert set(Matter.objects.values_list("request_type", flat=True)) == set(RequestType.values)
    # every matter was registered and then moved only by transitions: the history explains its state
    for m in Matter.objects.annotate(n=Count("events")):
        last = m.events.order_by("-at", "-id").first()
        assert m.events.order_by("at", "id").first().action == "register"
        assert last.to_status == m.status
        assert m.version == m.n  # register creates version 1; every transition adds one event and one version
    actions = set(MatterEvent.objects.values_list("action", flat=True))
    assert {"dispute", "extend", "return_reply", "start_hearing", "end_hearing", "decide_rereview"} <= actions
    assert Matter.objects.filter(review_decision="redo").exists()
    assert Matter.objects.filter(finality_flag=True, status=Status.NOT_ACCEPTED).exists()
    assert Matter.objects.exclude(repeat_of=None).exists()


def check_deadline_lights_show_late_and_nearly_late_matters():
    today = clock.today()
    staff = Matter.objects.exclude(due_step="").exclude(due_step__in=list(PETITIONER_WINDOWS))
    assert staff.filter(due_date__lt=today).exists()
    assert staff.filter(due_date__gte=today, warn_date__lte=today).exists()
    assert MatterEvent.objects.filter(on_time=False).exists()


def check_accusations_never_reach_the_accused_unit():
    accusations = Matter.objects.filter(nature=Nature.ACCUSATION).exclude(complained_unit=None)
    assert accusations.exists()
    for m in accusations.select_related("complained_unit", "holder_unit"):
        assert not m.holder_unit.is_within(m.complained_unit)
        for link in m.unit_links.select_related("unit"):
            assert not link.unit.is_within(m.complained_unit)
        assert not m.events.filter(actor_unit__path__startswith=m.complained_unit.path).exists()


def check_collective_visits_have_at_most_five_representatives():
    collective = Matter.objects.filter(is_collective=True).annotate(n=Count("petitioners"))
    assert collective.exists()
    for m in collective:
        assert 1 <= m.n <= MAX_REPRESENTATIVES <= m.headcount
        assert all(p.is_representative for p in m.petitioners.all())


def check_petitioners_are_fictional():
    people = Petitioner.objects.exclude(id_number="")
    assert people.count() > 100
    for p in people:
        assert len(p.id_number) == 18 and p.id_number.startswith("99")
        assert id_check_digit(p.id_number[:17]) == p.id_number[17]
        assert p.address.startswith("青溪市")


def check_history_notifications_are_not_delivered():
    assert Notification.objects.exists()
    assert not Notification.objects.filter(state=Notification.State.PENDING).exists()
    assert not Notification.objects.exclude(sent_at=None).exists()


def check_accounts_are_printed_and_rerun_changes_nothing(demo, capsys):
    for role in Role:
        assert role.label in demo
    for username in ["admin", "city_registrar", "city_dispatcher", "district1_town1_handler", "city_analyst"]:
        assert username in demo
    assert DEFAULT_PASSWORD in demo
    counts = (Matter.objects.count(), User.objects.count(), Division.objects.count())
    call_command("demo", matters=300, seed=1)
    again = capsys.readouterr().out
    assert "已经存在" in again and "city_supervisor" in again and DEFAULT_PASSWORD in again
    assert (Matter.objects.count(), User.objects.count(), Division.objects.count()) == counts
