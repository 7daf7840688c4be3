from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cockpit/", views.cockpit, name="cockpit"),
    path("report/", views.report, name="report"),
    path("rates/", views.rate_units, name="rates"),
    path("warnings/", views.warning_list, name="warnings"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
]
