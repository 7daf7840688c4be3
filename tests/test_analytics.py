"""The analytics column store, the dashboard panels and their drill-down."""

import io
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from conftest import PETITIONER, TZ, Driver, at, sign_in
from django.core.files.storage import storages
from openpyxl import load_workbook

from xinfang.analytics import panels, snapshot
from xinfang.analytics.figures import Count, Lights, Point
from xinfang.analytics.frame import Filter, Tree, day_number
from xinfang.analytics.panels import Period, Selection
from xinfang.core import clock
from xinfang.petitions.choices import Channel, Nature, Status
from xinfang.petitions.models import Category, Matter


def test_tree_numbers_every_subtree_as_one_range():
    tree = Tree.build(
        [(10, None, "市"), (11, 10, "东城"), (12, 11, "东湖"), (13, 10, "南山"), (20, None, "他市")]
    )
    assert tree.ids == [10, 11, 12, 13, 20]
    assert tree.end == [4, 3, 3, 4, 5]
    assert tree.children(0) == [1, 3] and tree.children(-1) == [0, 4]
    assert list(tree.subtree_totals(np.array([1, 2, 3, 4, 5]))) == [10, 5, 3, 4, 5]
    assert tree.path(2) == [0, 1, 2]
    assert list(tree.lookup_array()[[10, 12, 20, 15]]) == [0, 2, 4, -1]


@pytest.mark.parametrize(
    "first, last, previous, last_year, label",
    [
        (
            date(2026, 10, 1),
            date(2026, 10, 31),
            (date(2026, 9, 1), date(2026, 9, 30)),
            (date(2025, 10, 1), date(2025, 10, 31)),
            "2026年10月",
        ),
        (
            date(2026, 3, 1),
            date(2026, 3, 31),
            (date(2026, 2, 1), date(2026, 2, 28)),
            (date(2025, 3, 1), date(2025, 3, 31)),
            "2026年3月",
        ),
        (
            date(2026, 7, 1),
            date(2026, 9, 30),
            (date(2026, 4, 1), date(2026, 6, 30)),
            (date(2025, 7, 1), date(2025, 9, 30)),
            "2026年第三季度",
        ),
        (
            date(2025, 1, 1),
            date(2025, 12, 31),
            (date(2024, 1, 1), date(2024, 12, 31)),
            (date(2024, 1, 1), date(2024, 12, 31)),
            "2025年",
        ),
        (
            date(2024, 2, 20),
            date(2024, 2, 29),
            (date(2024, 2, 10), date(2024, 2, 19)),
            (date(2023, 2, 20), date(2023, 2, 28)),
            "2024年2月20日至2024年2月29日",
        ),
    ],
)
def test_periods_compare_with_the_same_period_last_year_and_the_one_before(
    first, last, previous, last_year, label
):
    p = Period(first, last)
    assert (p.previous().first, p.previous().last) == previous
    assert (p.last_year().first, p.last_year().last) == last_year
    assert p.label() == label


def _matter(driver, when, **fields):
    driver.now = when
    return driver.register(**fields)


@pytest.fixture
def october(world):
    """Matters in October 2026 (and a few in September and October 2025) across channels,
    categories and divisions, registered through the write path."""
    d = Driver(world)
    other = Category.objects.get(name="工资福利")
    w = world
    made = {
        "letter_village": [_matter(d, at(2026, 10, day)) for day in (1, 2, 3)],
        "online_d2": [
            _matter(d, at(2026, 10, 5), channel=Channel.ONLINE, division=w.divisions.d2, category=other)
            for _ in range(2)
        ],
        # received at 00:00 local time on 1 October: October, not September
        "midnight": [_matter(d, datetime(2026, 10, 1, 0, 0, tzinfo=TZ), channel=Channel.VISIT)],
        "late_september": [_matter(d, datetime(2026, 9, 30, 23, 59, tzinfo=TZ), channel=Channel.VISIT)],
        "collective": [
            _matter(
                d,
                at(2026, 10, 9),
                channel=Channel.VISIT,
                is_collective=True,
                headcount=12,
                division=w.divisions.township,
            )
        ],
        "accusation": [
            _matter(d, at(2026, 10, 12), nature=Nature.ACCUSATION, complained_unit=w.units.d1_dept)
        ],
        "last_year": [_matter(d, at(2025, 10, day)) for day in (3, 4)],
    }
    d.screen(made["accusation"][0], units=[w.units.d1_dept])
    repeat = made["letter_village"][2]
    Matter.objects.filter(pk=repeat.pk).update(repeat_of=made["late_september"][0])
    d.now = at(2026, 10, 20)
    made["assigned"] = d.do(made["letter_village"][0], "assign", days=0)
    return made


