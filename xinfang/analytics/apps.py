from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "xinfang.analytics"
    verbose_name = "统计分析与预警"

    def ready(self):
        from xinfang.core import health

        from . import snapshot

        health.register_age("snapshot", snapshot.age_seconds)
