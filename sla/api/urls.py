"""REST API routes of the SLA app, mounted under /api/v1/ by config/api_urls.py.

URL names: `sla-policies-list|detail`, `sla-calendars-list|detail`, `sla-clocks-detail`,
`sla-what-if-list|detail|run|cancel|results|flips`.
"""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from sla.api.views import CalendarViewSet, SlaPolicyViewSet, TicketClockViewSet
from sla.api.whatif import WhatIfScenarioViewSet

router = SimpleRouter()
router.register("sla-policies", SlaPolicyViewSet, basename="sla-policies")
router.register("sla-calendars", CalendarViewSet, basename="sla-calendars")
router.register("sla-clocks", TicketClockViewSet, basename="sla-clocks")
router.register("sla-what-if", WhatIfScenarioViewSet, basename="sla-what-if")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
