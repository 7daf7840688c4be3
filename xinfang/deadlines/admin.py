from django.contrib import admin

from .models import CalendarDay, PolicyRule, PolicySet, ScheduleYear


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


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
