"""Routes of the benchmark baselines (benchmarks/baseline_views.py), under /bench/.

config/urls.py mounts them only when the environment says BENCHMARK_BASELINE=1; they check no
role, so a deployment never has them. benchmarks/api_bench.py serves them through its own URL
configuration (benchmarks/root_urls.py) and does not depend on that switch.
"""

from django.urls import path

from benchmarks.baseline_views import (
    BareIncidentCreateView,
    BareIncidentListView,
    bare_portal_tickets,
    bare_ticket,
    bare_ticket_rows,
)

urlpatterns = [
    path("bench/api/incidents/", BareIncidentListView.as_view(), name="bench-incidents-list"),
    path(
        "bench/api/incidents/create/",
        BareIncidentCreateView.as_view(),
        name="bench-incidents-create",
    ),
    path("bench/pages/<str:kind_name>/", bare_ticket_rows, name="bench-ticket-rows"),
    path("bench/ticket/<str:kind_name>/<str:number>/", bare_ticket, name="bench-ticket"),
    path(
        "bench/portal/ticket/<str:kind_name>/<str:number>/",
        bare_ticket,
        {"public_only": True},
        name="bench-portal-ticket",
    ),
    path("bench/portal/tickets/", bare_portal_tickets, name="bench-portal-tickets"),
]