def _selection(frame, first=date(2026, 10, 1), last=date(2026, 10, 31), **kw):
    return Selection(
        frame=frame, period=Period(first, last), today=date(2026, 11, 22), visible=Matter.objects.all(), **kw
    )


def test_snapshot_counts_what_the_records_hold(world, october):
    result = snapshot.refresh()
    assert result["matters"] == Matter.objects.count() == 11
    frame = snapshot.current()
    selection = _selection(frame)
    summary = panels.summary(selection)
    # 3 letters + 2 online + midnight visit + collective + accusation = 8 in October 2026,
    # 2 in October 2025 (同比 +300%), 1 in September 2026 (环比 +700%)
    assert summary.matters == Count(8, previous=1, last_year=2)
    assert summary.people.current == 7 + 12
    assert summary.repeat_matters.current == 1
    assert summary.collective_matters.current == 1 and summary.collective_people.current == 12
    channels = {r.name: r.count for r in panels.by_channel(selection).rows}
    assert channels == {"来信": 4, "网上": 2, "来访": 2}
    divisions = {
        r.name: r.count
        for r in panels.by_division(
            _selection(frame, division=frame.divisions.position()[world.divisions.city.pk])
        ).rows
    }
    assert divisions == {"东城区": 6, "南山区": 2}
    # narrowed to 南山区 by the division filter, everything else follows
    south = _selection(frame, division=frame.divisions.position()[world.divisions.d2.pk])
    assert panels.summary(south).matters.current == 2
    assert {r.name: r.count for r in panels.by_category(south).rows} == {"劳动和社会保障": 2}
    units = {r.name: r.count for r in panels.by_unit(selection).rows}
    # the assigned matter counts for its handling unit, the rest for the registering bureau
    assert units == {"东城区住房和城乡建设局": 1, "青溪市信访局": 7}
    trend = panels.trend(selection)
    assert trend.by == "day" and len(trend.points) == 31
    assert trend.points[0] == Point(date(2026, 10, 1), 2, 0) and trend.points[4] == Point(
        date(2026, 10, 5), 2, 0
    )
    assert sum(p.count for p in trend.points) == 8 and sum(p.last_year for p in trend.points) == 2


def test_filters_select_the_same_matters_as_the_records(world, october):
    snapshot.refresh()
    frame = snapshot.current()
    d1 = world.divisions.d1
    f = Filter(
        day_number(date(2026, 10, 1)),
        day_number(date(2026, 10, 31)),
        channels=(next(i for i, c in enumerate(frame.channels) if c[0] == Channel.LETTER),),
        division=(frame.divisions.position()[d1.pk], frame.divisions.end[frame.divisions.position()[d1.pk]]),
    )
    expected = Matter.objects.filter(
        channel=Channel.LETTER,
        division__path__startswith=d1.path,
        received_at__gte=at(2026, 10, 1, 0),
        received_at__lt=at(2026, 11, 1, 0),
    )
    sel = frame.select(f)
    assert expected.count() == 4  # three letters and the accusation
    assert sorted(int(i) for i in frame.values("id", sel)) == sorted(expected.values_list("pk", flat=True))


