from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from xinfang.petitions.views import home

admin.site.site_header = "信访通 · 系统管理"
admin.site.site_title = "信访通"
admin.site.index_title = "基础数据与配置"

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("matters/", include("xinfang.petitions.urls")),
    path("audit/", include("xinfang.audit.urls")),
    path("admin/", admin.site.urls),
]
