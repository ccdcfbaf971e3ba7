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
from django.db.models import QuerySet
from django.http import QueryDict
from django_filters import fields as filter_fields

from core.models import User
from core.web.forms import CappedModelChoiceIterator


class ListFilterSet(django_filters.FilterSet):
    _form_classes: ClassVar[dict[type, type[forms.Form]]] = {}

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
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

    def get_form_class(self) -> type[forms.Form]:
        form_class = self._form_classes.get(type(self))
        if form_class is None:
            form_class = super().get_form_class()
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
