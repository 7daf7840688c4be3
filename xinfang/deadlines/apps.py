from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "xinfang.deadlines"
    label = "deadlines"
    verbose_name = "期限与工作日历"
