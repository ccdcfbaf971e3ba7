"""HTML routes of deployments and the DORA report (namespace "dora"), mounted at the site root
by config/urls.py: /agent/changes/deployments/, /manager/dora/ and /reports/dora.csv."""

from django.urls import path

from changes.views.deployments import deployments_view
from changes.views.dora import dora_csv, dora_view

app_name = "dora"

urlpatterns = [
    path("agent/changes/deployments/", deployments_view, name="deployments"),
    path("manager/dora/", dora_view, name="report"),
    path("reports/dora.csv", dora_csv, name="csv"),
]
