"""A FilterSet base for the ticket lists (the queue pages and the API lists share them).

For every request django-filter deep-copies every filter, builds a form field per filter, makes
a new Form class from them, and instantiates it (which copies those fields again): about a fifth
of the incident API list's time (BENCHMARKS.md, "Incident API"). `ListFilterSet` copies each
filter shallowly (a filter is configuration; an instance needs only its own `parent` and
method binding) and builds
the form class once per FilterSet class. The form itself is still made per request, from fresh
copies of the fields, so choices read from the database are current.

Only for FilterSets whose form fields do not depend on the request: a queryset given as a
callable must ignore its `request` argument (the ticket lists pass functions of no user).
"""

import copy
from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.http import QueryDict
from django_filters import fields as filter_fields

from core.models import User
from core.tickets.kinds import kind_of
from core.web.forms import CappedModelChoiceIterator, active_groups, agent_users
from core.web.widgets import FastSelect


class ListFilterSet(django_filters.FilterSet):
    _form_classes: ClassVar[dict[type, type[forms.Form]]] = {}

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        form: forms.Form | None = None,
    ) -> None:
        """`form`: this FilterSet's form already made from the same data (and validated), kept
        by the caller (incidents.views.queue_filters), in place of one made again."""
        # django_filters.FilterSet.__init__, with copy.copy in place of copy.deepcopy.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(f) for name, f in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self
            if filter_.method is not None:
                # Rebind: the copied FilterMethod still points at the class's filter.
                filter_.method = filter_.method
        if form is not None:
            self._form = form

    def get_form_class(self) -> type[forms.Form]:
        form_class = self._form_classes.get(type(self))
        if form_class is None:
            form_class = super().get_form_class()
            for field in form_class.base_fields.values():
                if type(field.widget) is forms.Select:
                    field.widget = FastSelect(
                        attrs=field.widget.attrs, choices=field.widget.choices
                    )
            self._form_classes[type(self)] = form_class
        return form_class


# Value of the null choice in the assignee and group selects ("?assignee=null" = unassigned).
NULL_VALUE = "null"


class _CappedFilterIterator(filter_fields.ModelChoiceIterator, CappedModelChoiceIterator):
    """django-filter's null choice ("Unassigned") on top of the 200-option cap."""


class _CappedFilterField(filter_fields.ModelChoiceField):
    iterator = _CappedFilterIterator


class _AgentFilterField(_CappedFilterField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name if isinstance(obj, User) else str(obj)


class CappedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _CappedFilterField


class AgentChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _AgentFilterField


# (label, ORDER BY) per `ordering` value.
Orderings = dict[str, tuple[str, tuple[Any, ...]]]

# The orders every ticket list offers. Time to breach: the nearest SLA due time first, tickets
# with no running clock (paused, no SLA) after them — what the kinds' partial indexes on
# (sla_due_at, id) serve (PostgreSQL sorts NULLs last by default).
BY_BREACH = ("Time to breach", (F("sla_due_at").asc(nulls_last=True), "id"))
BY_AGE: Orderings = {
    "oldest": ("Oldest first", ("created_at", "id")),
    "newest": ("Newest first", ("-created_at", "-id")),
    "updated": ("Recently updated", ("-updated_at", "-id")),
}


def _groups(request: Any) -> QuerySet[Any]:
    return active_groups()


def _agents(request: Any) -> QuerySet[Any]:
    return agent_users()


def ordering_filter(orderings: Orderings) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in orderings.items()],
        method="filter_ordering",
        label="Sort by",
        empty_label=None,
    )


class TicketFilterSet(ListFilterSet):
    """The filters every ticket list has: a search by title or number, the open ones, the group
    and the assignee (`null` for none), and a sort order. A kind's FilterSet adds its status
    choices, its own filters, its `orderings` with an `ordering` filter, and names the filters
    that count as narrowing the list (`counted`).

    `open` defaults to true when absent, so a bare list shows the open work; it is ignored when
    statuses are picked explicitly. A missing `ordering` is `default_ordering`.
    """

    orderings: ClassVar[Orderings] = {}
    default_ordering: ClassVar[str] = ""
    counted: ClassVar[tuple[str, ...]] = ("q", "status", "support_group", "assignee")

    q = django_filters.CharFilter(method="filter_q", label="Search")
    open = django_filters.BooleanFilter(method="filter_open", label="Open only")
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

    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        form: forms.Form | None = None,
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
        if not bound.get("ordering") and self.default_ordering:
            bound["ordering"] = self.default_ordering
        super().__init__(bound, queryset, request=request, prefix=prefix, form=form)

    def filter_q(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = value.strip()
        if not text:
            return queryset
        match = Q(title__icontains=text) | Q(number__iexact=text)
        prefix = self._meta.model.NUMBER_PREFIX
        digits = text.upper().removeprefix(f"{prefix}-").lstrip("0")
        if digits.isdigit():
            match |= Q(number=f"{prefix}-{int(digits):06d}")
        return queryset.filter(match)

    def filter_open(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if not value or self.form.cleaned_data.get("status"):
            return queryset
        # Written into the SQL, so a kept statement's one plan uses the partial indexes on the
        # open statuses (core.constant_in).
        return queryset.filter(status__in_constants=kind_of(self._meta.model).lifecycle.open)

    def filter_ordering(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        fallback = self.orderings[self.default_ordering]
        _, order = self.orderings.get(value or self.default_ordering, fallback)
        return queryset.order_by(*order)

    @property
    def active_filter_count(self) -> int:
        """How many filters narrow the list beyond the defaults (for "Clear filters")."""
        if not self.form.is_valid():
            return 0
        data = self.form.cleaned_data
        count = sum(1 for name in self.counted if data.get(name) not in (None, "", []))
        return count + (0 if data.get("open") else 1)
