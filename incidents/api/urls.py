"""REST API routes of this app, mounted under /api/v1/ by config/api_urls.py."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
