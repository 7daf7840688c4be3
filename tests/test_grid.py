"""Grid events on the case kernel: a grid worker files an event from a phone, the centre accepts
and dispatches it, the unit reports what it did, the reporter or the centre verifies on the spot,
the centre closes it; refusals by role, deadlines on the Chinese calendar, the reporter's own view,
conversions into disputes and petition matters, the grid import, statistics."""

from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from conftest import at, sign_in
from disputes_helpers import PARTIES, grid, image_bytes, phone_photo, png, wage_type
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from xinfang.cases.engine import TransitionError
from xinfang.core import clock
from xinfang.core.models import Notification
from xinfang.disputes import services as dispute_services
from xinfang.grid import services, stats
from xinfang.grid.choices import Status
from xinfang.grid.importer import import_grids
from xinfang.grid.models import Grid, GridEvent
from xinfang.grid.workflow import TRANSITIONS
from xinfang.petitions.models import Matter

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def report(world, reporter=None, now=None, **overrides):
    g = grid(world)
    fields = {"kind": "safety", "title": "湖滨路井盖缺失", "description": "湖滨路3号门口井盖缺失，夜间有人险些跌落。",
              "grid": g, "headcount": 1, "photos": [png()]}  # fmt: skip
    fields.update(overrides)
    return services.report(reporter or world.gwen, now=now, **fields)


def walk(world, to):
    e = report(world)
    steps = [
        (Status.ACCEPTED, world.tina, "accept", {}),
        (Status.DISPATCHED, world.tina, "dispatch", {"unit": world.units.d1_dept}),
        (Status.HANDLED, world.hank, "handle", {"note": "已补装井盖并设置警示。"}),
        (Status.VERIFIED, world.gwen, "confirm", {"passed": True, "photos": [png()]}),
        (Status.CLOSED, world.tom, "close", {}),
    ]
    for status, actor, action, params in steps:
        if e.status == to:
            break
        e = services.perform(e.pk, actor, action, **params)
        assert e.status == status
    return e


def test_an_event_from_report_to_closing(world):
    e = report(world, now=at(2026, 11, 23, 9))
    assert (e.status, e.holder_unit, e.centre, e.due_step) == (
        Status.REPORTED,
        world.units.t1,
        world.units.t1,
        "event_accept",
    )
    assert e.photos.get().content_type == "image/png"
    told = set(
        Notification.objects.filter(kind="register").values_list("recipient_user__username", flat=True)
    )
    assert told == {"tom", "tina"}
    e = services.perform(e.pk, world.tom, "accept")
    e = services.perform(e.pk, world.tina, "dispatch", unit=world.units.d1_dept)
    assert (e.holder_unit, e.due_step) == (world.units.d1_dept, "event_handle")
    assert e.due_date == date(2026, 11, 30)  # 7 days from Monday 11-23
    e = services.perform(e.pk, world.hank, "handle", note="已补装井盖并设置警示。")
    assert (e.status, e.holder_unit, e.handled_in_time) == (Status.HANDLED, world.units.t1, True)
    with pytest.raises(TransitionError, match="核查未通过的情况"):
        services.perform(e.pk, world.gwen, "confirm", passed=False)
    e = services.perform(
        e.pk, world.gwen, "confirm", passed=False, note="井盖尺寸不符，仍有缝隙。", photos=[png()]
    )
    assert (e.status, e.holder_unit, e.verify_failures) == (Status.DISPATCHED, world.units.d1_dept, 1)
    e = services.perform(e.pk, world.hope, "handle", note="已更换为标准井盖。")
    e = services.perform(e.pk, world.tina, "verify", passed=True, photos=[png()])
    assert (e.status, e.verify_rounds, e.verify_failures) == (Status.VERIFIED, 2, 1)
    e = services.perform(e.pk, world.tom, "close")
    assert e.status == Status.CLOSED and e.closed_on == clock.today()
    assert e.photos.count() == 3
    assert list(e.events.values_list("action", flat=True)) == [
        "register", "accept", "dispatch", "handle", "confirm", "handle", "verify", "close",
    ]  # fmt: skip


