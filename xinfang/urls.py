from django.contrib import admin
from django.urls import include, path

from xinfang.api.api import api
from xinfang.api.open311 import open311
from xinfang.core import errors, health, observability
from xinfang.petitions.views import home

admin.site.site_header = "信访通 · 系统管理"
admin.site.site_title = "信访通"
admin.site.index_title = "基础数据与配置"

urlpatterns = [
    path("", home, name="home"),
    path("", include("xinfang.org.urls")),
    path("matters/", include("xinfang.petitions.urls")),
    path("ledger/", include("xinfang.ledger.urls")),
    path("disputes/", include("xinfang.disputes.urls")),
    path("grid/", include("xinfang.grid.urls")),
    path("hazards/", include("xinfang.hazards.urls")),
    path("assessments/", include("xinfang.assessments.urls")),
    path("assist/", include("xinfang.assist.urls")),
    path("supervision/", include("xinfang.supervision.urls")),
    path("analytics/", include("xinfang.analytics.urls")),
    path("documents/", include("xinfang.documents.urls")),
    path("audit/", include("xinfang.audit.urls")),
    path("manage/", include("xinfang.administration.urls")),
    path("integrations/", include("xinfang.api.urls")),
    path("api/v1/", api.urls),
    path("open311/v2/", open311.urls),
    path("portal/", include("xinfang.portal.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
]


def not_found(request, exception):
    """404 in the citizen portal's own layout under /portal/, so that its links lead back there."""
    template = "portal/404.html" if request.path.startswith("/portal/") else "404.html"
    return errors.not_found(request, exception, template_name=template)


handler404 = not_found
