"""`xinfang calendar due START DAYS [--working] [--policy NAME]` against the database calendar."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from xinfang.deadlines.models import CalendarDay, PolicyRule, PolicySet, ScheduleYear

pytestmark = pytest.mark.django_db


def run(*args, **options):
    """Run the command; return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("calendar", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def due(*args, **options):
    out, err = run("due", *args, **options)
    assert out.endswith("\n") and out.count("\n") == 1, out  # exactly one line on stdout
    return out.strip()


# --- plain day counts ----------------------------------------------------------------------------


def test_calendar_days_example():
    out, err = run("due", "2025-09-16", "15")
    assert out == "2025-10-09\n"
    assert err == ""


def test_working_days_example():
    assert due("2025-09-26", "15", "--working") == "2025-10-23"


def test_working_days_end_on_tiaoxiu_weekend():
    assert due("2025-09-22", "5", "--working") == "2025-09-28"
    assert due("2026-02-15", "5", "--working") == "2026-02-28"


def test_calendar_days_across_spring_festival():
    assert due("2026-02-01", "15") == "2026-02-24"
    assert due("2025-12-20", "60") == "2026-02-24"


def test_zero_days():
    assert due("2025-10-01", "0") == "2025-10-09"
    assert due("2025-09-30", "0", "--working") == "2025-09-30"


# --- policy steps --------------------------------------------------------------------------------


def test_step_from_default_national_policy():
    assert due("2025-07-03", "handling") == "2025-09-01"  # 60 日
    # 5 个工作日: 10-09 10 11 13 14
    assert due("2025-09-30", "jurisdiction_dispute") == "2025-10-14"
    assert due("2026-02-12", "dispatch") == "2026-02-27"  # 15 日


def test_step_from_named_policy():
    # Zhejiang: handling 30 日: 09-26 + 30 = Sun 10-26 -> 10-27
    assert due("2025-09-26", "handling", "--policy", "zhejiang") == "2025-10-27"
    # Zhejiang: dispatch within 5 个工作日: 02-13 | Sat 02-14 | 02-24 25 26
    assert due("2026-02-12", "dispatch", "--policy", "zhejiang") == "2026-02-26"
    assert due("2026-02-12", "dispatch", "--policy=national") == "2026-02-27"


def test_default_policy_comes_from_settings(settings):
    settings.XINFANG_POLICY_SET = "zhejiang"
    assert due("2025-09-26", "handling") == "2025-10-27"
    assert due("2025-09-26", "handling", "--policy", "national") == "2025-11-25"  # 60 日, Tuesday


def test_policy_rule_edited_in_database_applies():
    rule = PolicyRule.objects.get(policy_set__name="national", step="handling")
    rule.days, rule.working = 20, True
    rule.save()
    # 20 working days from 09-26: 09-28 29 30 | 10-09 10 11 | 13..17 (11) | 20..24 (16) | 27 28 (18) ...
    # 10-29 (19), 10-30 (20)
    assert due("2025-09-26", "handling") == "2025-10-30"


def test_policy_set_only_in_database():
    shandong = PolicySet.objects.create(name="shandong", label="山东省")
    PolicyRule.objects.create(policy_set=shandong, step="review_decision", days=3, working=True)
    # 3 working days from 09-30: 10-09 10 11
    assert due("2025-09-30", "review_decision", "--policy", "shandong") == "2025-10-11"
    # steps it does not set come from the national defaults (30 日): 10-30
    assert due("2025-09-30", "review_request", "--policy", "shandong") == "2025-10-30"


def test_verbose_explains_the_rule_on_stderr():
    out, err = run("due", "2025-07-03", "handling", verbosity=2)
    assert out == "2025-09-01\n"
    assert "办理并出具处理意见" in err and "第34条" in err and "60日" in err


# --- calendar overrides --------------------------------------------------------------------------


def test_local_holiday_override_pushes_due_date():
    CalendarDay.objects.create(date=date(2025, 10, 9), is_workday=False, note="地方节日")
    assert due("2025-09-16", "15") == "2025-10-10"
    assert due("2025-09-26", "15", "--working") == "2025-10-24"


def test_weekend_override_to_working_day():
    assert due("2025-09-27", "15") == "2025-10-13"  # Sunday 10-12 rolls to Monday
    CalendarDay.objects.create(date=date(2025, 10, 12), is_workday=True, note="临时调休上班")
    assert due("2025-09-27", "15") == "2025-10-12"
    assert due("2025-10-10", "2", "--working") == "2025-10-12"


def test_entered_year_makes_2027_working_days_possible():
    with pytest.raises(CommandError, match="2027年"):
        run("due", "2026-12-24", "11", "--working")
    ScheduleYear.objects.create(year=2027, note="国务院办公厅通知（测试）")
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 9), is_workday=True, note="调休上班")
    # 12-25 28 29 30 31 (5) | 01-01 off | 01-04..08 (10) | Sat 01-09 (11)
    assert due("2026-12-24", "10", "--working") == "2027-01-08"
    out, err = run("due", "2026-12-24", "11", "--working")
    assert (out, err) == ("2027-01-09\n", "")
    # and calendar-day deadlines in 2027 are no longer provisional: 12-17 + 15 = 01-01 (off) -> Mon 01-04
    assert run("due", "2026-12-17", "15") == ("2027-01-04\n", "")


