"""The filters of the freeze-window list in the API: by time (those meeting a span) and by
service (windows naming it, or every global window with `service` and `include_global`)."""

import django_filters
from django.db.models import Q, QuerySet

from changes.models import FreezeWindow
from core.models import Service


class FreezeWindowFilterSet(django_filters.FilterSet):
    ends_after = django_filters.IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.all(),
        method="filter_service",
        label="Windows that freeze this service (those naming it and the global ones)",
    )

    class Meta:
        model = FreezeWindow
        fields: list[str] = []

    def filter_service(
        self, queryset: QuerySet[FreezeWindow], name: str, value: Service
    ) -> QuerySet[FreezeWindow]:
        naming = FreezeWindow.services.through.objects.filter(service=value).values(
            "freezewindow_id"
        )
        named_any = FreezeWindow.services.through.objects.values("freezewindow_id")
        return queryset.filter(Q(pk__in=naming) | ~Q(pk__in=named_any))
