from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.issue, name="issue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/print/", views.print_sheet, name="print"),
    path("<int:pk>/close/", views.act, {"action": "close"}, name="close"),
    path("<int:pk>/escalate/", views.act, {"action": "escalate"}, name="escalate"),
    path("<int:pk>/tasks/<int:task>/answer/", views.act, {"action": "answer"}, name="answer"),
    path("<int:pk>/tasks/<int:task>/return/", views.act, {"action": "return"}, name="return"),
    path("<int:pk>/files/<int:file>/", views.answer_file, name="answer_file"),
    path("case/<slug:case_type>/<int:pk>/", views.case_panel, name="case_panel"),
    path("case/<slug:case_type>/<int:pk>/remind/", views.remind, name="remind"),
    path("matters/<int:pk>/", views.matter_panel, name="matter_panel"),
    path("matters/<int:pk>/measure/", views.measure, name="measure"),
    path("matters/<int:pk>/own/", views.take_ownership, name="own"),
    path("cases/", views.cases, name="cases"),
    path("cases/<int:pk>/", views.case, name="case"),
    path("receptions/", views.receptions, name="receptions"),
    path("receptions/<int:pk>/", views.reception, name="reception"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/cases/<int:pk>/", views.campaign_case, name="campaign_case"),
    path("scores/", views.ranking, name="ranking"),
    path("scores/<int:unit>/", views.unit_score, name="unit_score"),
    path("scores/<int:unit>/<str:part>/", views.drill, name="drill"),
]
