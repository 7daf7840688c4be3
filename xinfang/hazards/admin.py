from django.contrib import admin

from .models import HazardType


@admin.register(HazardType)
class HazardTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "active"]
    list_editable = ["order", "active"]
