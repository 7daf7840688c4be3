from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("register/", views.register, name="register"),
    path("export/", views.export, name="export"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("<int:pk>/link/", views.link, name="link"),
    path("<int:pk>/report.docx", views.report, name="report"),
    path("records/<int:pk>/", views.record, name="record"),
]