def test_photos_are_kept_without_where_and_when_they_were_taken(world):
    """A phone writes the GPS position, the time and the phone into each photo: nothing of it is
    stored (no record of where the reporter stood); the photo is kept upright and at most
    PHOTO_MAX_SIDE pixels on its longer side."""
    upload = phone_photo()
    assert Image.open(upload).getexif().get_ifd(0x8825)  # the GPS block is there when sent
    upload.seek(0)
    e = report(world, photos=[upload, SimpleUploadedFile("远景.jpg", image_bytes("JPEG", (5000, 1000)))])
    near, far = e.photos.order_by("pk")
    with near.file.open("rb") as f:
        data = f.read()
    stored = Image.open(BytesIO(data))
    assert stored.format == "JPEG" and near.content_type == "image/jpeg"
    assert dict(stored.getexif()) == {} and b"Exif" not in data
    assert stored.size == (20, 40)  # turned as the orientation said, then the orientation dropped
    assert near.size == len(data) and near.name == "现场.jpg"
    with far.file.open("rb") as f:
        assert Image.open(f).size == (2560, 512)


def test_photos_are_read_before_the_transaction_that_stores_them(world, monkeypatch):
    """Decoding a phone's photo takes a while: not while the database's write lock is held."""
    from django.db import connection

    from xinfang.core import uploads

    depths, clean = [], uploads.clean_photo

    def spy(upload, content_type):
        depths.append(len(connection.savepoint_ids))
        return clean(upload, content_type)

    monkeypatch.setattr(uploads, "clean_photo", spy)
    outside = len(connection.savepoint_ids)
    e = walk(world, Status.HANDLED)
    services.perform(e.pk, world.gwen, "confirm", passed=True, photos=[phone_photo()])
    assert depths == [outside, outside]  # the report's photo and the confirmation's


def test_a_photo_that_cannot_be_read_is_refused_in_chinese(world):
    broken = SimpleUploadedFile("坏.jpg", b"\xff\xd8\xff" + b"\x00" * 40)
    with pytest.raises(ValidationError, match="照片「坏.jpg」无法读取"):
        report(world, photos=[broken])
    assert not GridEvent.objects.exists()


# Who may take each step of an event of 湖滨社区 (centre 东湖街道办), dispatched to 东城区住建局.
MAY = {
    ("accept", Status.REPORTED): {"tom", "tina"},
    ("reject", Status.REPORTED): {"tom", "tina"},
    ("dispatch", Status.ACCEPTED): {"tom", "tina"},
    ("to_dispute", Status.ACCEPTED): {"tom", "tina"},
    # Registrars and dispatchers who see the event (the city and district bureaus, 属地).
    ("to_matter", Status.ACCEPTED): {"alice", "bob", "dan", "dave", "qian"},
    ("handle", Status.DISPATCHED): {"hank", "hope"},
    ("verify", Status.HANDLED): {"tom", "tina"},
    ("confirm", Status.HANDLED): {"gwen"},  # the reporter, not ivy of the same grid
    ("close", Status.VERIFIED): {"tom", "tina"},
}


@pytest.mark.parametrize("status", [Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED,
                                    Status.VERIFIED, Status.CLOSED])  # fmt: skip
def test_every_transition_allowed_and_refused_by_role(world, status):
    e = walk(world, status)
    for action, t in TRANSITIONS.items():
        allowed = MAY.get((action, status), set())
        for username, user in world.users.items():
            assert services.can_perform(user, e, t) == (username in allowed), (action, status, username)


def test_refusals_say_why(world):
    e = walk(world, Status.HANDLED)
    with pytest.raises(TransitionError, match="只能由该事件的上报人办理"):
        services.perform(e.pk, world.ivy, "confirm", passed=True)
    with pytest.raises(TransitionError, match="只能由网格员、社会信息员办理"):
        services.perform(e.pk, world.tom, "confirm", passed=True)
    with pytest.raises(TransitionError, match="没有办理信访事项的权限"):
        services.perform(e.pk, world.gwen, "verify", passed=True)
    other = Grid.objects.create(code="990101001001002", name="湖滨社区第2网格", division=world.divisions.village,
                                unit=world.units.t1)  # fmt: skip
    with pytest.raises(TransitionError, match="不是「湖滨社区第2网格」的网格员"):
        report(world, grid=other)
    with pytest.raises(TransitionError, match="只有网格员、社会信息员可以上报"):
        report(world, reporter=world.tom)


