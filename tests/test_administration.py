"""The administrators' pages (/manage/): the working-day calendar and a year's holiday schedule,
deadline policies, units, users, categories and divisions; every change audited; all in Chinese."""

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import chinese_calendar
import pytest
from admin_fixtures import NOTICE_2025, NOTICE_2026, notice_for
from conftest import at, sign_in
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xinfang.audit.labels import detail_text
from xinfang.audit.models import AuditEntry
from xinfang.core import clock
from xinfang.deadlines import service
from xinfang.deadlines.engine import ScheduleUnknown
from xinfang.deadlines.models import CalendarDay, PolicyRule, PolicySet, ScheduleYear
from xinfang.deadlines.schedule_text import parse_csv, parse_notice
from xinfang.org.models import Role, Unit, User

# ---------------------------------------------------------------- reading the notice


def _year_by_builtin_data(year):
    """{day: is_workday} for every day of `year` whose status differs from a plain week."""
    day, out = date(year, 1, 1), {}
    while day.year == year:
        if chinese_calendar.is_workday(day) != (day.weekday() < 5):
            out[day] = chinese_calendar.is_workday(day)
        day += timedelta(days=1)
    return out


def _differs_from_plain_week(days):
    return {d: w for d, w in days.items() if w != (d.weekday() < 5)}


@pytest.mark.parametrize(("text", "year"), [(NOTICE_2026, None), (NOTICE_2025, 2025)])
def test_published_notices_read_exactly_as_the_built_in_schedule(text, year):
    schedule = parse_notice(text, year)
    assert schedule.problems == []
    assert schedule.year == (year or 2026)
    assert _differs_from_plain_week(schedule.days) == _year_by_builtin_data(schedule.year)


def test_notice_items_read_ranges_across_months_single_days_and_several_working_days():
    schedule = parse_notice(NOTICE_2025, 2025)
    by_name = {h.name: h for h in schedule.holidays}
    assert by_name["元旦"].rest == (date(2025, 1, 1),)
    assert by_name["端午节"].rest == (date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2))
    assert by_name["国庆节、中秋节"].work == (date(2025, 9, 28), date(2025, 10, 11))
    assert schedule.notes[date(2025, 9, 28)] == "国庆节、中秋节调休上班"


def test_a_notice_read_for_the_wrong_year_is_refused_by_its_weekdays():
    schedule = parse_notice(NOTICE_2026.replace("关于2026年", "关于2027年"))
    assert schedule.year == 2027
    assert any("2027年1月1日是星期五，文中写的是星期四" in p for p in schedule.problems)


def test_a_notice_for_another_year_than_the_one_chosen_is_refused():
    schedule = parse_notice(NOTICE_2026, 2027)
    assert schedule.problems == ["所选年份是2027年，而粘贴的是2026年的通知"] and schedule.days == {}


def test_a_total_that_does_not_match_the_range_is_reported():
    text = "一、春节：2月15日（周日）至23日（周一）放假调休，共8天。"
    schedule = parse_notice(text, 2026)
    assert schedule.problems == ["春节：写的是共8天，日期范围却是9天"]
    assert schedule.days == {}


def test_a_notice_without_a_year_or_items_says_so():
    assert "没有找到年份" in parse_notice("一、元旦：1月1日放假。").problems[0]
    assert "没有找到节假日条目" in parse_notice("随便一段文字", 2027).problems[0]


def test_csv_days_with_header_notes_and_errors():
    text = (
        "日期,类别,说明\n2027-01-01,休,元旦\n2027/2/6,班\n2027年2月7日,放假\n2027-02-30,休\n2027-03-01,半天\n"
    )
    schedule = parse_csv(text)
    assert schedule.year == 2027
    assert schedule.days == {date(2027, 1, 1): False, date(2027, 2, 6): True, date(2027, 2, 7): False}
    assert schedule.notes[date(2027, 1, 1)] == "元旦"
    assert schedule.problems == [
        "第5行：「2027-02-30」不是有效的日期",
        "第6行：类别应为「休」或「班」，而不是「半天」",
    ]


