"""The filters of the on-call lists in the API: schedules by group, overrides by schedule,
person and time, policies, contact methods and pages (narrowing the selector's queryset, never
widening it)."""

import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from core.models import SupportGroup, User
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    Override,
    Page,
    PageNotification,
    PageStatus,
    Schedule,
)


class ScheduleFilterSet(django_filters.FilterSet):
    group = django_filters.ModelChoiceFilter(
        field_name="support_group", queryset=SupportGroup.objects.all(), label="Support group"
    )

    class Meta:
        model = Schedule
        fields: list[str] = []


class OverrideFilterSet(django_filters.FilterSet):
    schedule = django_filters.ModelChoiceFilter(queryset=Schedule.objects.all())
    person = django_filters.ModelChoiceFilter(queryset=User.objects.all())
    ends_after = django_filters.IsoDateTimeFilter(field_name="end", lookup_expr="gt")
    starts_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = Override
        fields: list[str] = []


class PolicyFilterSet(django_filters.FilterSet):
    group = django_filters.ModelChoiceFilter(
        field_name="support_group", queryset=SupportGroup.objects.all(), label="Support group"
    )
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = EscalationPolicy
        fields: list[str] = []


class ContactMethodFilterSet(django_filters.FilterSet):
    """Admins read everyone's methods; `person` narrows them (others only see their own)."""

    person = django_filters.ModelChoiceFilter(queryset=User.objects.all())
    kind = django_filters.ChoiceFilter(choices=ContactMethodKind.choices)

    class Meta:
        model = ContactMethod
        fields: list[str] = []


class PageFilterSet(django_filters.FilterSet):
    """Pages by status, ticket number, group, a person paged and creation time."""

    status = django_filters.MultipleChoiceFilter(choices=PageStatus.choices)
    ticket = django_filters.CharFilter(field_name="ticket_number", lookup_expr="iexact")
    group = django_filters.ModelChoiceFilter(
        field_name="support_group", queryset=SupportGroup.objects.all(), label="Support group"
    )
    person = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), method="paged_person", label="A person paged"
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Page
        fields: list[str] = []

    def paged_person(
        self, queryset: QuerySet[Page], name: str, value: User | None
    ) -> QuerySet[Page]:
        if value is None:
            return queryset
        # EXISTS, not a join: a person notified by several methods is one row of the list.
        notified = PageNotification.objects.filter(page=OuterRef("pk"), person=value)
        return queryset.filter(Exists(notified))
