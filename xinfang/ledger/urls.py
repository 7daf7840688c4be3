from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("template/", views.template, name="template"),
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/map/", views.mapping, name="mapping"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/errors/", views.error_rows, name="errors"),
]
