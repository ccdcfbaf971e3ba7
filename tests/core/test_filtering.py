"""core.filtering.ListFilterSet: filters copied shallowly and the form class built once must
behave like django-filter's own FilterSet (own parent per instance, current choices)."""

import pytest
from django.http import QueryDict

from core.choices import Tier
from core.models import SupportGroup
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_each_instance_has_its_own_filters_and_method_bindings():
    first = IncidentFilterSet(QueryDict("q=printer"), queryset=Incident.objects.all())
    second = IncidentFilterSet(QueryDict("q=disk"), queryset=Incident.objects.all())
    for name in first.filters:
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name].parent is first
        assert second.filters[name].parent is second
    # A method filter calls its own instance's method, not the class's or another instance's.
    assert first.filters["q"].filter.method.__self__ is first
    assert second.filters["q"].filter.method.__self__ is second
    assert "base_filters" not in vars(first)


def test_the_form_class_is_built_once_and_the_forms_are_not_shared():
    first = IncidentFilterSet(QueryDict(""), queryset=Incident.objects.all())
    second = IncidentFilterSet(QueryDict(""), queryset=Incident.objects.all())
    assert type(first.form) is type(second.form)
    assert first.form is not second.form
    assert first.form.fields["support_group"] is not second.form.fields["support_group"]


def test_choices_read_from_the_database_stay_current(l1_group):
    IncidentFilterSet(QueryDict(""), queryset=Incident.objects.all()).form  # noqa: B018
    SupportGroup.objects.create(name="Database team", tier=Tier.L2)
    labels = [
        label
        for _, label in IncidentFilterSet(QueryDict(""), queryset=Incident.objects.all())
        .form.fields["support_group"]
        .choices
    ]
    assert "Database team (L2)" in labels


def test_filtering_works_as_before(end_user):
    printer = IncidentFactory(title="Printer jammed", requester=end_user)
    IncidentFactory(title="Disk full", requester=end_user)
    filterset = IncidentFilterSet(
        QueryDict("q=printer&open=false"), queryset=Incident.objects.all()
    )
    assert list(filterset.qs) == [printer]
    assert not IncidentFilterSet(QueryDict("priority=banana")).is_valid()
