"""A capped choice field's options key (the SQL of its query, CHOICES_MEMO's key) is made once
for a declared field and kept by the copies each request's form makes; a queryset assigned
afterwards gets its own key (issue 18: compiling the query for every select cost ~0.35 ms)."""

import pytest
from django import forms
from django.db.models.sql import Query

from core.models import Service
from core.web.forms import CappedModelChoiceField, active_services, assign_options

pytestmark = pytest.mark.django_db


class _ServiceForm(forms.Form):
    service = CappedModelChoiceField(queryset=active_services(), required=False)


def test_the_copies_of_a_declared_field_keep_its_key_without_compiling(monkeypatch, service):
    _ServiceForm()  # the declared field's key is made on its first copy
    compiled = []
    original = Query.__str__
    monkeypatch.setattr(Query, "__str__", lambda query: compiled.append(1) or original(query))
    form = _ServiceForm()
    field = form.fields["service"]
    assert field.options_key() == original(active_services().query)
    assert [label for _, label in field.choices] == ["---------", service.name]
    assert compiled == []


def test_an_assigned_queryset_gets_its_own_key(service):
    other = Service.objects.create(
        name="Zeta mail", is_active=True, owner_group=service.owner_group
    )
    form = _ServiceForm()
    before = [label for _, label in form.fields["service"].choices]
    form.fields["service"].queryset = Service.objects.filter(pk=other.pk)
    assert form.fields["service"].options_key() == str(Service.objects.filter(pk=other.pk).query)
    assert [label for _, label in form.fields["service"].choices] == ["---------", "Zeta mail"]
    assert "Zeta mail" in before and service.name in before
    # The declared field is untouched: the next form lists every active service again.
    assert [label for _, label in _ServiceForm().fields["service"].choices] == before


class _AssignedForm(forms.Form):
    service = CappedModelChoiceField(queryset=Service.objects.none(), required=False)

    def __init__(self) -> None:
        super().__init__()
        assign_options(self.fields["service"], active_services)


def test_options_assigned_from_a_source_are_keyed_by_its_name_without_compiling(
    monkeypatch, service
):
    compiled = []
    original = Query.__str__
    monkeypatch.setattr(Query, "__str__", lambda query: compiled.append(1) or original(query))
    field = _AssignedForm().fields["service"]
    assert field.options_key() == "core.web.forms.active_services()"
    assert [label for _, label in field.choices] == ["---------", service.name]
    assert compiled == []
    # A queryset assigned afterwards is keyed by its own SQL again.
    field.queryset = Service.objects.filter(pk=service.pk)
    assert field.options_key() == original(Service.objects.filter(pk=service.pk).query)