def test_a_day_listed_as_both_off_and_working_is_a_problem():
    schedule = parse_csv("2027-01-01,休\n2027-01-01,班\n")
    assert schedule.problems == ["第2行：2027年1月1日既被列为放假又被列为上班"]


# ---------------------------------------------------------------- pages and permissions

PAGES = [
    "administration:index",
    "administration:calendar",
    "administration:schedule_import",
    "administration:day_add",
    "administration:policies",
    "administration:policy_add",
    "administration:units",
    "administration:unit_add",
    "administration:users",
    "administration:user_add",
    "administration:categories",
    "administration:category_add",
    "administration:divisions",
    "administration:division_add",
]


@pytest.mark.parametrize("username", ["alice", "ann", "audrey", "leo"])
def test_only_administrators_open_the_pages(client, world, username):
    sign_in(client, username)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("administration:units"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_administrators_land_on_the_pages_and_the_navigation_leads_there(client, world):
    sign_in(client, "root")
    assert client.get("/")["Location"] == reverse("administration:index")
    page = client.get(reverse("administration:index")).content.decode()
    assert f'href="{reverse("administration:index")}">系统管理</a>' in page
    assert reverse("admin:index") + '">系统管理' not in page


class _VisibleText(HTMLParser):
    """The text a person sees or hears: element text and the attributes read out, minus scripts,
    styles and elements marked as codes (class "code")."""

    SKIP = {"script", "style"}
    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "base", "wbr"}
    READ = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__()
        self.parts, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = tag in self.SKIP or "code" in (attrs.get("class") or "").split()
        if not any(self.stack) and not skipped:
            self.parts += [attrs[a] for a in self.READ if attrs.get(a)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack):
            self.parts.append(data)


# Names of file formats and sizes, as Chinese users write them too.
ALLOWED_WORDS = {"CSV", "UTF", "GBK", "KB", "IP"}


