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
    path("reports/mttr/", views.MttrReportView.as_view(), name="reports-mttr"),
    path("reports/mtta/", views.MttaReportView.as_view(), name="reports-mtta"),
    path("reports/mtbf/", views.MtbfReportView.as_view(), name="reports-mtbf"),
    path("reports/compliance/", views.ComplianceReportView.as_view(), name="reports-compliance"),
    path("reports/backlog/", views.BacklogReportView.as_view(), name="reports-backlog"),
    path("reports/volume/", views.VolumeReportView.as_view(), name="reports-volume"),
    path("reports/reopen-rate/", views.ReopenRateReportView.as_view(), name="reports-reopen-rate"),
    path(
        "reports/first-contact/",
        views.FirstContactReportView.as_view(),
        name="reports-first-contact",
    ),
    path(
        "reports/escalation-rate/",
        views.EscalationRateReportView.as_view(),
        name="reports-escalation-rate",
    ),
    path(
        "reports/satisfaction/",
        views.SatisfactionReportView.as_view(),
        name="reports-satisfaction",
    ),
    path("reports/summary/", views.SummaryReportView.as_view(), name="reports-summary"),
    *router.urls,
]
