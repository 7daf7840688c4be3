from django.contrib import admin
from django.utils import timezone

from .models import ApiToken, ServiceAttribute


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `xinfang tokens create` (the text is shown once); here they are listed
    and revoked."""

    list_display = ["name", "key_id", "user", "scopes", "expires_at", "last_used_at", "state"]
    readonly_fields = [
        "name",
        "user",
        "key_id",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="状态")
    def state(self, obj):
        return obj.state

    @admin.action(description="吊销所选令牌")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"已吊销 {count} 个令牌。")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "order", "code", "description", "datatype", "required"]
    list_filter = ["datatype", "required"]
    search_fields = ["code", "description", "category__name"]
    autocomplete_fields = ["category"]
