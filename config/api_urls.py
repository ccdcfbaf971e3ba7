"""The REST API: /api/v1/ gathers each app's api/urls.py; the schema and its docs sit beside it."""

from django.urls import include, path

v1 = [
    path("", include("core.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("incidents.alerts.urls")),
    path("", include("service_requests.api.urls")),
    path("", include("problems.api.urls")),
    path("", include("sla.api.urls")),
    path("", include("reporting.api.urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
]
