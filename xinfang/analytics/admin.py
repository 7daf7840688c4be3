from django.contrib import admin

from .models import SensitivePeriod


@admin.register(SensitivePeriod)
class SensitivePeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "first", "last", "tighten"]
    ordering = ["-first"]
