"""工作日历: the year's state, its month grid and adjustments; a year's schedule entered in one step."""

from datetime import date

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from xinfang.core import clock
from xinfang.core.params import whole_number
from xinfang.deadlines.engine import BUILTIN_LAST_YEAR
from xinfang.deadlines.models import CalendarDay
from xinfang.deadlines.schedule_text import parse_csv, parse_notice
from xinfang.org.access import admin_required

from . import calendar, changes
from .forms import CalendarDayForm, MarkCompleteForm, ScheduleImportForm, posted, schedule_years

FIRST_YEAR, LAST_YEAR = 2004, 2199


def _year_param(request) -> int:
    year = whole_number(request.GET.get("year", ""), minimum=FIRST_YEAR, maximum=LAST_YEAR)
    return year or clock.today().year + 1


@admin_required
def overview(request):
    year = _year_param(request)
    state = calendar.year_state(year)
    days = CalendarDay.objects.filter(date__year=year)
    cal = calendar.calendar_with()
    return render(
        request,
        "administration/calendar.html",
        {
            "year": year,
            "state": state,
            "years": [calendar.year_state(y) for y in schedule_years()],
            "months": calendar.month_grids(year, cal),
            "estimated": not cal.is_known(date(year, 12, 31)),
            "days": days,
            "complete_form": MarkCompleteForm() if state.state == calendar.INCOMPLETE else None,
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def schedule_import(request):
    """GET: the form. POST "preview": read the text and show it against the calendar. POST "save"
    (from the preview, with the same text): save the days and mark the year complete."""
    form = ScheduleImportForm(posted(request), request.FILES if request.method == "POST" else None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["csv_file"]:
            text, kind = data["csv_file"], "csv"
        else:
            text, kind = data["text"], "csv" if request.POST.get("as_csv") else "notice"
        schedule = parse_csv(text, data["year"]) if kind == "csv" else parse_notice(text, data["year"])
        if schedule.year != data["year"] and not schedule.problems:
            schedule.problems.append(f"所选年份是{data['year']}年，而文中是{schedule.year}年的安排")
        source = data["source"].strip() or _title_of(text) or _default_source(data["year"], kind)
        builtin = data["year"] <= BUILTIN_LAST_YEAR
        if request.POST.get("step") == "save" and not schedule.problems and not builtin:
            _, counts = calendar.save_schedule(request, schedule, source)
            messages.success(
                request,
                f"已保存{schedule.year}年的节假日安排（放假{len(schedule.rest_days)}天、调休上班"
                f"{len(schedule.work_days)}天），该年日历已标记为完整，此后的期限按它计算。"
                + calendar.refreshed_text(counts),
            )
            return redirect(f"{reverse('administration:calendar')}?year={schedule.year}")
        now = calendar.calendar_with()
        proposed = None if builtin else calendar.calendar_with(schedule.days, data["year"])
        shown = proposed or now
        context.update(
            schedule=schedule,
            year=data["year"],
            builtin=builtin,
            source=source,
            edit_form=_edit_form(data["year"], text, data["source"], kind),
            kind=kind,
            state=calendar.year_state(data["year"]),
            differences=calendar.differences(schedule, now),
            others=calendar.others_in_year(schedule) if schedule.year else [],
            months=calendar.month_grids(
                data["year"], shown, highlight=set(schedule.days), notes=schedule.notes
            ),
            estimated=not shown.is_known(date(data["year"], 12, 31)),
        )
    return render(request, "administration/schedule_import.html", context)


def _edit_form(year, text, source, kind) -> ScheduleImportForm:
    """The form again, filled with what was read, to correct it and preview once more."""
    form = ScheduleImportForm(initial={"year": year, "text": text, "source": source})
    if kind == "csv":
        form.fields["text"].label = "CSV 内容"
        form.fields["text"].help_text = "每行一天：日期,类别[,说明]；类别为「休」或「班」。"
    del form.fields["csv_file"]
    return form


def _default_source(year: int, kind: str) -> str:
    if kind == "csv":
        return f"{year}年节假日安排（CSV 文件导入）"
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


def _title_of(text: str) -> str:
    for line in (text or "").splitlines():
        if "节假日安排" in line and line.strip().startswith(("国务院", "关于")):
            return line.strip()[:200]
    return ""


@admin_required
@require_POST
def mark_complete(request, year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404("没有这一年的日历。")
    form = MarkCompleteForm(request.POST)
    state = calendar.year_state(year)
    if state.state != calendar.INCOMPLETE:
        messages.error(request, f"{year}年的日历不需要标记。")
    elif not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    else:
        _, counts = calendar.mark_complete(request, year, form.cleaned_data["source"])
        messages.success(
            request,
            f"已将{year}年日历标记为完整，此后的期限按该年的安排计算。" + calendar.refreshed_text(counts),
        )
    return redirect(f"{reverse('administration:calendar')}?year={year}")


@admin_required
@require_http_methods(["GET", "POST"])
def day_edit(request, pk=None):
    day = get_object_or_404(CalendarDay, pk=pk) if pk is not None else None
    initial = {}
    if day is None and request.GET.get("date"):
        initial["date"] = request.GET["date"]
    form = CalendarDayForm(posted(request), instance=day, initial=initial)
    before = {"date": day.date, "is_workday": day.is_workday, "note": day.note} if day else None
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            if day is None:
                changes.record(request, changes.ADDED, saved, f"{saved}（{saved.note or '无说明'}）")
            else:
                changes.record(request, changes.CHANGED, saved, changes.describe_form_changes(form, before))
        messages.success(request, f"已保存：{saved}。")
        state = calendar.year_state(saved.date.year)
        if not state.counts:
            messages.warning(request, _not_counted(state))
        return redirect(f"{reverse('administration:calendar')}?year={saved.date.year}")
    return render(request, "administration/day_form.html", {"form": form, "day": day})


def _not_counted(state) -> str:
    if state.missing_before is not None:
        why = f"{state.missing_before}年的安排还没有录入，此后各年都无法按工作日计算"
    else:
        why = f"{state.year}年的日历尚未标记为完整"
    return (
        f"注意：{why}，这一天暂不影响期限计算（期限按双休日估算）。"
        f"请录入全年安排，或在全部放假、调休日录入后标记该年为完整。"
    )


@admin_required
@require_POST
def day_delete(request, pk):
    day = get_object_or_404(CalendarDay, pk=pk)
    year, text = day.date.year, str(day)
    with transaction.atomic():
        changes.record(request, changes.DELETED, day, text)
        day.delete()
    messages.success(request, f"已删除：{text}。")
    return redirect(f"{reverse('administration:calendar')}?year={year}")
