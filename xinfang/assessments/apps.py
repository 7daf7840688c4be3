from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "xinfang.assessments"
    label = "assessments"
    verbose_name = "社会稳定风险评估"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import services  # noqa: F401 — registers the assessment case type with the kernel
