"""IncidentFilterSet: the filters of the agent incident list, shared with the REST API list.

It only narrows a queryset it is given; callers pass the user's scoped queryset from
incidents.selectors, so filtering can never widen what someone may see.
"""

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.choices import Priority, Tier
from core.filtering import (
    BY_AGE,
    BY_BREACH,
    CappedModelChoiceFilter,
    Orderings,
    TicketFilterSet,
    ordering_filter,
)
from core.models import ConfigurationItem, Service, User
from core.web.forms import active_services
from incidents.choices import Impact, IncidentStatus, Urgency
from incidents.models import Incident
from sla.choices import SlaState

ORDERINGS: Orderings = {
    "breach": BY_BREACH,
    "priority": ("Priority, then oldest", ("priority", "created_at", "id")),
    **BY_AGE,
}
DEFAULT_ORDERING = "breach"

# The states the queue can filter on in the database (from the denormalised nearest running
# clock); "paused" and "none" both mean "no running clock" there, so they are not offered.
SLA_STATE_FILTERS = (SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED)


def _services(request: Any) -> QuerySet[Service]:
    return active_services()


class IncidentFilterSet(TicketFilterSet):
    """Filters for incident lists (the shared ones: core.filtering.TicketFilterSet)."""

    orderings = ORDERINGS
    default_ordering = DEFAULT_ORDERING
    counted = (
        "q",
        "status",
        "priority",
        "tier",
        "support_group",
        "assignee",
        "service",
        "sla_state",
    )

    status = django_filters.MultipleChoiceFilter(
        choices=IncidentStatus.choices,
        label="Status",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, label="Priority", empty_label="Any priority"
    )
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label="Tier", empty_label="Any tier")
    service = CappedModelChoiceFilter(
        queryset=_services, label="Service", empty_label="Any service"
    )
    impact = django_filters.ChoiceFilter(choices=Impact.choices, label="Impact")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label="Urgency")
    # By id: these are API filters (the HTML list does not render a select of every user/CI).
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
    sla_state = django_filters.ChoiceFilter(
        choices=[(state.value, state.label) for state in SLA_STATE_FILTERS],
        method="filter_sla_state",
        label="SLA",
        empty_label="Any SLA state",
    )
    ordering = ordering_filter(ORDERINGS)

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_sla_state(
        self, queryset: QuerySet[Incident], name: str, value: str
    ) -> QuerySet[Incident]:
        """By the nearest running clock (ticket.sla_due_at / sla_warn_at) against now, so the
        filter is one indexed condition, not a join to the clocks."""
        now = timezone.now()
        if value == SlaState.BREACHED:
            return queryset.filter(sla_due_at__lte=now)
        if value == SlaState.AT_RISK:
            return queryset.filter(sla_warn_at__lte=now, sla_due_at__gt=now)
        if value == SlaState.ON_TRACK:
            return queryset.filter(
                Q(sla_warn_at__isnull=True) | Q(sla_warn_at__gt=now), sla_due_at__gt=now
            )
        return queryset
