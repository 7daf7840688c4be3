from django.urls import path

from . import imports, views

app_name = "hazards"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("register/", views.register, name="register"),
    path("export/", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("<int:pk>/oversee/<slug:kind>/", views.oversee, name="oversee"),
    path("<int:pk>/link/", views.link_petition, name="link_petition"),
    path("<int:pk>/notice.docx", views.notice, name="notice"),
    path("<int:pk>/listing.docx", views.listing, name="listing"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("matters/<int:pk>/", views.matter_panel, name="matter_panel"),
    path("enterprises/", views.enterprises, name="enterprises"),
    path("enterprises/new/", views.enterprise_new, name="enterprise_new"),
    path("enterprises/export/", views.enterprises_export, name="enterprises_export"),
    path("enterprises/<int:pk>/", views.enterprise, name="enterprise"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("summary/", views.summary, name="summary"),
    *imports.urlpatterns,
]
