from django.urls import path

from . import calendar_views, policy_views, reference_views, views

app_name = "administration"
urlpatterns = [
    path("", views.index, name="index"),
    path("calendar/", calendar_views.overview, name="calendar"),
    path("calendar/import/", calendar_views.schedule_import, name="schedule_import"),
    path("calendar/<int:year>/complete/", calendar_views.mark_complete, name="mark_complete"),
    path("calendar/days/add/", calendar_views.day_edit, name="day_add"),
    path("calendar/days/<int:pk>/", calendar_views.day_edit, name="day_edit"),
    path("calendar/days/<int:pk>/delete/", calendar_views.day_delete, name="day_delete"),
    path("policies/", policy_views.policy_list, name="policies"),
    path("policies/add/", policy_views.policy_edit, name="policy_add"),
    path("policies/<int:pk>/", policy_views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/delete/", policy_views.policy_delete, name="policy_delete"),
    path("units/", reference_views.unit_list, name="units"),
    path("units/add/", reference_views.unit_edit, name="unit_add"),
    path("units/<int:pk>/", reference_views.unit_edit, name="unit_edit"),
    path("users/", reference_views.user_list, name="users"),
    path("users/add/", reference_views.user_edit, name="user_add"),
    path("users/<int:pk>/", reference_views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", reference_views.user_password, name="user_password"),
    path("categories/", reference_views.category_list, name="categories"),
    path("categories/add/", reference_views.category_edit, name="category_add"),
    path("categories/<int:pk>/", reference_views.category_edit, name="category_edit"),
    path("divisions/", reference_views.division_list, name="divisions"),
    path("divisions/add/", reference_views.division_edit, name="division_add"),
    path("divisions/<int:pk>/", reference_views.division_edit, name="division_edit"),
]
