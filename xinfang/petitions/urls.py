from django.urls import path

from . import screening_views, views

app_name = "petitions"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("register/", views.register, name="register"),
    path("earlier/", views.earlier_matters, name="earlier"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/receipt/", views.receipt_page, name="receipt"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("<int:pk>/screen/", screening_views.screen, name="screen"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("export/", views.export_list, name="export"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]