def test_backlog_lights_agree_with_the_queue_filters(client, world, driver):
    # one matter overdue for acceptance, one 临期, one on time, one closed
    driver.now = at(2026, 9, 1)
    overdue = driver.do(driver.register(), "assign", days=0)
    driver.now = at(2026, 11, 10)
    warning = driver.do(driver.register(), "assign", days=0)
    driver.now = at(2026, 11, 21)
    fresh = driver.do(driver.register(), "assign", days=0)
    driver.now = at(2026, 10, 1)
    done = driver.do(driver.register(), "withdraw")
    assert done.status == Status.WITHDRAWN
    for m in (overdue, warning, fresh):
        m.refresh_from_db()
    today = date(2026, 11, 22)
    clock.travel_to(today)
    assert overdue.due_date < today <= warning.due_date and warning.warn_date <= today < fresh.warn_date
    snapshot.refresh()
    selection = _selection(snapshot.current())
    assert panels.backlog_totals(selection) == Lights(open=3, warning=1, overdue=1)
    (held,) = panels.backlog(selection)
    assert (held.name, held.open.current, held.warning.current, held.overdue.current) == (
        "东城区住房和城乡建设局", 3, 1, 1,
    )  # fmt: skip
    sign_in(client, "sam")
    for link, expected in (
        (held.open.link, {overdue, warning, fresh}),
        (held.warning.link, {warning}),
        (held.overdue.link, {overdue}),
    ):
        body = client.get(link).content.decode()
        assert {m for m in (overdue, warning, fresh, done) if m.display_code in body} == expected, link


def test_dashboard_drills_down_to_the_matters_behind_a_count(client, world, october):
    snapshot.refresh()
    sign_in(client, "sam")
    response = client.get("/analytics/", {"first": "2026-10-01", "last": "2026-10-31"})
    body = response.content.decode()
    assert response.status_code == 200
    for title in (
        "总体情况",
        "按信访方式",
        "按内容分类",
        "按问题属地",
        "按承办单位",
        "在办事项及期限",
        "办理时间最长",
    ):
        assert title in body
    channel = panels.by_channel(_selection(snapshot.current()))
    letter = next(r.link for r in channel.rows if r.key == Channel.LETTER)
    assert letter.replace("&", "&amp;") in body
    listed = client.get(letter).content.decode()
    expected = Matter.objects.filter(
        channel=Channel.LETTER, received_at__gte=at(2026, 10, 1, 0), received_at__lt=at(2026, 11, 1, 0)
    )
    assert expected.count() == 4
    assert all(m.display_code in listed for m in expected)
    assert not any(m.display_code in listed for m in Matter.objects.exclude(pk__in=expected))


def test_analysts_see_numbers_but_no_matters(client, world, october):
    snapshot.refresh()
    sign_in(client, "ann")
    body = client.get("/analytics/", {"first": "2026-10-01", "last": "2026-10-31"}).content.decode()
    assert "按信访方式" in body
    assert "/matters/" not in body and "停车费" not in body and PETITIONER["name"] not in body
    sign_in(client, "hank")
    assert client.get("/analytics/").status_code == 403


