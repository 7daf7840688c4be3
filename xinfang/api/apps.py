from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "xinfang.api"
    label = "api"
    verbose_name = "接口与集成"
