"""The filters of the calendar's API lists: freeze windows by time (those meeting a span) and
by service (windows naming it, and the global ones); change templates by state (the active
ones unless `state` says otherwise) and service."""

import django_filters
from django.db.models import Q, QuerySet

from changes.models import ChangeTemplate, FreezeWindow
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


TEMPLATE_STATES = (("active", "Active"), ("retired", "Retired"), ("all", "All"))


class ChangeTemplateFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=TEMPLATE_STATES,
        method="filter_state",
        label="active (the default: those new standard changes are raised from), retired or all",
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.all(), label="Templates of this service"
    )

    class Meta:
        model = ChangeTemplate
        fields: list[str] = []

    def filter_state(
        self, queryset: QuerySet[ChangeTemplate], name: str, value: str
    ) -> QuerySet[ChangeTemplate]:
        if value == "all":
            return queryset
        return queryset.filter(is_active=value != "retired")

    def filter_queryset(self, queryset: QuerySet[ChangeTemplate]) -> QuerySet[ChangeTemplate]:
        filtered = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("state"):
            return filtered.filter(is_active=True)
        return filtered
