from django.contrib import admin

from .models import DisputeType


@admin.register(DisputeType)
class DisputeTypeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "order", "active"]
    list_filter = ["active", "parent"]
    search_fields = ["name"]
