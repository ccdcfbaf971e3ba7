"""ChangeFilterSet: the filters of the agent change list and the API list (status, type,
service, assignee, risk, open only, text).

It only narrows a queryset it is given (changes.selectors), so filtering never widens scope.
"""

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet

from changes.choices import ChangeStatus, ChangeType, Risk
from changes.models import Change
from core.filtering import (
    BY_AGE,
    CappedModelChoiceFilter,
    Orderings,
    TicketFilterSet,
    ordering_filter,
)
from core.models import Service
from core.web.forms import active_services

ORDERINGS: Orderings = {
    "window": ("Window, soonest first", (F("planned_start").asc(nulls_last=True), "id")),
    **BY_AGE,
}


def _services(request: Any) -> QuerySet[Service]:
    return active_services()


class ChangeFilterSet(TicketFilterSet):
    """With no status ticked (and `open` left on) the list shows the open changes."""

    orderings = ORDERINGS
    default_ordering = "newest"
    counted: ClassVar[tuple[str, ...]] = (
        "q",
        "status",
        "change_type",
        "service",
        "assignee",
        "risk",
    )

    status = django_filters.MultipleChoiceFilter(
        choices=ChangeStatus.choices,
        label="Status",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    change_type = django_filters.ChoiceFilter(
        choices=ChangeType.choices, label="Type", empty_label="Any type"
    )
    risk = django_filters.ChoiceFilter(choices=Risk.choices, label="Risk", empty_label="Any risk")
    service = CappedModelChoiceFilter(
        queryset=_services, label="Service", method="filter_service", empty_label="Any service"
    )
    ordering = ordering_filter(ORDERINGS)

    class Meta:
        model = Change
        fields: list[str] = []

    def filter_service(
        self, queryset: QuerySet[Change], name: str, value: Service | None
    ) -> QuerySet[Change]:
        """The changes touching the service: as their main one or among the others."""
        if value is None:
            return queryset
        touching = Change.services.through.objects.filter(service=value).values("change_id")
        return queryset.filter(Q(service=value) | Q(pk__in=touching))
