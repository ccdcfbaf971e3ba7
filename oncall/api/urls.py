"""REST routes of on-call schedules, mounted under /api/v1/ (`oncall-schedules-*`,
`oncall-layers-*`, `oncall-overrides-*`, `oncall-now-list`) and of paging
(`oncall-policies-*`, `oncall-contact-methods-*`, `oncall-notification-rules-*`,
`oncall-pages-*`)."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from oncall.api.paging_views import (
    ContactMethodViewSet,
    PageViewSet,
    PolicyViewSet,
    RuleViewSet,
)
from oncall.api.views import LayerViewSet, OnCallNowViewSet, OverrideViewSet, ScheduleViewSet

router = SimpleRouter()
router.register("oncall/schedules", ScheduleViewSet, basename="oncall-schedules")
router.register("oncall/layers", LayerViewSet, basename="oncall-layers")
router.register("oncall/overrides", OverrideViewSet, basename="oncall-overrides")
router.register("oncall/now", OnCallNowViewSet, basename="oncall-now")
router.register("oncall/policies", PolicyViewSet, basename="oncall-policies")
router.register("oncall/contact-methods", ContactMethodViewSet, basename="oncall-contact-methods")
router.register("oncall/notification-rules", RuleViewSet, basename="oncall-notification-rules")
router.register("oncall/pages", PageViewSet, basename="oncall-pages")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
