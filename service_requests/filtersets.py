"""RequestFilterSet: the filters of the agent request list (status, item, group, assignee, text).

It only narrows a queryset it is given; callers pass the user's scoped queryset from
service_requests.selectors, so filtering can never widen what someone may see.
"""

from typing import Any

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import QueryDict

from core.filtering import NULL_VALUE, AgentChoiceFilter, CappedModelChoiceFilter, ListFilterSet
from core.models import SupportGroup, User
from core.web.forms import active_groups, agent_users
from service_requests.choices import OPEN_STATUSES, RequestStatus
from service_requests.models import CatalogItem, ServiceRequest

ORDERINGS: dict[str, tuple[str, tuple[str | OrderBy, ...]]] = {
    # Nearest SLA due time first; requests with no running clock (paused, no SLA) after them.
    "breach": ("Time to breach", (F("sla_due_at").asc(nulls_last=True), "id")),
    "oldest": ("Oldest first", ("created_at", "id")),
    "newest": ("Newest first", ("-created_at", "-id")),
    "updated": ("Recently updated", ("-updated_at", "-id")),
}
DEFAULT_ORDERING = "breach"


def _agents(request: Any) -> QuerySet[User]:
    return agent_users()


def _groups(request: Any) -> QuerySet[SupportGroup]:
    return active_groups()


def _items(request: Any) -> QuerySet[CatalogItem]:
    return CatalogItem.objects.order_by("name")


class RequestFilterSet(ListFilterSet):
    """Filters for request lists. `open` defaults to true when absent, so a bare list shows the
    open work; it is ignored when statuses are picked explicitly."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.MultipleChoiceFilter(
        choices=RequestStatus.choices,
        label="Status",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    open = django_filters.BooleanFilter(method="filter_open", label="Open only")
    catalog_item = CappedModelChoiceFilter(queryset=_items, label="Item", empty_label="Any item")
    support_group = CappedModelChoiceFilter(
        queryset=_groups,
        label="Group",
        empty_label="Any group",
        null_label="No group",
        null_value=NULL_VALUE,
    )
    assignee = AgentChoiceFilter(
        queryset=_agents,
        label="Assignee",
        empty_label="Anyone",
        null_label="Unassigned",
        null_value=NULL_VALUE,
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in ORDERINGS.items()],
        method="filter_ordering",
        label="Sort by",
        empty_label=None,
    )

    class Meta:
        model = ServiceRequest
        fields: list[str] = []

    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None = None,
        queryset: QuerySet[ServiceRequest] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        bound = QueryDict(mutable=True)
        if isinstance(data, QueryDict):
            bound = data.copy()
        elif data is not None:
            for key, value in data.items():
                values = value if isinstance(value, list | tuple) else [value]
                bound.setlist(key, [str(v) for v in values])
        if "open" not in bound:
            bound["open"] = "true"
        if not bound.get("ordering"):
            bound["ordering"] = DEFAULT_ORDERING
        super().__init__(bound, queryset, request=request, prefix=prefix)

    def filter_q(
        self, queryset: QuerySet[ServiceRequest], name: str, value: str
    ) -> QuerySet[ServiceRequest]:
        text = value.strip()
        if not text:
            return queryset
        match = Q(title__icontains=text) | Q(number__iexact=text)
        digits = text.upper().removeprefix("REQ-").lstrip("0")
        if digits.isdigit():
            match |= Q(number=f"{ServiceRequest.NUMBER_PREFIX}-{int(digits):06d}")
        return queryset.filter(match)

    def filter_open(
        self, queryset: QuerySet[ServiceRequest], name: str, value: bool | None
    ) -> QuerySet[ServiceRequest]:
        if not value or self.form.cleaned_data.get("status"):
            return queryset
        return queryset.filter(status__in=sorted(OPEN_STATUSES))

    def filter_ordering(
        self, queryset: QuerySet[ServiceRequest], name: str, value: str
    ) -> QuerySet[ServiceRequest]:
        _, order = ORDERINGS.get(value or DEFAULT_ORDERING, ORDERINGS[DEFAULT_ORDERING])
        return queryset.order_by(*order)

    @property
    def active_filter_count(self) -> int:
        if not self.form.is_valid():
            return 0
        data = self.form.cleaned_data
        count = sum(
            1
            for name in ("q", "status", "catalog_item", "support_group", "assignee")
            if data.get(name) not in (None, "", [])
        )
        return count + (0 if data.get("open") else 1)
