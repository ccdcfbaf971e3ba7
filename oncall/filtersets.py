"""The filters of the on-call lists in the API: schedules by group, overrides by schedule,
person and time (narrowing the selector's queryset, never widening it)."""

import django_filters

from core.models import SupportGroup, User
from oncall.models import Override, Schedule


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
