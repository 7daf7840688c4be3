from django.apps import AppConfig


class HazardsConfig(AppConfig):
    name = "xinfang.hazards"
    label = "hazards"
    verbose_name = "隐患排查治理"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from xinfang.cases import hooks

        from . import services  # registers the hazard case type with the kernel

        hooks.subscribe("reminded", services.on_reminded)
