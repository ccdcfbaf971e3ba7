"""Reporting pages, exports and the Prometheus endpoint (mounted at the site root)."""

from django.urls import URLPattern, URLResolver, include, path

from reporting import dashboard_views, views

app_name = "reporting"

# The manager dashboard (reporting/dashboard_views.py), under manager/dashboard/.
DASHBOARD_ROUTES = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("tiles/<slug:name>/", dashboard_views.dashboard_tile, name="dashboard_tile"),
    path("csv/<slug:chart>.csv", dashboard_views.dashboard_csv, name="dashboard_csv"),
    path("subscriptions/", dashboard_views.dashboard_subscribe, name="dashboard_subscribe"),
    path(
        "subscriptions/<int:pk>/delete/",
        dashboard_views.dashboard_unsubscribe,
        name="dashboard_unsubscribe",
    ),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/export.csv", views.export_csv, name="export_csv"),
    path("reports/oncall-review.csv", views.oncall_review_csv, name="oncall_review_csv"),
    path("metrics", views.metrics, name="metrics"),
    path("manager/dashboard/", include(DASHBOARD_ROUTES)),
]
