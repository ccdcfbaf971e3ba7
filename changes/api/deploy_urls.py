"""REST routes of deployments and the DORA report, mounted under /api/v1/ by config/api_urls.py:
`deployments-list`, `deployments-detail` and `reports-dora` (beside reporting's reports-*)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from changes.api.deployments import DeploymentViewSet
from changes.api.dora import DoraReportView

router = SimpleRouter()
router.register("deployments", DeploymentViewSet, basename="deployments")

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/dora/", DoraReportView.as_view(), name="reports-dora"),
    *router.urls,
]