def english_words(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return [w for w in re.findall(r"[A-Za-z]{2,}", " ".join(parser.parts)) if w not in ALLOWED_WORDS]


def test_the_pages_have_no_english_and_no_browser_validation(client, world, settings):
    settings.XINFANG_POLICY_SET = "national"
    User.objects.update(full_name="张明")  # the test world's names are its usernames, shown in codes only
    sign_in(client, "root")
    unit = world.units.housing
    urls = [reverse(n) for n in PAGES] + [
        reverse("administration:unit_edit", args=[unit.pk]),
        reverse("administration:user_edit", args=[world.hugo.pk]),
        reverse("administration:policy_edit", args=[PolicySet.objects.get(name="zhejiang").pk]),
        reverse("administration:division_edit", args=[world.divisions.d1.pk]),
        reverse("administration:category_edit", args=[world.category.pk]),
        reverse("audit:changes"),
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert english_words(html) == [], url
        forms = re.findall(r"<form\b[^>]*>", re.split(r"<main\b[^>]*>", html)[1])
        assert all("novalidate" in f for f in forms), url
    # errors of a submitted form are Chinese too
    html = client.post(reverse("administration:user_add"), {}).content.decode()
    assert "这个字段是必填项" in html and english_words(html) == []


def test_the_file_control_is_the_products_own(client, world):
    sign_in(client, "root")
    html = client.get(reverse("administration:schedule_import")).content.decode()
    assert '<span class="file-control"><input type="file"' in html
    assert "选择文件" in html and "未选择文件" in html


# ---------------------------------------------------------------- the calendar


def _next_year():
    return clock.today().year + 1


def test_the_next_year_is_shown_as_incomplete_with_estimated_deadlines(client, world):
    sign_in(client, "root")
    html = client.get(reverse("administration:calendar")).content.decode()
    assert f"{_next_year()}年：年度日历未完整 — 期限按估算" in html
    html = client.get(reverse("administration:calendar"), {"year": clock.today().year}).content.decode()
    assert "年度日历未完整" not in html


def test_one_holiday_in_an_incomplete_year_warns_that_it_has_no_effect_yet(client, world):
    sign_in(client, "root")
    year = _next_year()
    holiday = date(year, 1, 4) + timedelta(days=(7 - date(year, 1, 4).weekday()) % 7)  # a Monday
    start = holiday - timedelta(days=15)
    before = service.deadline_for("acceptance", start, "national")
    assert before.due == holiday and before.provisional
    response = client.post(
        reverse("administration:day_add"),
        {
            "date": f"{holiday.year}年{holiday.month}月{holiday.day}日",
            "is_workday": "False",
            "note": "本地节日",
        },
        follow=True,
    )
    html = response.content.decode()
    assert f"注意：{year}年的日历尚未标记为完整，这一天暂不影响期限计算" in html
    assert CalendarDay.objects.get(date=holiday).is_workday is False
    # The engine's rule is unchanged: until the year is complete the day does not count.
    assert service.deadline_for("acceptance", start, "national") == before
    entry = AuditEntry.objects.filter(action="admin_change").last()
    assert entry.target == f"deadlines.calendarday:{CalendarDay.objects.get(date=holiday).pk}"
    assert entry.detail["operation"] == "新增"
    # Marked complete, the day counts: the deadline moves past it.
    response = client.post(
        reverse("administration:mark_complete", args=[year]),
        {"source": "本地安排", "confirm": "on"},
        follow=True,
    )
    assert f"已将{year}年日历标记为完整" in response.content.decode()
    after = service.deadline_for("acceptance", start, "national")
    assert after.due == holiday + timedelta(days=1) and not after.provisional


def test_marking_complete_needs_the_confirmation(client, world):
    sign_in(client, "root")
    year = _next_year()
    html = client.post(reverse("administration:mark_complete", args=[year]), {}, follow=True).content.decode()
    assert "请先勾选确认该年的安排已全部录入" in html
    assert not ScheduleYear.objects.filter(year=year).exists()


def test_a_pasted_notice_is_previewed_then_saved_and_the_year_marked_complete_in_one_step(client, world):
    sign_in(client, "root")
    year = _next_year()
    text, days = notice_for(year)
    url = reverse("administration:schedule_import")
    last_working_day = date(year - 1, 12, 31)
    while last_working_day.weekday() >= 5:
        last_working_day -= timedelta(days=1)
    with pytest.raises(ScheduleUnknown):
        service.deadline_for("acceptance", last_working_day, "zhejiang")  # 5 working days into next year

    preview = client.post(url, {"year": year, "text": text, "step": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert f"保存并标记{year}年为完整" in html
    assert "共放假13天（含周末），调休上班3天" in html
    assert html.count('class="day ') == 365 + (year % 4 == 0)
    assert not CalendarDay.objects.exists() and not ScheduleYear.objects.exists()

    response = client.post(url, {"year": year, "text": text, "source": "", "step": "save"}, follow=True)
    assert (
        f"已保存{year}年的节假日安排（放假13天、调休上班3天），该年日历已标记为完整"
        in response.content.decode()
    )
    assert dict(CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday")) == days
    saved = ScheduleYear.objects.get(year=year)
    assert saved.note == f"国务院办公厅关于{year}年部分节假日安排的通知"
    entry = AuditEntry.objects.filter(action="admin_change").last()
    assert entry.target == f"deadlines.scheduleyear:{saved.pk}"
    assert "录入全年节假日安排并标记为完整：放假13天、调休上班3天" in entry.detail["message"]

    due = service.deadline_for("acceptance", last_working_day, "zhejiang").due
    expected, counted = last_working_day, 0
    while counted < 5:
        expected += timedelta(days=1)
        if days.get(expected, expected.weekday() < 5):
            counted += 1
    assert due == expected and due.year == year
    html = client.get(reverse("administration:calendar"), {"year": year}).content.decode()
    assert f"{year}年：年度日历完整" in html and "年度日历未完整" not in html


def test_a_notice_with_problems_is_not_saved_and_can_be_corrected(client, world):
    sign_in(client, "root")
    year = _next_year()
    text, _ = notice_for(year)
    broken = text.replace("共5天", "共4天")
    url = reverse("administration:schedule_import")
    html = client.post(url, {"year": year, "text": broken, "step": "save"}).content.decode()
    assert "劳动节：写的是共4天，日期范围却是5天" in html
    assert "保存并标记" not in html
    assert "共4天" in html  # the text is back in the form to correct
    assert not CalendarDay.objects.exists() and not ScheduleYear.objects.exists()


def test_a_csv_file_is_previewed_and_saved(client, world):
    sign_in(client, "root")
    year = _next_year()
    _, days = notice_for(year)
    rows = "日期,类别\n" + "".join(
        f"{d.isoformat()},{'班' if w else '休'}\n" for d, w in sorted(days.items())
    )
    upload = SimpleUploadedFile("假期.csv", rows.encode("gb18030"), content_type="text/csv")
    url = reverse("administration:schedule_import")
    html = client.post(url, {"year": year, "csv_file": upload, "step": "preview"}).content.decode()
    assert "共放假13天（含周末），调休上班3天" in html
    assert 'name="as_csv"' in html
    client.post(url, {"year": year, "text": rows, "as_csv": "1", "source": "", "step": "save"})
    assert dict(CalendarDay.objects.values_list("date", "is_workday")) == days
    assert ScheduleYear.objects.get(year=year).note == f"{year}年节假日安排（CSV 文件导入）"


def test_a_built_in_year_is_only_checked_never_saved(client, world):
    sign_in(client, "root")
    url = reverse("administration:schedule_import")
    html = client.post(url, {"year": 2026, "text": NOTICE_2026, "step": "save"}).content.decode()
    assert "文中的日期与内置安排完全一致" in html
    assert not CalendarDay.objects.exists() and not ScheduleYear.objects.exists()


# ---------------------------------------------------------------- deadline policies


def test_a_policy_in_use_cannot_be_deleted_and_its_divisions_are_named(client, world, settings):
    settings.XINFANG_POLICY_SET = "national"
    sign_in(client, "root")
    zhejiang = PolicySet.objects.get(name="zhejiang")
    world.divisions.d1.policy_set = zhejiang
    world.divisions.d1.save()
    html = client.get(reverse("administration:policies")).content.decode()
    assert "指定它的区划：东城区（990101）（及其下级区划）" in html
    assert "本系统的默认规则集（未指定规则集的区划都用它）" in html
    response = client.post(reverse("administration:policy_delete", args=[zhejiang.pk]), follow=True)
    assert "期限规则集「浙江省」正在使用中，不能删除：行政区划东城区。" in response.content.decode()
    national = PolicySet.objects.get(name="national")
    response = client.post(reverse("administration:policy_delete", args=[national.pk]), follow=True)
    assert "本系统的默认规则集" in response.content.decode()
    assert PolicySet.objects.filter(pk__in=[zhejiang.pk, national.pk]).count() == 2

    world.divisions.d1.policy_set = None
    world.divisions.d1.save()
    client.post(reverse("administration:policy_delete", args=[zhejiang.pk]))
    assert not PolicySet.objects.filter(pk=zhejiang.pk).exists()
    entry = AuditEntry.objects.filter(action="admin_change").last()
    assert entry.detail["operation"] == "删除" and entry.detail["object"] == "浙江省"


def _rules_post(policy_name, **changes):
    data = {"set-label": PolicySet.objects.get(name=policy_name).label}
    for step, period in service.policy(policy_name).items():
        days, working = changes.get(step, (period.days, period.working))
        data[f"rules-{step}_days"] = str(days)
        data[f"rules-{step}_working"] = str(working)
    return data


def test_editing_a_policy_changes_the_deadlines_and_is_audited(client, world):
    sign_in(client, "root")
    national = PolicySet.objects.get(name="national")
    start = clock.today()
    assert service.deadline_for("handling", start, "national").due >= start + timedelta(days=60)
    response = client.post(
        reverse("administration:policy_edit", args=[national.pk]),
        _rules_post("national", handling=(30, False)),
        follow=True,
    )
    assert "已保存期限规则集" in response.content.decode()
    assert PolicyRule.objects.get(policy_set=national, step="handling").days == 30
    assert service.deadline_for("handling", start, "national").due < start + timedelta(days=35)
    entry = AuditEntry.objects.filter(action="admin_change").last()
    assert entry.detail["message"] == "办理并出具处理意见：60日 → 30日"


def test_a_negative_period_is_refused_in_chinese(client, world):
    sign_in(client, "root")
    national = PolicySet.objects.get(name="national")
    html = client.post(
        reverse("administration:policy_edit", args=[national.pk]),
        _rules_post("national", handling=(-1, False)),
    ).content.decode()
    assert "天数不能为负数" in html
    assert PolicyRule.objects.get(policy_set=national, step="handling").days == 60


def test_a_new_policy_starts_from_the_national_periods(client, world):
    sign_in(client, "root")
    data = {"set-label": "某省", "set-name": "mousheng"} | {
        k: v for k, v in _rules_post("national").items() if k.startswith("rules-")
    }
    client.post(reverse("administration:policy_add"), data)
    assert service.policy("mousheng") == service.policy("national")


# ---------------------------------------------------------------- units, users, categories, divisions


def test_an_administrator_adds_a_unit_with_its_divisions(client, world):
    sign_in(client, "root")
    data = {
        "name": "东城区城市管理局",
        "short_name": "区城管局",
        "kind": Unit.Kind.DEPARTMENT,
        "parent": world.units.d1_gov.pk,
        "division_codes": "990101001， 990101002",
        "phone": "",
        "active": "on",
    }
    response = client.post(reverse("administration:unit_add"), data, follow=True)
    assert "已保存单位「东城区城市管理局」" in response.content.decode()
    unit = Unit.objects.get(name="东城区城市管理局")
    assert unit.is_within(world.units.d1_gov)
    assert sorted(unit.divisions.values_list("code", flat=True)) == ["990101001", "990101002"]
    entry = AuditEntry.objects.filter(action="admin_change").last()
    assert entry.target == f"org.unit:{unit.pk}" and entry.detail["operation"] == "新增"

    html = client.post(reverse("administration:unit_add"), data | {"division_codes": "123"}).content.decode()
    assert "已有同名单位" in html and "没有这些区划代码：123" in html


def test_a_unit_cannot_move_under_its_own_sub_unit(client, world):
    sign_in(client, "root")
    gov = world.units.d1_gov
    html = client.get(reverse("administration:unit_edit", args=[gov.pk])).content.decode()
    parents = re.search(r'<select name="parent".*?</select>', html, re.S).group(0)
    assert f'<option value="{world.units.t1.pk}"' not in parents
    assert f'<option value="{world.units.city_gov.pk}"' in parents


def test_an_administrator_adds_a_user_who_can_then_sign_in(client, world):
    sign_in(client, "root")
    data = {
        "username": "xiaowang",
        "full_name": "王小明",
        "unit": world.units.d1_bureau.pk,
        "role": Role.REGISTRAR,
        "phone": "",
        "password1": "Qingxi-2027-dengji",
        "password2": "Qingxi-2027-dengji",
    }
    html = client.post(reverse("administration:user_add"), data | {"password2": "x"}).content.decode()
    assert "两次输入的密码不一致" in html
    client.post(reverse("administration:user_add"), data)
    user = User.objects.get(username="xiaowang")
    assert (
        user.role == Role.REGISTRAR
        and user.unit == world.units.d1_bureau
        and user.check_password(data["password1"])
    )
    assert not user.is_staff
    entry = AuditEntry.objects.filter(action="admin_change").last()
    assert entry.detail["message"] == "新增工作人员，角色：登记员"
    assert "Qingxi" not in str(entry.detail)


def test_changing_a_role_is_audited_with_before_and_after(client, world):
    sign_in(client, "root")
    hugo = world.hugo
    data = {
        "full_name": hugo.full_name,
        "unit": hugo.unit_id,
        "role": Role.UNIT_HEAD,
        "phone": "",
        "is_active": "on",
    }
    client.post(reverse("administration:user_edit", args=[hugo.pk]), data)
    hugo.refresh_from_db()
    assert hugo.role == Role.UNIT_HEAD and not hugo.is_staff
    entry = AuditEntry.objects.filter(action="admin_change").last()
    assert entry.detail["message"] == "修改了：角色（原「承办人」，现「单位负责人」）"


def test_an_administrator_cannot_lock_themselves_out(client, world):
    sign_in(client, "root")
    root = world.root
    data = {"full_name": root.full_name, "unit": root.unit_id, "role": Role.ADMIN, "phone": ""}
    html = client.post(reverse("administration:user_edit", args=[root.pk]), data).content.decode()
    assert "不能停用自己的账号" in html
    root.refresh_from_db()
    assert root.is_active


def test_categories_stay_two_levels(client, world):
    sign_in(client, "root")
    second = world.category
    html = client.post(
        reverse("administration:category_add"),
        {"name": "电梯", "parent": second.pk, "order": 0, "active": "on"},
    ).content.decode()
    assert "选择一个有效的选项" in html
    first = second.parent
    client.post(
        reverse("administration:category_add"),
        {"name": "电梯维保", "parent": first.pk, "order": 9, "active": "on"},
    )
    assert first.children.filter(name="电梯维保").exists()


def test_divisions_are_added_by_their_parents_code(client, world):
    sign_in(client, "root")
    data = {"code": "990102001", "name": "南湖街道", "level": 4, "parent_code": "990102", "policy_set": ""}
    client.post(reverse("administration:division_add"), data)
    division = world.divisions.d2.children.get(code="990102001")
    assert division.path == "/990100/990102/990102001/"
    html = client.post(
        reverse("administration:division_add"), data | {"code": "990102002", "parent_code": "77"}
    )
    assert "没有区划代码为 77 的区划" in html.content.decode()


# ---------------------------------------------------------------- the audit log in Chinese


def test_the_audit_log_reads_in_chinese(client, world, driver):
    matter = driver.register()
    sign_in(client, "alice")
    client.get(reverse("petitions:export"), {"tab": "all", "channel": "letter", "light": "overdue"})
    sign_in(client, "audrey")
    html = client.get(reverse("audit:list")).content.decode()
    assert "操作：登记；原状态：—；新状态：" in html
    assert f"信访事项 {matter.pk}" in html
    assert "个人信息：完整" in html
    assert "列表：全部事项；筛选条件：列表=全部事项，期限状态=超期，信访方式=来信" in html
    # no stored code beside the name: the 对象 filter takes the name as shown
    assert f"matter:{matter.pk}" not in html
    for code in ("register", "personal_data", "full", "masked"):
        assert f">{code}" not in html and f"{code}：" not in html and f"：{code}" not in html, code


def test_a_rows_detail_reads_in_one_order_whatever_order_the_database_keeps_its_keys_in():
    # PostgreSQL's jsonb gives keys back shortest first, not as written; the page orders them itself.
    written = {"action": "register", "from": "", "to": "registered", "zzz": 1, "object_id": 6}
    from_jsonb = {"to": "registered", "zzz": 1, "from": "", "action": "register", "object_id": 6}
    assert detail_text(written) == detail_text(from_jsonb)
    assert detail_text(from_jsonb).startswith("操作：") and detail_text(from_jsonb).endswith("；zzz：1")


def test_administrators_read_the_configuration_changes_but_not_the_rest_of_the_log(client, world):
    sign_in(client, "root")
    client.post(reverse("administration:day_add"), {"date": f"{_next_year()}-02-01", "is_workday": "False"})
    assert client.get(reverse("audit:list")).status_code == 403
    html = client.get(reverse("audit:changes")).content.decode()
    assert "工作日历调整" in html and "新增" in html
    assert "登录" not in html.split("<tbody>")[1]
    assert client.get(reverse("audit:changes"), {"model": "org.unit"}).content.decode().count("<tr>") == 2
    sign_in(client, "alice")
    assert client.get(reverse("audit:changes")).status_code == 403
    view = AuditEntry.objects.filter(action="audit_view", username="root").last()
    assert view.detail["list"] == "配置变更记录"


def test_saving_a_year_computes_again_the_deadlines_estimated_for_want_of_it(client, world, driver):
    year = _next_year()
    driver.now = at(year - 1, 12, 17)  # 15 days to 交办: to 1 January
    matter = driver.register()
    assert matter.due_date == date(year, 1, 1) and matter.due_provisional
    sign_in(client, "root")
    text, days = notice_for(year)
    response = client.post(
        reverse("administration:schedule_import"), {"year": year, "text": text, "step": "save"}, follow=True
    )
    assert "原按双休日估算期限的事项中，1件已按新日历重新计算。" in response.content.decode()
    matter.refresh_from_db()
    first_working_day = date(year, 1, 2)
    while not days.get(first_working_day, first_working_day.weekday() < 5):
        first_working_day += timedelta(days=1)
    assert matter.due_date == first_working_day and not matter.due_provisional
    assert (
        "重新计算了1件事项的估算期限"
        in AuditEntry.objects.filter(action="admin_change").last().detail["message"]
    )


def test_the_django_admin_warns_too_when_a_day_goes_into_an_incomplete_year(client, world):
    sign_in(client, "root")
    year = _next_year()
    response = client.post(
        reverse("admin:deadlines_calendarday_add"),
        {"date": f"{year}-02-01", "is_workday": "", "note": "本地节日"},
        follow=True,
    )
    assert f"注意：{year}年的日历尚未标记为完整，这一天暂不影响期限计算" in response.content.decode()
    assert CalendarDay.objects.filter(date=date(year, 2, 1), is_workday=False).exists()


def test_deleting_an_adjustment_is_audited(client, world):
    sign_in(client, "root")
    day = CalendarDay.objects.create(date=date(_next_year(), 2, 1), is_workday=False, note="本地节日")
    client.post(reverse("administration:day_delete", args=[day.pk]))
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    entry = AuditEntry.objects.filter(action="admin_change").last()
    assert entry.detail["operation"] == "删除" and entry.target == f"deadlines.calendarday:{day.pk}"


def test_a_year_after_one_not_entered_says_the_earlier_year_comes_first(client, world):
    sign_in(client, "root")
    later = _next_year() + 1
    ScheduleYear.objects.create(year=later)  # marked, but the year before it is unknown
    html = client.get(reverse("administration:calendar"), {"year": later}).content.decode()
    assert f"{later}年：年度日历未完整 — 期限按估算" in html
    assert f"{later - 1}年的安排还没有录入：要先录入{later - 1}年" in html


def test_days_saved_into_an_incomplete_year_show_on_its_grid_as_pending(client, world):
    sign_in(client, "root")
    year = _next_year()
    CalendarDay.objects.create(date=date(year, 2, 1), is_workday=False, note="本地节日")
    html = client.get(reverse("administration:calendar"), {"year": year}).content.decode()
    assert re.search(
        r'<td class="day estimate pending rest special"[^>]*2月1日 休息（本地节日），已录入', html
    )
    assert html.count(" pending ") == 1


def test_a_user_made_administrator_reaches_the_pages_and_the_django_admin(client, world):
    sign_in(client, "root")
    hugo = world.hugo
    data = {"full_name": "冯涛", "unit": hugo.unit_id, "role": Role.ADMIN, "phone": "", "is_active": "on"}
    client.post(reverse("administration:user_edit", args=[hugo.pk]), data)
    hugo.refresh_from_db()
    assert hugo.role == Role.ADMIN and hugo.is_staff
    sign_in(client, "hugo")
    assert client.get(reverse("administration:index")).status_code == 200


def test_a_notice_whose_lines_wrap_mid_sentence_reads_the_same():
    wrapped = "\n".join(
        "\n".join(line[i : i + 25] for i in range(0, len(line), 25)) for line in NOTICE_2026.splitlines()
    )
    assert "、\n" in wrapped or "）\n" in wrapped  # items really are broken inside their sentences
    schedule = parse_notice(wrapped)
    assert schedule.problems == []
    assert _differs_from_plain_week(schedule.days) == _year_by_builtin_data(2026)
    # broken right after a sentence: the next line still belongs to the item
    schedule = parse_notice(NOTICE_2026.replace("共3天。1月4日", "共3天。\n1月4日"))
    assert schedule.days[date(2026, 1, 4)] is True