def test_every_table_exports_to_excel(client, world, october):
    snapshot.refresh()
    sign_in(client, "leo")
    response = client.get(
        "/analytics/", {"first": "2026-10-01", "last": "2026-10-31", "export": "by_channel"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "按信访方式"
    assert [c.value for c in sheet[1]][:2] == ["名称", "本期（件）"]
    assert {r[0].value: r[1].value for r in sheet.iter_rows(min_row=2) if r[1].value} == {
        "来信": 4,
        "网上": 2,
        "来访": 2,
    }
    everything = client.get("/analytics/", {"first": "2026-10-01", "last": "2026-10-31", "export": "all"})
    names = load_workbook(io.BytesIO(everything.content)).sheetnames
    assert "总体情况" in names and "按问题属地" in names and len(names) >= 10
    assert client.get("/analytics/", {"export": "nonsense"}).status_code == 403


def test_bad_filters_are_explained_and_the_division_stays_in_the_territory(client, world, october):
    snapshot.refresh()
    sign_in(client, "dina")  # 东城区信访局 unit head: not a dashboard role
    assert client.get("/analytics/").status_code == 403
    sign_in(client, "sam")
    body = client.get("/analytics/", {"first": "2026-10-31", "last": "2026-10-01"}).content.decode()
    assert "起始日期不能晚于截止日期" in body
    body = client.get(
        "/analytics/", {"first": "2026-10-01", "last": "2026-10-31", "division": "abc"}
    ).content.decode()
    assert "选择一个有效的选项" in body


def test_without_a_snapshot_the_page_says_so(client, world):
    sign_in(client, "sam")
    body = client.get("/analytics/").content.decode()
    assert "统计数据正在准备" in body


def test_a_new_generation_replaces_the_old_one(world, october):
    first = snapshot.refresh()["generation"]
    assert len(snapshot.current()) == 11
    driver = Driver(world)
    _matter(driver, at(2026, 10, 30))
    second = snapshot.refresh()["generation"]
    assert second != first and len(snapshot.current()) == 12
    assert storages["analytics"].exists(f"{second}/meta.json")


def test_days_are_local_dates(world, october):
    snapshot.refresh()
    frame = snapshot.current()
    midnight = october["midnight"][0]
    row = int(np.flatnonzero(np.asarray(frame.columns["id"]) == midnight.pk)[0])
    assert int(frame.columns["day"][row]) == day_number(date(2026, 10, 1))


def test_the_cockpit_shows_what_needs_a_leader_first(client, world, october):
    from xinfang.analytics.models import Warning
    from xinfang.supervision import supervisions

    snapshot.refresh()
    today = clock.today()
    Warning.objects.create(
        kind=Warning.Kind.SURGE_DAY, severity=3, raised_on=today, first=today, last=today,
        division=world.divisions.d1, observed=20, expected=2, low=0, high=6,
        title="东城区「物业管理」当日信访量异常：20件（预期0～6件）", detail="…", fingerprint="c1",
    )  # fmt: skip
    matter = october["assigned"]
    sup = supervisions.issue(
        world.sam, kind="supervise", cases=[matter], level="red", reasons=["overdue"],
        text="请加快办理物业收费问题", due_on=today + timedelta(days=2),
    )  # fmt: skip
    sign_in(client, "leo")
    body = client.get("/analytics/cockpit/").content.decode()
    assert "领导驾驶舱" in body and "东城区「物业管理」当日信访量异常" in body
    assert sup.number in body
    assert "昨日收到" in body and "待签收预警" in body
    sign_in(client, "hank")
    assert client.get("/analytics/cockpit/").status_code == 403


def test_each_column_holds_what_its_one_definition_reads(world, october):
    """The store's columns and the SELECT that fills them come from snapshot.columns(): every
    column holds, for every matter, the value its definition names (a column read by another
    column's SQL would show here)."""
    from django.utils import timezone

    from xinfang.petitions.workflow import PETITIONER_WINDOWS

    complaint = Driver(world).register(request_type="complaint", complained_unit=world.units.d1_dept)
    snapshot.refresh()
    frame = snapshot.current()
    cols = snapshot.columns()
    assert sorted(frame.columns) == sorted(c.name for c in cols)
    assert snapshot.select_sql(cols).count(",") >= len(cols) - 1
    code = {
        name: {value: i for i, (value, _label) in enumerate(choices)}
        for name, choices in (
            ("channel", Channel.choices),
            ("nature", Nature.choices),
            ("status", Status.choices),
        )
    }
    cat, div, unit = frame.categories.position(), frame.divisions.position(), frame.units.position()

    def staff_day(m, day):
        return -1 if day is None or m.due_step in PETITIONER_WINDOWS or m.clock_paused else day_number(day)

    rows = {int(pk): i for i, pk in enumerate(np.asarray(frame.columns["id"]))}
    matters = Matter.objects.all()
    accused = october["accusation"][0]  # its 被反映单位 is never counted
    assert len(matters) == len(rows) == 12
    for m in matters:
        expected = {
            "id": m.pk,
            "day": day_number(timezone.localtime(m.received_at).date()),
            "channel": code["channel"][m.channel],
            "nature": code["nature"][m.nature],
            "status": code["status"][m.status],
            "category": cat[m.category_id],
            "division": div[m.division_id],
            "unit": unit[m.handling_unit_id or m.holder_unit_id],
            "holder": unit[m.holder_unit_id],
            "complained": unit[m.complained_unit_id] if m.complained_unit_id and m != accused else -1,
            "repeat": int(m.repeat_of_id is not None),
            "collective": int(m.is_collective),
            "heads": m.headcount,
            "due": staff_day(m, m.due_date),
            "warn": staff_day(m, m.warn_date),
        }
        got = {c.name: int(frame.columns[c.name][rows[m.pk]]) for c in cols}
        assert got == expected, m.pk
    assert frame.columns["complained"][rows[complaint.pk]] == unit[world.units.d1_dept.pk]
    # the october fixture has a complained unit, a repeat, a collective visit and running deadlines
    assert {"complained", "repeat", "collective"} <= {
        name for name in ("complained", "repeat", "collective") if np.asarray(frame.columns[name]).max() > 0
    }


def test_a_tree_of_40000_divisions_keeps_every_position(world):
    """A province has more villages than int16 holds: positions past 32,767 stay right (the
    column grows to int32), and a value that would not fit its type stops the build."""
    from xinfang.analytics.frame import position_dtype, typed
    from xinfang.org.models import Division

    township = world.divisions.township
    Division.objects.bulk_create(
        Division(
            code=f"9901019{n:05d}",
            name=f"第{n}村",
            level=5,
            parent=township,
            path=f"{township.path}9901019{n:05d}/",
        )
        for n in range(40_000)
    )
    far_village = Division.objects.get(code="990101939999")
    d = Driver(world)
    made = {
        "d2": [_matter(d, at(2026, 10, 5), division=world.divisions.d2) for _ in range(3)],
        "far": [_matter(d, at(2026, 10, 6), division=far_village) for _ in range(2)],
        "near": [_matter(d, at(2026, 10, 7))],
    }
    snapshot.refresh()
    frame = snapshot.current()
    tree = frame.divisions
    assert len(tree.ids) > 40_000 and frame.columns["division"].dtype == np.int32
    positions = tree.position()
    assert positions[world.divisions.d2.pk] > 32_767 and positions[far_village.pk] > 32_767
    ids, divisions = (np.asarray(frame.columns[name]).tolist() for name in ("id", "division"))
    stored = dict(zip(ids, divisions, strict=True))
    for matters in made.values():
        for m in matters:
            assert stored[m.pk] == positions[m.division_id]
    city = positions[world.divisions.city.pk]
    selection = _selection(frame, division=city)
    assert {r.name: r.count for r in panels.by_division(selection).rows} == {"东城区": 3, "南山区": 3}
    south = _selection(frame, division=positions[world.divisions.d2.pk])
    assert panels.summary(south).matters.current == 3
    assert position_dtype(32_768) == np.int16 and position_dtype(32_769) == np.int32
    with pytest.raises(ValueError, match="超出 int16"):
        typed("division", np.array([0, 40_000]), np.int16)
    with pytest.raises(ValueError, match="超出 bool"):
        typed("repeat", np.array([0, 2]), np.bool_)


def test_the_pages_say_which_dates_the_period_and_its_bases_cover(client, world, october):
    snapshot.refresh()
    sign_in(client, "leo")
    body = client.get("/analytics/", {"first": "2026-10-01", "last": "2026-10-31"}).content.decode()
    assert (
        "本期：收到日期为2026年10月1日至2026年10月31日的信访事项；同期：2025年10月1日至2025年10月31日；"
        "上期：2026年9月1日至2026年9月30日。"
    ) in body
    # the cockpit's period is this month up to today (the test clock: 23 November 2026), and its
    # 上期 the 23 days before
    body = client.get("/analytics/cockpit/").content.decode()
    assert (
        "本期：收到日期为2026年11月1日至2026年11月23日的信访事项；同期：2025年11月1日至2025年11月23日；"
        "上期：2026年10月9日至2026年10月31日。"
    ) in body
    assert "“本期”指所选月份、季度或年度内收到的信访事项" in client.get("/analytics/report/").content.decode()
