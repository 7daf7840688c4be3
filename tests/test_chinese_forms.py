"""The product's own controls, in place of the ones a browser draws in its own language: dates are
shown and typed in 年月日 (every way a clerk writes one), file inputs are the product's file control,
and nothing in the product asks the browser for a date or time control."""

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from xinfang.core.params import DateField, read_date
from xinfang.core.widgets import DateInput, DateTimeInput
from xinfang.grid.forms import PhotoField
from xinfang.petitions.forms import MatterForm, UploadField

ROOT = Path(__file__).resolve().parent.parent / "xinfang"


@pytest.mark.parametrize(
    "typed",
    [
        "2026年12月7日",
        "2026年12月07日",
        "2026-12-07",
        "2026-12-7",
        "2026/12/7",
        "2026.12.07",
        "20261207",
        "２０２６年１２月７日",
    ],
)
def test_a_date_is_read_however_a_clerk_writes_it(typed):
    assert DateField().clean(typed) == date(2026, 12, 7)
    assert read_date(typed) == date(2026, 12, 7)


@pytest.mark.parametrize("typed", ["2026年13月1日", "2026-02-30", "12/07/2026", "明天", "2026年12月"])
def test_a_wrong_date_is_refused_in_chinese(typed):
    field = DateField()
    with pytest.raises(Exception) as refused:
        field.clean(typed)
    assert refused.value.messages == ["请按“2026年12月7日”或“2026-12-07”的样式填写日期。"]
    assert read_date(typed) is None


def test_a_date_box_shows_its_value_in_chinese_and_is_no_browser_date_control():
    html = DateInput().render("due", date(2027, 1, 5))
    assert (
        'type="text"' in html and 'value="2027年1月5日"' in html and 'placeholder="如：2026年1月5日"' in html
    )
    # A value as typed or from a link is shown in 年月日 too; what is not a date is shown as typed.
    assert 'value="2027年1月5日"' in DateInput().render("due", "2027-01-05")
    assert 'value="明天"' in DateInput().render("due", "明天")


def test_a_date_and_time_box_shows_the_local_time():
    moment = datetime(2026, 12, 7, 1, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Beijing
    assert 'value="2026年12月7日 09:30"' in DateTimeInput().render("at", moment)


def test_registration_takes_the_time_received_as_it_is_shown(world):
    form = MatterForm()
    rendered = str(form["received_at"])
    assert re.search(r'value="\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d"', rendered)
    field = form.fields["received_at"]
    assert field.clean("2026年11月20日 09:30") == datetime(
        2026, 11, 20, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert field.clean("2026-11-20T09:30") == datetime(2026, 11, 20, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert field.clean("2026年11月20日") == datetime(2026, 11, 20, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("field", [UploadField(), PhotoField()], ids=["attachments", "photos"])
def test_every_file_field_is_the_products_file_control(field):
    html = field.widget.render("files", None, {"id": "id_files"})
    assert html.startswith('<span class="file-control"><input type="file" name="files"')
    assert '<label for="id_files" class="button secondary">选择文件</label>' in html
    assert '<span class="file-names" aria-live="polite">未选择文件</span>' in html


def test_a_file_input_written_into_a_page_is_the_same_control():
    html = Template(
        '{% load xinfang %}{% file_input "files" "id_files-" 7 accept="image/*" multiple=True %}'
    ).render(Context())
    assert 'id="id_files-7"' in html and 'accept="image/*"' in html and "multiple" in html
    assert '<label for="id_files-7" class="button secondary">选择文件</label>' in html


def test_no_page_asks_the_browser_for_its_own_date_or_file_control():
    """Every template and form of the product: no date, time or bare file input (the browser
    would draw it in its own language)."""
    drawn = re.compile(
        r"""type=["'](date|datetime-local|month|week|time)["']|["']type["']:\s*["'](date|datetime-local)"""
    )
    bare_file = re.compile(r"""<input[^>]*type=["']file""")
    widget_template = ROOT / "templates" / "django" / "forms" / "widgets" / "file.html"
    found = []
    for path in [*ROOT.rglob("*.html"), *ROOT.rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if drawn.search(text) or (path != widget_template and bare_file.search(text)):
            found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_the_statistics_pages_read_their_period_in_chinese(client, world):
    client.force_login(world.sam)
    page = client.get("/disputes/statistics/", {"from": "2026年1月1日", "to": "2026年3月31日"})
    assert (page.context["first"], page.context["last"]) == (date(2026, 1, 1), date(2026, 3, 31))
    body = page.content.decode()
    assert 'name="from" value="2026年1月1日"' in body and 'name="to" value="2026年3月31日"' in body


def test_a_select_with_nothing_chosen_says_please_choose(world):
    html = str(MatterForm()["division"])
    assert '<option value="" selected>请选择</option>' in html and "---------" not in html
