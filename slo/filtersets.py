"""The filter of the objective list (API): by service and kind."""

import django_filters

from core.models import Service
from slo.choices import ObjectiveKind
from slo.models import Objective


class ObjectiveFilterSet(django_filters.FilterSet):
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all())
    kind = django_filters.ChoiceFilter(choices=ObjectiveKind.choices)

    class Meta:
        model = Objective
        fields: list[str] = []
