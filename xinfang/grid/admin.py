from django.contrib import admin

from .models import Grid


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "division", "unit", "active"]
    search_fields = ["code", "name"]
    list_filter = ["active"]
    autocomplete_fields = []
    filter_horizontal = ["workers"]
    raw_id_fields = ["division", "unit"]
