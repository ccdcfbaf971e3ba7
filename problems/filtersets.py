"""ProblemFilterSet: the filters of the agent problem list (status, service, text).

It only narrows a queryset it is given (problems.selectors), so filtering never widens scope.
"""

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from core.filtering import CappedModelChoiceFilter, ListFilterSet
from core.models import Service
from core.web.forms import active_services
from problems.choices import ProblemStatus
from problems.models import Problem
from problems.transitions import OPEN_STATUSES


def _services(request: Any) -> QuerySet[Service]:
    return active_services()


class ProblemFilterSet(ListFilterSet):
    """With no status ticked the list shows the open problems."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.MultipleChoiceFilter(
        choices=ProblemStatus.choices,
        label="Status",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        method="filter_status",
    )
    service = CappedModelChoiceFilter(
        queryset=_services, label="Service", empty_label="Any service"
    )

    class Meta:
        model = Problem
        fields: list[str] = []

    @property
    def qs(self) -> QuerySet[Problem]:
        queryset: QuerySet[Problem] = super().qs
        if not (self.form.is_valid() and self.form.cleaned_data.get("status")):
            queryset = queryset.filter(status__in=sorted(OPEN_STATUSES))
        return queryset.order_by("priority", "-created_at", "-id")

    def filter_status(
        self, queryset: QuerySet[Problem], name: str, value: list[str]
    ) -> QuerySet[Problem]:
        return queryset.filter(status__in=value) if value else queryset

    def filter_q(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        text = value.strip()
        if not text:
            return queryset
        match = Q(title__icontains=text) | Q(number__iexact=text)
        digits = text.upper().removeprefix("PRB-").lstrip("0")
        if digits.isdigit():
            match |= Q(number=f"{Problem.NUMBER_PREFIX}-{int(digits):06d}")
        return queryset.filter(match)
