from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "xinfang.grid"
    label = "grid"
    verbose_name = "网格化服务管理"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import services  # noqa: F401 — registers the grid event case type with the kernel
