"""Reporting pages, exports and the Prometheus endpoint (mounted at the site root)."""

from django.urls import URLPattern, URLResolver, path

from reporting import dashboard_views, views

app_name = "reporting"

urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/export.csv", views.export_csv, name="export_csv"),
    path("metrics", views.metrics, name="metrics"),
    # The manager dashboard (reporting/dashboard_views.py).
    path("manager/dashboard/", dashboard_views.dashboard, name="dashboard"),
    path(
        "manager/dashboard/tiles/<slug:name>/",
        dashboard_views.dashboard_tile,
        name="dashboard_tile",
    ),
    path(
        "manager/dashboard/csv/<slug:chart>.csv",
        dashboard_views.dashboard_csv,
        name="dashboard_csv",
    ),
    path(
        "manager/dashboard/subscriptions/",
        dashboard_views.dashboard_subscribe,
        name="dashboard_subscribe",
    ),
    path(
        "manager/dashboard/subscriptions/<int:pk>/delete/",
        dashboard_views.dashboard_unsubscribe,
        name="dashboard_unsubscribe",
    ),
]
