"""REST routes of on-call schedules, mounted under /api/v1/ (`oncall-schedules-*`,
`oncall-layers-*`, `oncall-overrides-*`, `oncall-now-list`)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from oncall.api.views import LayerViewSet, OnCallNowViewSet, OverrideViewSet, ScheduleViewSet

router = SimpleRouter()
router.register("oncall/schedules", ScheduleViewSet, basename="oncall-schedules")
router.register("oncall/layers", LayerViewSet, basename="oncall-layers")
router.register("oncall/overrides", OverrideViewSet, basename="oncall-overrides")
router.register("oncall/now", OnCallNowViewSet, basename="oncall-now")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
