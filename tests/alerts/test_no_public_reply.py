"""An alert incident's requester is its integration's reporter, who cannot sign in and has no
email address: agents get an internal note only, and a public reply is refused in the API."""

import pytest
from django.urls import reverse

from core.api.tokens import api_token_create
from core.models import Comment
from incidents.models import Incident
from tests.alerts.payloads import alertmanager, am_alert
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert_incident(hook, post, clock) -> Incident:
    assert post(hook, alertmanager(am_alert("a1"))).status_code == 200
    return Incident.objects.get()


def _composer(client, incident) -> str:
    return client.get(reverse("incidents:agent_detail", args=[incident.number])).content.decode()


def test_the_agent_page_offers_only_an_internal_note(alert_incident, client_for, agent_l1):
    page = _composer(client_for(agent_l1), alert_incident)
    assert 'id="note-form"' in page
    assert 'id="reply-form"' not in page and "Send public reply" not in page
    assert "No public reply:" in page


def test_a_persons_incident_still_offers_the_public_reply(client_for, agent_l1, end_user):
    incident = IncidentFactory(requester=end_user, status="logged")
    page = _composer(client_for(agent_l1), incident)
    assert 'id="reply-form"' in page and "No public reply:" not in page


def test_the_api_refuses_a_public_reply_and_takes_a_note(alert_incident, client, agent_l1):
    secret = api_token_create(user=agent_l1, name="cli", scopes=["read", "write"]).secret
    url = f"/api/v1/incidents/{alert_incident.number}/comments/"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    refused = client.post(url, {"body": "Hello?"}, content_type="application/json", **auth)
    assert refused.status_code == 400
    assert "cannot sign in and has no email address" in refused.json()["error"]["fields"]["body"][0]
    assert not Comment.objects.exists()
    note = client.post(
        url, {"body": "Disk cleaned", "is_internal": True}, content_type="application/json", **auth
    )
    assert note.status_code == 201
