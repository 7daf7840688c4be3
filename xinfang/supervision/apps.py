from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "xinfang.supervision"
    verbose_name = "督查督办"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from xinfang.cases import hooks

        from .reminders import on_reminded

        hooks.subscribe("reminded", on_reminded)

        from xinfang.audit import labels

        labels.describe_target("supervision", "督办")
        labels.describe("action", {"issue": "下达督办", "close": "办结督办"}, kind="supervision")
        labels.describe_target("campaign", "积案化解专项")
