from django.contrib import admin

from .models import ScoreScheme


@admin.register(ScoreScheme)
class ScoreSchemeAdmin(admin.ModelAdmin):
    """考核方案: the weights of unit scoring; the one marked 当前使用 is applied."""

    list_display = [
        "name",
        "active",
        "timely_acceptance",
        "on_time_reply",
        "satisfaction",
        "participation",
        "per_repeat",
        "ownership_threshold",
        "ownership_penalty",
    ]
