"""The what-if pages (sla.whatif.views), mounted at the site root by config/urls.py."""

from django.urls import URLPattern, path

from sla.whatif import views

app_name = "sla_whatif"

urlpatterns: list[URLPattern] = [
    path("reports/sla-what-if/", views.scenario_list, name="list"),
    path("reports/sla-what-if/new/", views.scenario_new, name="new"),
    path("reports/sla-what-if/<int:pk>/", views.scenario_detail, name="detail"),
    path("reports/sla-what-if/<int:pk>/edit/", views.scenario_edit, name="edit"),
    path("reports/sla-what-if/<int:pk>/progress/", views.scenario_progress, name="progress"),
    path("reports/sla-what-if/<int:pk>/run/", views.scenario_run_view, name="run"),
    path("reports/sla-what-if/<int:pk>/cancel/", views.scenario_cancel_view, name="cancel"),
    path("reports/sla-what-if/<int:pk>/delete/", views.scenario_delete_view, name="delete"),
    path("reports/sla-what-if/<int:pk>/flips.csv", views.flips_csv, name="flips_csv"),
    path("reports/sla-what-if/<int:pk>/totals.csv", views.totals_csv, name="totals_csv"),
]
