"""REST routes of service level objectives, mounted under /api/v1/ (`slos-*`)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from slo.api.views import SloViewSet

router = SimpleRouter()
router.register("slos", SloViewSet, basename="slos")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
