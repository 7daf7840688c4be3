from django.contrib import admin

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
    list_display = ["at", "kind", "matter", "suggested", "chosen", "accepted", "user"]
    list_filter = ["kind", "accepted"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
