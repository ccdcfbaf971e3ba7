"""SlaPolicyFilterSet: the filters of the policy list (the API is its only list; the Django admin
has its own). It narrows the queryset it is given and never widens it."""

import django_filters

from core.models import Service
from sla.models import SlaPolicy


class SlaPolicyFilterSet(django_filters.FilterSet):
    # The model field's choices: the registered kinds with SLA clocks, read when iterated (so
    # the schema lists them; a bare callable would leave its enum empty).
    ticket_kind = django_filters.ChoiceFilter(
        choices=SlaPolicy._meta.get_field("ticket_kind").choices, label="Ticket kind"
    )
    priority = django_filters.TypedChoiceFilter(
        choices=[(p, str(p)) for p in range(1, 6)], coerce=int, label="Priority (1-5)"
    )
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label="Service (id)")
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = SlaPolicy
        fields: list[str] = []
