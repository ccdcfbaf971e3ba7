"""The project's URLs under another root, for tests/core/test_kept_reverse.py: another URLconf
gives other URLs."""

from django.urls import include, path

urlpatterns = [path("moved/", include("config.urls"))]
