"""ObjectiveFilterSet: the filters of the objective list, by service and kind, shared by the
/slo/ page and /api/v1/slos/. It narrows the queryset it is given (the list selector)."""

import django_filters

from core.filtering import CappedModelChoiceFilter
from core.models import Service
from slo.choices import ObjectiveKind
from slo.models import Objective


class ObjectiveFilterSet(django_filters.FilterSet):
    # Capped: the page's select box renders at most MAX_SELECT_OPTIONS services; any service
    # id still filters.
    service = CappedModelChoiceFilter(
        queryset=Service.objects.order_by("name"), label="Service", empty_label="Every service"
    )
    kind = django_filters.ChoiceFilter(
        choices=ObjectiveKind.choices, label="Objective", empty_label="Every kind"
    )

    class Meta:
        model = Objective
        fields: list[str] = []
