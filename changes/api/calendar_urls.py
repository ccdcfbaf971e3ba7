"""REST routes of the change calendar, mounted under /api/v1/ (`change-freeze-windows-*`)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from changes.api.calendar import FreezeWindowViewSet

router = SimpleRouter()
router.register("change-freeze-windows", FreezeWindowViewSet, basename="change-freeze-windows")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
