"""The REST API: /api/v1/ gathers each app's api/urls.py; the schema and its docs sit beside it.

Any other path under /api/ is a 404 in the API's error format (core.api.errors), not an HTML page.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from core.api.docs import ApiDocsView
from core.api.errors import api_not_found

v1 = [
    path("", include("core.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("incidents.alerts.urls")),
    path("", include("service_requests.api.urls")),
    path("", include("problems.api.urls")),
    path("", include("changes.api.urls")),
    path("", include("sla.api.urls")),
    path("", include("reporting.api.urls")),
    path("", include("email_intake.api.urls")),
    path("", include("oncall.api.urls")),
    path("", include("slo.api.urls")),
    path("", include("changes.api.deploy_urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^", api_not_found, name="api-not-found"),
]
