from django.urls import path

from . import views

app_name = "petitions"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("overview/", views.overview, name="overview"),
    path("register/", views.register, name="register"),
    path("earlier/", views.earlier_matters, name="earlier"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
