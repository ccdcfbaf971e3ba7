"""REST API routes of this app, mounted under /api/v1/ by config/api_urls.py.

URL names are `reports-<metric>` (no namespace, like every API route), e.g. `reports-mttr`;
subscriptions are `report-subscriptions-list` and `report-subscriptions-detail`.
"""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from reporting.api import views
from reporting.api.subscriptions import ReportSubscriptionViewSet

router = SimpleRouter()
router.register("reports/subscriptions", ReportSubscriptionViewSet, basename="report-subscriptions")

urlpatterns: list[URLPattern | URLResolver] = [
    *(
        path(
            f"reports/{report.slug}/",
            views.report_view(report).as_view(),
            name=f"reports-{report.slug}",
        )
        for report in views.REPORTS
    ),
    *router.urls,
]
