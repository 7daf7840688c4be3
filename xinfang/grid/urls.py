from django.urls import path

from . import views

app_name = "grid"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("mine/", views.mine, name="mine"),
    path("events/", views.queue, name="queue"),
    path("events/export/", views.export_list, name="export"),
    path("events/<int:pk>/", views.detail, name="detail"),
    path("events/<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("events/<int:pk>/to-matter/", views.to_matter, name="to_matter"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("statistics/", views.statistics, name="stats"),
]
