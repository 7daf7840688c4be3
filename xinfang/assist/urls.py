from django.urls import path

from . import views

app_name = "assist"
urlpatterns = [
    path("intake/", views.intake_panel, name="intake"),
    path("matters/<int:pk>/similar/", views.similar_panel, name="similar"),
    path("matters/<int:pk>/repeat-of/<int:other>/", views.link_repeat, name="link_repeat"),
    path("collective/", views.collective, name="collective"),
    path("letters/", views.letter_new, name="letter_new"),
    path("letters/<int:pk>/", views.letter, name="letter"),
    path("letters/<int:pk>/scan/", views.letter_file, name="letter_file"),
    path("models/", views.models_page, name="models"),
    path("models/train/", views.model_train, name="model_train"),
    path("models/<int:pk>/activate/", views.model_activate, name="model_activate"),
]
