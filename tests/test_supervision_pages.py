"""The supervision pages as users meet them: a 督办 on several matters picked from the list, the
score pages with their reasons and drill-down, and who sees what."""

from datetime import date, timedelta

from conftest import sign_in
from django.urls import reverse

from xinfang.core import clock
from xinfang.petitions.choices import Status
from xinfang.supervision.models import Supervision


def test_supervisor_picks_matters_from_the_list_and_supervises_them_at_once(client, world, driver):
    first = driver.to(Status.HANDLING)
    second = driver.to(Status.DISPATCHED)
    second = driver.do(second, "accept")
    sign_in(client, "sam")
    listing = client.get(reverse("petitions:queue") + "?tab=all").content.decode()
    assert f'name="matter" value="{first.pk}"' in listing and "督办所选事项" in listing
    url = reverse("supervision:issue") + f"?matter={first.pk}&matter={second.pk}"
    page = client.get(url).content.decode()
    assert first.display_code in page and second.display_code in page
    due = clock.today() + timedelta(days=10)
    response = client.post(
        url,
        {
            "matter": [first.pk, second.pk],
            "kind": "supervise",
            "level": "yellow",
            "reasons": ["overdue", "buck_passing"],
            "text": "两件事项均已超期，请一并说明原因。",
            "report_required": "书面反馈",
            "due_on": due.isoformat(),
        },
    )
    sup = Supervision.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "supervision:detail", args=[sup.pk]
    )
    assert {c.pk for c in sup.cases()} == {first.pk, second.pk}
    assert list(sup.tasks.values_list("unit__name", flat=True)) == [world.units.d1_dept.name]
    board = client.get(reverse("supervision:board")).content.decode()
    assert sup.number in board and "黄牌督办" in board
    # A handler of the unit cannot issue; the page says why instead of failing.
    client.logout()
    sign_in(client, "hank")
    assert client.get(url).status_code == 403


def test_unit_sees_its_score_with_reasons_and_the_matters_behind_each_count(client, world, driver):
    matter = driver.to(Status.HANDLING)  # accepted by 东城区住建局 on time
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    query = f"?start={start}&end={end}"
    sign_in(client, "hope")
    assert client.get(reverse("supervision:ranking")).status_code == 302  # units see their own score
    page = client.get(
        reverse("supervision:unit_score", args=[world.units.d1_dept.pk]) + query
    ).content.decode()
    assert "及时受理率" in page and "100.00%" in page
    drill = reverse("supervision:drill", args=[world.units.d1_dept.pk, "timely_on"]) + query
    assert drill.split("?")[0] in page
    assert matter.display_code in client.get(drill).content.decode()
    assert client.get(reverse("supervision:unit_score", args=[world.units.t1.pk])).status_code == 403
    # Leaders see the ranking; analysts see it and the score lines, never the matters.
    client.logout()
    sign_in(client, "leo")
    ranking = client.get(reverse("supervision:ranking") + query).content.decode()
    assert world.units.d1_dept.name in ranking
    client.logout()
    sign_in(client, "ann")
    assert world.units.d1_dept.name in client.get(reverse("supervision:ranking") + query).content.decode()
    assert client.get(drill).status_code == 403


def test_a_supervision_over_several_units_shows_each_unit_only_its_own_matters(client, world, driver):
    from xinfang.petitions.models import Matter
    from xinfang.supervision import supervisions

    here = driver.to(Status.DISPATCHED)  # at 东城区住建局
    there = driver.do(driver.register(), "assign", unit=world.units.t1)  # at 东湖街道办
    sup = supervisions.issue(
        world.sam,
        kind="supervise",
        cases=[here, there],
        level="normal",
        reasons=["overdue"],
        text="请加快办理",
        due_on=clock.today() + timedelta(days=3),
    )
    assert set(sup.tasks.values_list("unit__name", flat=True)) == {
        world.units.d1_dept.name,
        world.units.t1.name,
    }
    assert not Matter.objects.visible_to(world.hank).filter(pk=there.pk).exists()
    sign_in(client, "hank")
    page = client.get(reverse("supervision:detail", args=[sup.pk])).content.decode()
    assert here.display_code in page and there.display_code not in page
