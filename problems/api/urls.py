"""REST API routes of problems, mounted under /api/v1/ by config/api_urls.py.

URL names: `problems-list`, `problems-detail`, `problems-<action>` (the action table's:
investigate, known-error, resolve, close, reopen, cancel, assign, claim, analysis),
`problems-incidents`, `problems-link-incident`, `problems-unlink-incident`,
`problems-resolve-incidents`, `problems-comments`, `problems-attachments`,
`problems-attachment-download`, `problems-timeline`; `known-errors-list`.
"""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from problems.api.views import KnownErrorViewSet, ProblemViewSet

router = SimpleRouter()
router.register("problems", ProblemViewSet, basename="problems")
router.register("known-errors", KnownErrorViewSet, basename="known-errors")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