def test_urgent_words_mark_the_event_urgent_and_shorten_its_deadline(world):
    e = report(
        world, title="工地围墙有倒塌危险", description="湖滨路工地围墙开裂倾斜，随时可能倒塌砸伤路人。"
    )
    assert e.urgent and e.urgency_level == 2 and e.urgency_note
    e = services.perform(e.pk, world.tina, "accept")
    e = services.perform(e.pk, world.tina, "dispatch", unit=world.units.d1_dept, urgent=True)
    assert (e.due_step, e.due_date) == ("event_handle_urgent", date(2026, 11, 24))
    quiet = report(world, title="路灯不亮", description="小区门口路灯坏了。")
    assert not quiet.urgent and quiet.urgency_level == 0


def test_deadlines_over_national_day_and_the_spring_festival_make_up_saturday(world):
    # Reported Tuesday 2025-09-30: a day to accept; 10-01 … 10-08 are holidays.
    e = report(world, now=at(2025, 9, 30, 16))
    assert (e.due_step, e.due_date) == ("event_accept", date(2025, 10, 9))
    # Reported Friday 2026-02-13: Saturday 02-14 is a 调休 working day before 春节.
    e = report(world, now=at(2026, 2, 13, 16))
    assert e.due_date == date(2026, 2, 14)


def test_overdue_events_are_reminded_once(world):
    e = report(world, now=at(2026, 2, 13, 16))
    clock.travel_to(datetime(2026, 2, 16, 9, tzinfo=TZ))
    assert services.sweep()["overdue"] == 1
    assert services.sweep()["overdue"] == 0
    body = Notification.objects.get(kind="reminder_overdue", recipient_user=world.tina).body
    assert e.number in body and "网格事件受理期限为2026年2月14日" in body
    from xinfang.supervision.models import Reminder

    assert Reminder.objects.filter(case_type="grid_event", case_id=e.pk, kind="overdue").count() == 1


def test_reject_as_duplicate(world):
    first = report(world)
    second = report(world, reporter=world.ivy)
    with pytest.raises(TransitionError, match="请填写与之重复的事件编号"):
        services.perform(second.pk, world.tina, "reject", reason="duplicate")
    second = services.perform(second.pk, world.tina, "reject", reason="duplicate", duplicate_of=first)
    assert (second.status, second.duplicate_of) == (Status.REJECTED, first)


