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
