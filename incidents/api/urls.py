"""REST API routes of incidents, mounted under /api/v1/ by config/api_urls.py.

URL names: `incidents-list`, `incidents-detail`, `incidents-<action>` (accept, classify, …,
assign, claim, escalate, deescalate), `incidents-comments`, `incidents-attachments`,
`incidents-attachment-download`, `incidents-timeline`.
"""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from incidents.api.views import IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incidents")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
