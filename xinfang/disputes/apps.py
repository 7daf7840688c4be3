from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "xinfang.disputes"
    label = "disputes"
    verbose_name = "矛盾纠纷排查化解"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from xinfang.cases import hooks

        from . import services

        hooks.subscribe("reminded", services.on_reminded)