def test_the_reporter_sees_their_own_events_and_nothing_else(client, world):
    mine = walk(world, Status.CLOSED)
    other = report(world, reporter=world.ivy, title="垃圾堆放")
    sign_in(client, "gwen")
    page = client.get(reverse("grid:mine")).content.decode()
    assert mine.title in page and "垃圾堆放" not in page
    assert client.get(reverse("grid:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("grid:detail", args=[other.pk])).status_code == 404
    photo = other.photos.get()
    assert client.get(reverse("grid:photo", args=[photo.pk])).status_code == 404
    for name in ("petitions:queue", "disputes:list", "grid:queue", "supervision:board"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get("/")["Location"] == reverse("grid:mine")


def test_scoping_of_events_by_division_and_unit(world):
    e = walk(world, Status.DISPATCHED)
    seen = {
        u for u, user in world.users.items() if GridEvent.objects.visible_to(user).filter(pk=e.pk).exists()
    }
    assert seen == {
        "alice",
        "bob",
        "carol",
        "sam",
        "leo",
        "dan",
        "dave",
        "dina",
        "qian",
        "tom",
        "tina",
        "hank",
        "hope",
    }


def test_an_event_becomes_a_dispute(world):
    e = walk(world, Status.ACCEPTED)
    with pytest.raises(TransitionError, match="不在您的工作范围内"):
        dispute_services.from_event(e.pk, world.nora, dispute_type=wage_type(), parties=[dict(PARTIES[0])])
    d = dispute_services.from_event(e.pk, world.tom, dispute_type=wage_type(), parties=[dict(PARTIES[0])])
    e.refresh_from_db()
    assert e.status == Status.TO_DISPUTE and d.event == e and d.source == "grid" and d.grid == e.grid
    assert list(e.disputes.all()) == [d]


def test_an_event_becomes_a_petition_matter(client, world):
    e = walk(world, Status.ACCEPTED)
    sign_in(client, "dave")
    r = client.post(
        reverse("grid:to_matter", args=[e.pk]), {"category": world.category.pk, "channel": "visit"}
    )
    matter = Matter.objects.get(title=e.title)
    assert r["Location"] == reverse("petitions:detail", args=[matter.pk])
    e.refresh_from_db()
    assert (e.status, e.matter) == (Status.TO_MATTER, matter)


def test_the_list_of_all_events_is_filtered_and_exported_within_scope(client, world):
    from openpyxl import load_workbook

    done = walk(world, Status.CLOSED)
    clock.travel_to(datetime(2026, 11, 25, 9, tzinfo=TZ))
    waiting = report(world, kind="environment", title="垃圾堆放多日")
    sign_in(client, "tina")
    page = client.get(reverse("grid:queue"), {"tab": "all", "status": "closed"}).content.decode()
    assert done.number in page and waiting.number not in page

    def exported(username, **query):
        client.logout()
        sign_in(client, username)
        response = client.get(reverse("grid:export"), {"tab": "all", **query})
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
        return [row for row in sheet.iter_rows(min_row=2, values_only=True)]

    rows = exported("tina", reported_from="2026-11-24", reported_to="2026-11-30")
    assert [(r[0], r[5], r[10]) for r in rows] == [(waiting.number, "环境卫生", "已上报")]
    rows = exported("tina", status="closed")
    assert [(r[0], r[1].date(), r[16], r[19].date()) for r in rows] == [
        (done.number, date(2026, 11, 23), "是", date(2026, 11, 23))
    ]
    assert exported("nora") == []  # a unit of another district sees none of them


def test_grid_import(world):
    csv = (
        "网格编码,网格名称,所属村（社区）代码,责任单位,网格员\n"
        "990101001001001,湖滨社区第1网格,990101001001,东湖街道办事处,gwen、ivy\n"
        "990101001001002,湖滨社区第2网格,990101001001,东湖街道办事处,\n"
    ).encode()
    assert import_grids(csv) == (2, [])
    assert set(Grid.objects.get(code="990101001001001").workers.values_list("username", flat=True)) == {
        "gwen",
        "ivy",
    }
    bad = (
        "网格编码,网格名称,所属村（社区）代码,责任单位,网格员\n"
        "99010100100101,错编码,990101001001,东湖街道办事处,tom\n"
        "990101001001003,第3网格,990101001,不存在的单位,nobody\n"
    ).encode()
    written, errors = import_grids(bad)
    assert written == 0
    assert [str(e) for e in errors] == [
        "第2行「网格员」：这些账号不是网格员或信息员：tom",
        "第3行「责任单位」：系统中没有单位「不存在的单位」",
        "第3行「网格员」：没有这些账号：nobody",
    ]


def test_grid_code_is_the_division_code_and_three_digits(world):
    from django.core.exceptions import ValidationError

    g = Grid(code="9901010010011", name="x", division=world.divisions.village, unit=world.units.t1)
    with pytest.raises(ValidationError, match="区划代码加3位顺序号"):
        g.full_clean()
    g = Grid(code="990101001001", name="x", division=world.divisions.township, unit=world.units.t1)
    with pytest.raises(ValidationError, match="村（社区）之下"):
        g.full_clean()


def test_statistics_by_grid_type_and_unit(world):
    walk(world, Status.CLOSED)  # handled on time, verified at the first visit
    late = walk(world, Status.DISPATCHED)
    clock.travel_to(datetime(2026, 12, 3, 10, tzinfo=TZ))  # past the 7 days
    late = services.perform(late.pk, world.hank, "handle", note="已处理")
    services.perform(late.pk, world.gwen, "confirm", passed=False, note="未处理到位", photos=[png()])
    report(world, kind="environment", title="垃圾堆放")
    rep = stats.report(world.dina, date(2026, 11, 1), date(2026, 12, 31))
    total = rep["total"]
    assert (total.reported, total.handled, total.in_time_rate, total.pass_rate) == (3, 2, "50.0%", "50.0%")
    assert total.days_text == "5.0天"  # 0 days and 10 days
    assert {r.label: r.reported for r in rep["kind"]} == {"安全隐患": 2, "环境卫生": 1}
    assert {r.label: r.reported for r in rep["handling_unit"]} == {"东城区住房和城乡建设局": 2, "未分拨": 1}
    by_unit = {r.label: r for r in rep["handling_unit"]}
    assert (by_unit["东城区住房和城乡建设局"].days_text, by_unit["未分拨"].days_text) == ("5.0天", "—")
    (row,) = rep["grid"]
    assert (row.label, row.reported, row.in_time_rate, row.pass_rate) == (
        grid(world).name,
        3,
        "50.0%",
        "50.0%",
    )
