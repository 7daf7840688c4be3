from django.contrib import admin

from .models import Assessment


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """Read-only: assessments change only through their steps (the staff pages)."""

    list_display = ["title", "decision_type", "status", "risk_level", "assessing_unit"]
    list_filter = ["decision_type", "status", "risk_level"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
