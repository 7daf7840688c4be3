from django.urls import path

from . import import_views, views

app_name = "disputes"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("register/", views.register, name="register"),
    path("export/", views.export_list, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("<int:pk>/link-matter/", views.link_matter, name="link_matter"),
    path("<int:pk>/to-matter/", views.to_matter, name="to_matter"),
    path("files/<int:pk>/", views.attachment, name="file"),
    path("matter-panel/<int:pk>/", views.matter_panel, name="matter_panel"),
    path("from-event/<int:event_pk>/", views.from_event, name="from_event"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/report/", views.campaign_report, name="campaign_report"),
    path("campaigns/<int:pk>/remind/", views.campaign_remind, name="campaign_remind"),
    path("statistics/", views.statistics, name="stats"),
    path("statistics/monthly.xlsx", views.monthly_xlsx, name="monthly_xlsx"),
    path("statistics/monthly.docx", views.monthly_docx, name="monthly_docx"),
    path("import/", import_views.upload, name="import"),
    path("import/template/", import_views.template, name="import_template"),
]
