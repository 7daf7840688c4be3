from django.apps import AppConfig


class HazardsConfig(AppConfig):
    name = "xinfang.hazards"
    label = "hazards"
    verbose_name = "隐患排查治理"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import services  # noqa: F401 — registers the hazard case type with the kernel
