"""Only reference data is edited in the admin; matters are worked on through the scoped pages."""

from django.contrib import admin

from .models import Category


class SubcategoryInline(admin.TabularInline):
    model = Category
    fields = ["name", "order", "active"]
    extra = 1


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "order", "active"]
    list_filter = ["active", "parent"]
    search_fields = ["name"]
    inlines = [SubcategoryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")
