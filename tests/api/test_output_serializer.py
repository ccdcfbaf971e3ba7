"""core.api.serializers.OutputModelSerializer builds a class's fields once and gives every
instance its own copies: nothing bound to one instance (its context, its parent) leaks into
another, in one thread or many."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone

from core.api.serializers import render_one
from incidents import services
from incidents.api.serializers import IncidentOutputSerializer
from sla.selectors import clocks_for_tickets

pytestmark = pytest.mark.django_db


def test_each_instance_has_its_own_bound_fields(end_user):
    incident = services.incident_create(requester=end_user, title="Printer")
    first = IncidentOutputSerializer(incident, context={"now": timezone.now()})
    second = IncidentOutputSerializer(incident, context={"now": timezone.now()})
    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert field.parent is first
        assert second.fields[name].parent is second
    nested = first.fields["requester"]
    assert nested.fields["username"].parent is nested


def test_outputs_follow_each_instances_own_context(incident_policies, end_user):
    incident = services.incident_create(requester=end_user, title="Printer")
    clocks = clocks_for_tickets([incident])

    def render(with_clocks: bool) -> dict:
        context = {"now": timezone.now(), "clocks": clocks if with_clocks else {}}
        return dict(IncidentOutputSerializer(incident, context=context).data)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(render, [True, False] * 20))
    for with_clocks, data in zip([True, False] * 20, results, strict=True):
        assert bool(data["sla"]["clocks"]) is with_clocks


def test_render_one_equals_a_fresh_serializer_and_keeps_no_context(incident_policies, end_user):
    incident = services.incident_create(requester=end_user, title="Printer")
    context = {"now": timezone.now(), "clocks": clocks_for_tickets([incident])}
    expected = dict(IncidentOutputSerializer(incident, context=context).data)
    assert render_one(IncidentOutputSerializer, incident, context) == expected
    # The pooled serializer forgets the call's context: the next call sees only its own.
    later = render_one(IncidentOutputSerializer, incident, {"now": timezone.now()})
    assert later["sla"]["clocks"] == []


def test_render_one_is_reentrant(end_user):
    first = services.incident_create(requester=end_user, title="Outer")
    second = services.incident_create(requester=end_user, title="Inner")

    class Nesting(IncidentOutputSerializer):
        def to_representation(self, instance):
            data = super().to_representation(instance)
            if instance.pk == first.pk:
                data["inner"] = render_one(Nesting, second, {"now": timezone.now()})["title"]
            return data

    data = render_one(Nesting, first, {"now": timezone.now()})
    assert (data["title"], data["inner"]) == ("Outer", "Inner")
