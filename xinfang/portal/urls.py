from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.index, name="index"),
    path("display/", views.display, name="display"),
    path("open/", views.public, name="public"),
    path("file/", views.file, name="file"),
    path("filed/", views.filed, name="filed"),
    path("track/", views.track, name="track"),
    path("m/<str:code>/", views.matter_page, name="matter"),
    path("m/<str:code>/documents/<slug:kind>.docx", views.document, name="document"),
    path("m/<str:code>/request/<slug:action>/", views.review_request, name="request"),
    path("m/<str:code>/<slug:action>/", views.act, name="act"),
]
