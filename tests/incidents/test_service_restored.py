"""An agent records when the service was restored (Incident.service_restored_at), which MTBF
ends an outage at: on the incident page and through the API; bad input changes nothing.

T = Mon 2026-04-06 08:00 UTC: the incident is reported at T, logged and classified at T,
resolved at T + 3 h (so its restore time defaults to T + 3 h)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from core.choices import EventKind
from core.exceptions import TransitionError, ValidationFailed
from core.models import TimelineEvent
from incidents import services
from incidents.choices import CancelReason, Category, Impact, ResolutionCode, Urgency
from incidents.models import Incident
from incidents.restoration import incident_record_service_restored

pytestmark = pytest.mark.django_db

T = datetime(2026, 4, 6, 8, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


@pytest.fixture
def resolved(end_user, agent_l1, service, incident_policies) -> Incident:
    with time_machine.travel(T, tick=False):
        incident = services.incident_create(
            requester=end_user, title="Wiki down", impact=Impact.HIGH, service=service
        )
        incident = services.incident_accept(incident, actor=agent_l1)
        incident = services.incident_classify(
            incident,
            actor=agent_l1,
            category=Category.SOFTWARE,
            impact=Impact.HIGH,
            urgency=Urgency.HIGH,
            service=service,
        )
    with time_machine.travel(at(3), tick=False):
        return services.incident_resolve(
            incident, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="ok"
        )


def restored_events(incident: Incident) -> int:
    return TimelineEvent.objects.filter(
        ticket_id=incident.pk,
        kind=EventKind.FIELDS_CHANGED,
        changes__has_key="service_restored_at",
    ).count()


def test_the_resolution_sets_it_and_an_agent_corrects_it(resolved, agent_l1):
    assert resolved.service_restored_at == at(3)
    with time_machine.travel(at(5), tick=False):
        corrected = incident_record_service_restored(
            resolved,
            actor=agent_l1,
            service_restored_at=at(1),
            expected_version=resolved.version,
        )
    assert corrected.service_restored_at == at(1)
    assert corrected.version == resolved.version + 1
    assert restored_events(corrected) == 1


@pytest.mark.parametrize(
    ("hours", "words"),
    [(-1, "The outage began"), (4, "was resolved at"), (30, "in the future")],
)
def test_a_time_outside_the_outage_is_refused_and_nothing_changes(resolved, agent_l1, hours, words):
    with time_machine.travel(at(6), tick=False), pytest.raises(ValidationFailed) as refused:
        incident_record_service_restored(resolved, actor=agent_l1, service_restored_at=at(hours))
    assert words in refused.value.errors["service_restored_at"]
    after = Incident.objects.get(pk=resolved.pk)
    assert (after.service_restored_at, after.version) == (at(3), resolved.version)
    assert restored_events(resolved) == 0


def test_after_a_reopen_it_cannot_precede_the_reopen(resolved, agent_l1):
    with time_machine.travel(at(4), tick=False):
        reopened = services.incident_reopen(resolved, actor=agent_l1, reason="Down again.")
    assert reopened.service_restored_at is None  # down again
    with time_machine.travel(at(6), tick=False):
        with pytest.raises(ValidationFailed):
            incident_record_service_restored(reopened, actor=agent_l1, service_restored_at=at(3.5))
        later = incident_record_service_restored(
            reopened, actor=agent_l1, service_restored_at=at(5)
        )
    assert later.service_restored_at == at(5)


def test_only_agents_and_not_on_cancelled_incidents(resolved, end_user, agent_l1, service):
    with pytest.raises(TransitionError):
        incident_record_service_restored(resolved, actor=end_user, service_restored_at=at(2))
    with time_machine.travel(at(1), tick=False):
        other = services.incident_create(requester=end_user, title="Dup", service=service)
        other = services.incident_cancel(
            other, actor=agent_l1, cancel_reason=CancelReason.DUPLICATE
        )
    with time_machine.travel(at(2), tick=False), pytest.raises(TransitionError):
        incident_record_service_restored(other, actor=agent_l1, service_restored_at=at(1))


def test_the_incident_page_offers_the_panel_and_keeps_bad_input(resolved, agent_l1, client_for):
    client = client_for(agent_l1)
    page = reverse("incidents:agent_detail", args=[resolved.number])
    url = reverse("incidents:agent_transition", args=[resolved.number, "service_restored"])
    with time_machine.travel(at(6), tick=False):
        assert 'id="service-restored-form"' in client.get(page).content.decode()
        bad = client.post(
            url,
            {
                "service_restored-version": resolved.version,
                "service_restored-service_restored_at": "2026-04-06T13:00",
            },
        )
        assert bad.status_code == 200
        html = bad.content.decode()
        assert "was resolved at 2026-04-06 11:00" in html
        assert 'value="2026-04-06T13:00"' in html  # what the agent typed is kept
        assert Incident.objects.get(pk=resolved.pk).service_restored_at == at(3)
        good = client.post(
            url,
            {
                "service_restored-version": resolved.version,
                "service_restored-service_restored_at": "2026-04-06T09:30",
            },
        )
    assert good.status_code == 302
    assert Incident.objects.get(pk=resolved.pk).service_restored_at == at(1.5)


def client_as(user) -> APIClient:
    client = APIClient()
    secret = api_token_create(user=user, name="test", scopes=["read", "write"]).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_api_records_it_and_shows_it(resolved, agent_l1, end_user):
    url = reverse("incidents-service-restored", args=[resolved.number])
    with time_machine.travel(at(6), tick=False):
        refused = client_as(agent_l1).post(url, {"service_restored_at": "nonsense"}, format="json")
        assert refused.status_code == 400
        assert "service_restored_at" in refused.json()["error"]["fields"]
        assert client_as(end_user).post(url, {}, format="json").status_code == 403
        done = client_as(agent_l1).post(
            url, {"service_restored_at": "2026-04-06T09:15:00Z"}, format="json"
        )
    assert done.status_code == 200
    assert done.json()["service_restored_at"] == "2026-04-06T09:15:00Z"