# --- provisional deadlines -----------------------------------------------------------------------


def test_provisional_deadline_warns_on_stderr():
    out, err = run("due", "2026-12-18", "15")  # Sat 2027-01-02 -> Mon 01-04 by the weekend rule
    assert out == "2027-01-04\n"
    assert "2027年" in err
    assert "暂定" in err


def test_known_deadline_has_no_warning():
    out, err = run("due", "2026-12-10", "15")
    assert (out, err) == ("2026-12-25\n", "")


# --- errors --------------------------------------------------------------------------------------


def test_working_days_into_unknown_year_is_an_error():
    with pytest.raises(CommandError) as info:
        run("due", "2026-12-24", "10", "--working")
    assert "2027年" in str(info.value)
    assert "尚未录入" in str(info.value)


@pytest.mark.parametrize("bad", ["2025-02-30", "2025/09/16", "tomorrow", "20250916", "2025-9-16"])
def test_bad_date(bad):
    with pytest.raises(CommandError, match="不是有效日期") as info:
        run("due", bad, "15")
    assert bad in str(info.value)
    assert "YYYY-MM-DD" in str(info.value)


def test_unknown_step():
    with pytest.raises(CommandError) as info:
        run("due", "2025-09-16", "handeling")
    message = str(info.value)
    assert "「handeling」" in message
    assert "handling（办理并出具处理意见）" in message
    assert "jurisdiction_dispute" in message


def test_unknown_policy_lists_known_sets():
    PolicySet.objects.create(name="shandong", label="山东省")
    with pytest.raises(CommandError) as info:
        run("due", "2025-09-16", "handling", "--policy", "hunan")
    message = str(info.value)
    assert "没有名为「hunan」的期限规则集" in message
    assert "national" in message and "zhejiang" in message and "shandong" in message


def test_negative_days():
    with pytest.raises(CommandError, match="不能为负数"):
        run("due", "2025-09-16", "-5")


def test_working_flag_with_step_is_refused():
    with pytest.raises(CommandError, match="--working"):
        run("due", "2025-09-16", "handling", "--working")


def test_policy_with_plain_days_is_refused():
    with pytest.raises(CommandError, match="--policy"):
        run("due", "2025-09-16", "15", "--policy", "zhejiang")


def test_subcommand_and_arguments_are_required():
    with pytest.raises(CommandError):
        run()
    with pytest.raises(CommandError):
        run("due", "2025-09-16")
    with pytest.raises(CommandError):
        run("overdue", "2025-09-16", "15")


@pytest.mark.django_db
def test_another_process_sees_an_edited_policy_rule(monkeypatch):
    """An edit made elsewhere (no signal in this process) is picked up at the next freshness check."""
    from xinfang.deadlines import service
    from xinfang.deadlines.models import PolicyRule

    assert service.policy("national")["handling"].days == 60
    monkeypatch.setattr(service, "REFRESH_SECONDS", 0.0)
    # A queryset update sends no post_save: this is how another process's edit looks from here.
    PolicyRule.objects.filter(policy_set__name="national", step="handling").update(
        days=45, updated_at=timezone.now() + timedelta(seconds=1)
    )
    assert service.policy("national")["handling"].days == 45
