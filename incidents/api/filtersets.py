"""The incident list filters of the API: the shared IncidentFilterSet plus the filters the API
issue asks for that the HTML list does not offer yet (impact, urgency, requester, configuration
item, created and resolved ranges).

These belong in incidents/filtersets.py (one FilterSet for HTML and API); they live here only
until its owner merges them, after which this module re-exports IncidentFilterSet unchanged.
"""

import django_filters

from core.models import ConfigurationItem, User
from incidents.choices import Impact, Urgency
from incidents.filtersets import IncidentFilterSet


class IncidentApiFilterSet(IncidentFilterSet):
    impact = django_filters.ChoiceFilter(choices=Impact.choices, label="Impact")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label="Urgency")
    requester = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), label="Requester (user id)"
    )
    configuration_item = django_filters.ModelChoiceFilter(
        queryset=ConfigurationItem.objects.all(), label="Configuration item (id)"
    )
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Created at or after (ISO 8601)"
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Created before (ISO 8601)"
    )
    resolved_after = django_filters.IsoDateTimeFilter(
        field_name="resolved_at", lookup_expr="gte", label="Resolved at or after (ISO 8601)"
    )
    resolved_before = django_filters.IsoDateTimeFilter(
        field_name="resolved_at", lookup_expr="lt", label="Resolved before (ISO 8601)"
    )
