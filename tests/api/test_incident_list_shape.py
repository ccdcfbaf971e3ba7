"""The incident list renders its rows from plain values (incidents.api.listing) for speed; these
tests hold that rendering to IncidentSummaryOutputSerializer (the schema's list item) and to the
detail endpoint, field for field, over incidents in every SLA situation."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework.test import APIClient

from incidents import services
from incidents.api.serializers import IncidentSummaryOutputSerializer
from incidents.choices import Category, HoldReason, Impact, ResolutionCode, Urgency
from incidents.models import Incident
from sla.models import SlaClock
from sla.selectors import clocks_for_tickets
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(incident_policies, service, agent_l1, l1_group, end_user):
    """One incident per situation: new, assigned and classified, breached, on hold, resolved, no
    SLA policy's service, a requester with a full name."""
    named = UserFactory(first_name="Ada", last_name="Lovelace")
    made = {}

    def create(key: str, **kwargs: object) -> Incident:
        made[key] = services.incident_create(
            requester=kwargs.pop("requester", end_user), title=f"{key} case", **kwargs
        )
        return made[key]

    def classify(incident: Incident, *, major: bool = False) -> None:
        services.incident_accept(incident, actor=agent_l1)
        services.incident_classify(
            incident,
            actor=agent_l1,
            category=Category.NETWORK,
            impact=Impact.HIGH,
            urgency=Urgency.HIGH,
            service=service,
            is_major=major,
        )

    create("new")
    create("named", requester=named, description="long text not in lists")
    worked = create("classified", service=service)
    classify(worked, major=True)
    services.incident_assign(worked, actor=agent_l1, assignee=agent_l1)
    breached = create("breached")
    SlaClock.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=breached.pk
    ).update(due_at=timezone.now() - timedelta(minutes=5))
    held = create("held")
    services.incident_accept(held, actor=agent_l1)
    services.incident_hold(held, actor=agent_l1, on_hold_reason=HoldReason.AWAITING_USER)
    done = create("resolved")
    classify(done)
    services.incident_resolve(
        done, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="Rebooted."
    )
    assert l1_group.pk == made["new"].support_group_id
    return {key: Incident.objects.get(pk=incident.pk) for key, incident in made.items()}


@pytest.fixture
def agent_api(client_as, agent_l1) -> APIClient:
    return client_as(agent_l1, ["read"])


def _listed(client: APIClient) -> dict[str, dict]:
    response = client.get("/api/v1/incidents/?open=false&page_size=50")
    assert response.status_code == 200, response.content
    return {row["number"]: row for row in response.json()["results"]}


def test_the_list_renders_exactly_what_the_summary_serializer_would(incidents, agent_api):
    listed = _listed(agent_api)
    objects = list(Incident.objects.filter(pk__in=[i.pk for i in incidents.values()]))
    context = {"clocks": clocks_for_tickets(objects), "now": timezone.now()}
    expected = IncidentSummaryOutputSerializer(objects, many=True, context=context).data
    assert len(listed) == len(incidents)
    for item in expected:
        assert listed[item["number"]] == dict(item)
    states = {listed[i.number]["sla"]["state"] for i in incidents.values()}
    assert {"on_track", "breached", "paused"} <= states


def test_every_list_field_equals_the_detail_endpoints_value(incidents, agent_api):
    listed = _listed(agent_api)
    for incident in incidents.values():
        row = listed[incident.number]
        detail = agent_api.get(f"/api/v1/incidents/{incident.number}/").json()
        for name, value in row.items():
            if name == "sla":
                assert value == {k: detail["sla"][k] for k in ("state", "due_at")}
            else:
                assert value == detail[name], (incident.number, name)


def test_the_list_names_people_as_the_detail_does(incidents, agent_api, agent_l1):
    listed = _listed(agent_api)
    assert listed[incidents["named"].number]["requester"]["display_name"] == "Ada Lovelace"
    assert listed[incidents["classified"].number]["assignee"]["id"] == agent_l1.pk
    assert listed[incidents["new"].number]["assignee"] is None
    assert "description" not in listed[incidents["named"].number]


def test_requesters_list_only_their_own_in_the_same_shape(incidents, client_as, end_user):
    mine = client_as(end_user, ["read"]).get("/api/v1/incidents/?open=false").json()["results"]
    assert {row["number"] for row in mine} == {
        i.number for i in incidents.values() if i.requester_id == end_user.pk
    }
    assert all(row["requester"]["id"] == end_user.pk for row in mine)


def test_list_times_follow_the_active_time_zone(incidents, agent_api, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    row = _listed(agent_api)[incidents["new"].number]
    assert row["created_at"].endswith(("+01:00", "+02:00"))
