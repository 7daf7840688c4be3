from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from . import feedback
from .models import Feedback, Landmark, ModelVersion, RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["owner", "category", "division", "target", "active", "note"]
    list_filter = ["active", "owner"]
    search_fields = ["target__name", "category__name", "division__name"]
    autocomplete_fields = ["owner", "target", "division"]
    list_select_related = ["owner", "category__parent", "division", "target"]


@admin.register(Landmark)
class LandmarkAdmin(admin.ModelAdmin):
    list_display = ["name", "division"]
    search_fields = ["name", "division__name"]
    autocomplete_fields = ["division"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """Versions are made by training and switched on the 研判模型 page; here they are only read."""

    list_display = ["kind", "number", "source", "active", "trained_at", "macro_f1", "accuracy"]
    list_filter = ["kind", "source", "active"]
    exclude = ["weights"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Administrators configure the system and read no matters; each feedback names one, so this
    page gives the figures per kind of suggestion only, and no single feedback is shown."""

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "建议反馈统计",
            "rows": feedback.summary(),
        }
        return TemplateResponse(request, "admin/assist/feedback/summary.html", context)

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
