"""REST API routes of service requests, mounted under /api/v1/ by config/api_urls.py. The app's
folder is service_requests/, its URLs say `requests` (DESIGN.md §3).

URL names: `requests-list`, `requests-detail`, `requests-approvals`, `requests-<action>` (every row
of service_requests.actions: approve, reject, start, fulfil, close, hold, resume, cancel, assign,
claim, escalate, deescalate), `requests-tasks`, `requests-task`,
`requests-comments`, `requests-attachments`, `requests-attachment-download`, `requests-timeline`;
`catalog-items-list`, `catalog-items-detail`.
"""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from service_requests.api.views import CatalogItemViewSet, ServiceRequestViewSet

router = SimpleRouter()
router.register("requests", ServiceRequestViewSet, basename="requests")
router.register("catalog-items", CatalogItemViewSet, basename="catalog-items")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
