from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "xinfang.assist"
    verbose_name = "辅助研判"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from xinfang.cases import hooks

        from .tasks import on_registered

        hooks.subscribe("registered", on_registered)
