from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("12345/", views.hotline_messages, name="hotline"),
    path("12345/<int:pk>/replay/", views.replay_message, name="hotline_replay"),
    path("12345/replay/", views.replay_all, name="hotline_replay_all"),
]
