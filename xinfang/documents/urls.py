from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("matters/<int:pk>/completion.<slug:fmt>", views.matter_completion, name="completion"),
    path("matters/<int:pk>/<slug:kind>.docx", views.matter_document, name="matter"),
    path("supervision/<int:pk>.docx", views.supervision_document, name="supervision"),
]
