"""Reporting pages, exports and the Prometheus endpoint."""

from django.urls import URLPattern, URLResolver

app_name = "reporting"

urlpatterns: list[URLPattern | URLResolver] = []
