"""IncidentFilterSet: the filters of the agent incident list, shared with the REST API list.

It only narrows a queryset it is given; callers pass the user's scoped queryset from
incidents.selectors, so filtering can never widen what someone may see.
"""

from typing import Any

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import QueryDict
from django.utils import timezone

from core.choices import Priority, Tier
from core.filtering import NULL_VALUE, AgentChoiceFilter, CappedModelChoiceFilter, ListFilterSet
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.web.forms import active_groups, active_services, agent_users
from incidents.choices import OPEN_STATUSES, Impact, IncidentStatus, Urgency
from incidents.models import Incident
from sla.choices import SlaState

ORDERINGS: dict[str, tuple[str, tuple[str | OrderBy, ...]]] = {
    # Nearest SLA due time first; tickets with no running clock (paused, no SLA) after them.
    # Matches the partial index incident_open_sla_due (PostgreSQL sorts NULLs last by default).
    "breach": ("Time to breach", (F("sla_due_at").asc(nulls_last=True), "id")),
    "priority": ("Priority, then oldest", ("priority", "created_at", "id")),
    "oldest": ("Oldest first", ("created_at", "id")),
    "newest": ("Newest first", ("-created_at", "-id")),
    "updated": ("Recently updated", ("-updated_at", "-id")),
}
DEFAULT_ORDERING = "breach"

# The states the queue can filter on in the database (from the denormalised nearest running
# clock); "paused" and "none" both mean "no running clock" there, so they are not offered.
SLA_STATE_FILTERS = (SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED)


def _agents(request: Any) -> QuerySet[User]:
    return agent_users()


def _groups(request: Any) -> QuerySet[SupportGroup]:
    return active_groups()


def _services(request: Any) -> QuerySet[Service]:
    return active_services()


class IncidentFilterSet(ListFilterSet):
    """Filters for incident lists. `open` defaults to true when absent, so a bare list shows the
    open work; it is ignored when statuses are picked explicitly."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.MultipleChoiceFilter(
        choices=IncidentStatus.choices,
        label="Status",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    open = django_filters.BooleanFilter(method="filter_open", label="Open only")
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, label="Priority", empty_label="Any priority"
    )
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label="Tier", empty_label="Any tier")
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
    service = CappedModelChoiceFilter(
        queryset=_services, label="Service", empty_label="Any service"
    )
    impact = django_filters.ChoiceFilter(choices=Impact.choices, label="Impact")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label="Urgency")
    # By id: these are API filters (the HTML list does not render a select of every user/CI).
    requester = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), label="Requester (user id)"
    )
    configuration_item = django_filters.ModelChoiceFilter(
        queryset=ConfigurationItem.objects.all(), label="Configuration item (id)"
    )
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Created at or after (ISO 8601)"
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Created before (ISO 8601)"
    )
    resolved_after = django_filters.IsoDateTimeFilter(
        field_name="resolved_at", lookup_expr="gte", label="Resolved at or after (ISO 8601)"
    )
    resolved_before = django_filters.IsoDateTimeFilter(
        field_name="resolved_at", lookup_expr="lt", label="Resolved before (ISO 8601)"
    )
    sla_state = django_filters.ChoiceFilter(
        choices=[(state.value, state.label) for state in SLA_STATE_FILTERS],
        method="filter_sla_state",
        label="SLA",
        empty_label="Any SLA state",
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in ORDERINGS.items()],
        method="filter_ordering",
        label="Sort by",
        empty_label=None,
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None = None,
        queryset: QuerySet[Incident] | None = None,
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
        # Absent means "default": open work only, the nearest breach first.
        if "open" not in bound:
            bound["open"] = "true"
        if not bound.get("ordering"):
            bound["ordering"] = DEFAULT_ORDERING
        super().__init__(bound, queryset, request=request, prefix=prefix)

    def filter_q(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        text = value.strip()
        if not text:
            return queryset
        match = Q(title__icontains=text) | Q(number__iexact=text)
        digits = text.upper().removeprefix("INC-").lstrip("0")
        if digits.isdigit():
            match |= Q(number=f"{Incident.NUMBER_PREFIX}-{int(digits):06d}")
        return queryset.filter(match)

    def filter_open(
        self, queryset: QuerySet[Incident], name: str, value: bool | None
    ) -> QuerySet[Incident]:
        if not value or self.form.cleaned_data.get("status"):
            return queryset
        return queryset.filter(status__in=sorted(OPEN_STATUSES))

    def filter_sla_state(
        self, queryset: QuerySet[Incident], name: str, value: str
    ) -> QuerySet[Incident]:
        """By the nearest running clock (ticket.sla_due_at / sla_warn_at) against now, so the
        filter is one indexed condition, not a join to the clocks."""
        now = timezone.now()
        if value == SlaState.BREACHED:
            return queryset.filter(sla_due_at__lte=now)
        if value == SlaState.AT_RISK:
            return queryset.filter(sla_warn_at__lte=now, sla_due_at__gt=now)
        if value == SlaState.ON_TRACK:
            return queryset.filter(
                Q(sla_warn_at__isnull=True) | Q(sla_warn_at__gt=now), sla_due_at__gt=now
            )
        return queryset

    def filter_ordering(
        self, queryset: QuerySet[Incident], name: str, value: str
    ) -> QuerySet[Incident]:
        _, order = ORDERINGS.get(value or DEFAULT_ORDERING, ORDERINGS[DEFAULT_ORDERING])
        return queryset.order_by(*order)

    @property
    def active_filter_count(self) -> int:
        """How many filters narrow the list beyond the defaults (for the "Clear filters" link)."""
        if not self.form.is_valid():
            return 0
        data = self.form.cleaned_data
        count = sum(
            1
            for name in (
                "q",
                "status",
                "priority",
                "tier",
                "support_group",
                "assignee",
                "service",
                "sla_state",
            )
            if data.get(name) not in (None, "", [])
        )
        return count + (0 if data.get("open") else 1)
