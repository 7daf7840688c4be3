"""Matters 转送/交办 from the level above: the upper level's due date governs when it is earlier than
this level's own (lights, 催办 and 督办 read it), and the 办结报告 goes back up once the matter is
answered (.docx in the 公文 layout, .json and .xlsx for the upper system)."""

import io
import json
from datetime import date

from conftest import Driver, at, sign_in
from docx import Document
from openpyxl import load_workbook

from xinfang.cases.engine import recompute_deadline
from xinfang.core import clock
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.services import MATTER, sweep
from xinfang.petitions.views import deadline_light

UPPER = {"channel": Channel.UPPER_ASSIGNED, "upper_reference": "青信交〔2026〕18号"}


def test_the_upper_due_date_governs_when_it_is_earlier(world):
    driver = Driver(world, start=at(2026, 11, 23))
    own = driver.to(Status.HANDLING)
    assert own.due_date == date(2027, 1, 25)  # 60 days from acceptance on 11-24, to a working day
    due_upstairs = driver.to(Status.HANDLING, upper_due_date=date(2026, 12, 10), **UPPER)
    assert due_upstairs.due_step == "handling" and due_upstairs.due_date == date(2026, 12, 10)
    assert due_upstairs.warn_date < due_upstairs.due_date
    later_upstairs = driver.to(Status.HANDLING, upper_due_date=date(2027, 6, 1), **UPPER)
    assert own.due_date < later_upstairs.due_date < date(2027, 2, 1)  # its own 60 days are the earlier


def test_the_cap_holds_from_registration_and_not_for_the_petitioners_windows(world):
    driver = Driver(world, start=at(2026, 11, 23))
    registered = driver.register(upper_due_date=date(2026, 11, 30), **UPPER)
    assert registered.due_step == "dispatch" and registered.due_date == date(2026, 11, 30)
    replied = driver.to(Status.REPLIED, upper_due_date=date(2026, 11, 30), **UPPER)
    assert replied.due_step == "review_request" and replied.due_date > date(2026, 11, 30)
    replied.status = Status.HANDLING  # the rule, asked for the handling step directly
    recompute_deadline(MATTER, replied, date(2026, 11, 24))
    assert replied.due_date == date(2026, 11, 30)


def test_lights_and_reminders_follow_the_upper_due_date(world):
    driver = Driver(world, start=at(2026, 11, 23))
    matter = driver.to(Status.HANDLING, upper_due_date=date(2026, 12, 10), **UPPER)
    assert deadline_light(matter, date(2026, 12, 11))[0] == "overdue"
    clock.travel_to(at(2026, 12, 11))
    sweep()
    matter.refresh_from_db()
    assert matter.reminded_level == 2  # 超期催办 on the upper date, not twelve days later


def completion(client, matter, fmt):
    return client.get(f"/documents/matters/{matter.pk}/completion.{fmt}")


def test_the_completion_report_exists_once_the_matter_is_answered(client, world):
    driver = Driver(world, start=at(2026, 11, 23))
    handling = driver.to(Status.HANDLING, upper_due_date=date(2026, 12, 10), **UPPER)
    sign_in(client, "alice")
    assert completion(client, handling, "docx").status_code == 404
    answered = driver.to(Status.REPLIED, upper_due_date=date(2026, 12, 10), **UPPER)
    page = client.get(f"/matters/{answered.pk}/").content.decode()
    assert f"/documents/matters/{answered.pk}/completion.docx" in page

    data = json.loads(completion(client, answered, "json").content)
    assert data["upper_reference"] == "青信交〔2026〕18号" and data["upper_due_date"] == "2026-12-10"
    assert data["on_time"] is True and data["outcome"] == "支持" and data["code"] == answered.code
    assert "李明" not in json.dumps(data, ensure_ascii=False)  # no personal data for the upper system

    book = load_workbook(io.BytesIO(completion(client, answered, "xlsx").content))
    header, row = [c.value for c in book.active[1]], [c.value for c in book.active[2]]
    assert dict(zip(header, row, strict=True))["上级编号"] == "青信交〔2026〕18号"

    text = "\n".join(
        p.text for p in Document(io.BytesIO(completion(client, answered, "docx").content)).paragraphs
    )
    assert "信访事项办结报告" in text and "青信交〔2026〕18号" in text and "已在上级要求的期限内办结" in text


def test_a_matter_not_from_above_has_no_completion_report(client, world):
    answered = Driver(world, start=at(2026, 11, 23)).to(Status.REPLIED)
    sign_in(client, "alice")
    assert completion(client, answered, "json").status_code == 404
    assert "completion.docx" not in client.get(f"/matters/{answered.pk}/").content.decode()
