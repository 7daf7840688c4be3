"""Early warning: the daily scan over the records, notification, sensitive periods, acknowledgement."""

from datetime import date, datetime, timedelta

import pytest
from conftest import TZ, sign_in

from xinfang.analytics import snapshot, warnings
from xinfang.analytics.models import SensitivePeriod, Warning
from xinfang.core.models import Notification
from xinfang.intelligence.corpus import default_corpus
from xinfang.petitions.choices import Channel, Nature, RequestType
from xinfang.petitions.models import Matter

TODAY = date(2026, 11, 22)  # a Sunday: the scan looks at Saturday 21 November


def _bulk(world, rows):
    """Matters straight into the table (history for the statistics; no workflow is involved)."""
    Matter.objects.bulk_create(
        Matter(
            channel=Channel.ONLINE,
            received_at=datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=9),
            title=title,
            content=text,
            nature=Nature.APPEAL,
            request_type=RequestType.COMPLAINT,
            division=division,
            category=category,
            registered_by=world.alice,
            registering_unit=world.units.city_bureau,
            holder_unit=world.units.city_bureau,
            policy_set="national",
        )
        for day, division, category, title, text in rows
    )


def _history(world, per_day=2, weeks=10, last_day=TODAY - timedelta(days=1), surge=0, category=None):
    category = category or world.category
    rows = []
    for back in range(1, weeks * 7 + 1):
        day = last_day - timedelta(days=back)
        rows += [(day, world.divisions.village, category, "物业收费", "物业收费问题")] * per_day
    rows += [(last_day, world.divisions.village, category, "物业收费", "物业收费问题")] * (per_day + surge)
    _bulk(world, rows)


def test_a_surge_is_raised_once_with_its_expected_range_and_reaches_the_right_people(world):
    _history(world, surge=16)
    snapshot.refresh()
    raised = warnings.scan(TODAY)
    day = [w for w in raised if w.kind == Warning.Kind.SURGE_DAY]
    assert len(day) == 1
    w = day[0]
    assert (w.category, w.division, w.observed) == (world.category, world.divisions.d1, 18)
    assert w.low <= 2 <= w.high < 18 and 1.5 <= w.expected <= 2.5
    assert w.first == w.last == date(2026, 11, 21) and w.raised_on == TODAY
    assert "东城区「物业管理」" in w.title and "预期" in w.detail
    assert len(w.examples) == 5 and Matter.objects.filter(pk__in=w.examples).count() == 5
    told = set(
        Notification.objects.filter(kind="warning", subject__contains=w.title).values_list(
            "recipient_user__username", flat=True
        )
    )
    # city bureau and government (analysts, supervisors; leaders from 较重 up) and 东城区's bureau
    expected = {"sam", "ann"} | ({"leo"} if w.severity >= 2 else set())
    assert expected <= told and not told & {"nick", "nora", "hank", "alice", "dina"}
    assert [x for x in warnings.scan(TODAY) if x.kind != Warning.Kind.TOPIC] == []  # raised once
    assert Warning.objects.filter(kind=Warning.Kind.SURGE_DAY).count() == 1


def test_an_ordinary_day_raises_nothing(world):
    _history(world)
    snapshot.refresh()
    assert [w for w in warnings.scan(TODAY) if w.kind != Warning.Kind.TOPIC] == []


def test_a_sensitive_period_is_named_on_the_warnings_it_tightened(world):
    SensitivePeriod.objects.create(
        name="全国两会", first=date(2026, 11, 15), last=date(2026, 11, 25), tighten=0.5
    )
    _history(world, surge=16)
    snapshot.refresh()
    w = Warning.objects.get(pk__in=[x.pk for x in warnings.scan(TODAY)], kind=Warning.Kind.SURGE_DAY)
    assert w.sensitive == "全国两会"


def test_an_emerging_topic_is_found_with_its_examples(world):
    corpus = default_corpus(per_template=1)
    start = TODAY - timedelta(days=63)
    rows = [
        (start + timedelta(days=i % 55), world.divisions.village, world.category, title, text)
        for i, (title, text, _leaf) in enumerate(corpus[:400])
    ]
    recent = [
        (
            TODAY - timedelta(days=1 + i % 6),
            world.divisions.village,
            world.category,
            "小区停水",
            f"湖滨小区已经停水{i + 2}天，无人处理",
        )
        for i in range(30)
    ]
    _bulk(world, rows + recent)
    snapshot.refresh()
    found = [w for w in warnings.scan(TODAY) if w.kind == Warning.Kind.TOPIC]
    assert found, "停水 topic not found"
    water = next(w for w in found if "停水" in w.title)
    titles = set(Matter.objects.filter(pk__in=water.examples).values_list("title", flat=True))
    assert titles == {"小区停水"}


def test_acknowledge_needs_a_note_and_happens_once(client, world):
    w = Warning.objects.create(
        kind=Warning.Kind.SURGE_WEEK, severity=1, raised_on=TODAY, first=TODAY, last=TODAY,
        division=world.divisions.d1, observed=9, expected=2, low=0, high=5, title="东城区一周信访量异常",
        detail="…", fingerprint="t1",
    )  # fmt: skip
    sign_in(client, "sam")
    page = client.post(f"/analytics/warnings/{w.pk}/", {"note": "  "})
    assert "请填写签收意见" in page.content.decode()
    client.post(f"/analytics/warnings/{w.pk}/", {"note": "已派员核实，系物业集中调价引起。"})
    w.refresh_from_db()
    assert w.acknowledged_by == world.sam and w.ack_note.startswith("已派员核实")
    with pytest.raises(warnings.WarningError, match="已由sam"):
        warnings.acknowledge(w.pk, world.ann, "再签一次")
    sign_in(client, "ann")
    assert "待签收" not in client.get("/analytics/warnings/").content.decode().split("<tbody>")[1]


def test_warnings_outside_the_territory_are_not_shown(client, world):
    south = Warning.objects.create(
        kind=Warning.Kind.SURGE_DAY, severity=2, raised_on=TODAY, first=TODAY, last=TODAY,
        division=world.divisions.d2, observed=9, expected=2, low=0, high=5, title="南山区当日信访量异常",
        detail="…", fingerprint="t2",
    )  # fmt: skip
    assert list(warnings.warnings_for(world.sam)) == [south]
    # a 东城区 viewer does not see 南山区's warning
    world.dina.role = "analyst"
    world.dina.save()
    assert list(warnings.warnings_for(world.dina)) == []
    sign_in(client, "dina")
    assert client.get(f"/analytics/warnings/{south.pk}/").status_code == 404
