from django.contrib import admin, messages

from .engine import BUILTIN_LAST_YEAR
from .models import CalendarDay, PolicyRule, PolicySet, ScheduleYear


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        year = obj.date.year
        if year > BUILTIN_LAST_YEAR and not ScheduleYear.objects.filter(year=year).exists():
            messages.warning(
                request,
                f"注意：{year}年的日历尚未标记为完整，这一天暂不影响期限计算（期限按双休日估算）。"
                f"请在系统管理的「工作日历」中录入{year}年的全年安排。",
            )


@admin.register(ScheduleYear)
class ScheduleYearAdmin(admin.ModelAdmin):
    list_display = ["year", "note"]


class PolicyRuleInline(admin.TabularInline):
    model = PolicyRule
    extra = 0


@admin.register(PolicySet)
class PolicySetAdmin(admin.ModelAdmin):
    list_display = ["name", "label"]
    inlines = [PolicyRuleInline]
