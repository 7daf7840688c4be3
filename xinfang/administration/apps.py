from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "xinfang.administration"
    label = "administration"
    verbose_name = "系统管理"
