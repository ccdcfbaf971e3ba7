"""The one FilterSet of the deployments list, shared by the page (/agent/changes/deployments/)
and the API list (/api/v1/deployments/). It narrows the selector's queryset, never widens it."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from changes.models import Deployment
from core.filtering import CappedModelChoiceFilter
from core.models import Service
from core.web.forms import active_services


def _services(request: Any) -> QuerySet[Service]:
    return active_services()


class DeploymentFilterSet(django_filters.FilterSet):
    service = CappedModelChoiceFilter(
        queryset=_services, label="Service", empty_label="Any service"
    )
    environment = django_filters.CharFilter(label="Environment", max_length=40)
    # A date or an ISO date-time; the page offers a date picker.
    since = django_filters.IsoDateTimeFilter(
        field_name="deployed_at",
        lookup_expr="gte",
        label="Deployed since",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="deployed_at",
        lookup_expr="lt",
        label="Deployed before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Deployment
        fields: list[str] = []
