"""HTML routes of service level objectives (namespace "slo")."""

from django.urls import path

from slo.views import (
    objective_delete_view,
    objective_edit_view,
    objective_new_view,
    slo_list_view,
    slo_service_view,
)

app_name = "slo"

urlpatterns = [
    path("slo/", slo_list_view, name="list"),
    path("slo/<int:service_id>/", slo_service_view, name="service"),
    path("slo/objectives/new/", objective_new_view, name="objective_new"),
    path("slo/objectives/<int:pk>/edit/", objective_edit_view, name="objective_edit"),
    path("slo/objectives/<int:pk>/delete/", objective_delete_view, name="objective_delete"),
]
