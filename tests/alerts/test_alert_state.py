"""The alert's state where the on-call engineer looks: the ticket header, the queue, the API."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.api.tokens import api_token_create
from incidents.models import Incident
from tests.alerts.conftest import Poster
from tests.alerts.payloads import alertmanager, am_alert

pytestmark = pytest.mark.django_db


def recovered(fingerprint: str) -> dict:
    alert = am_alert(fingerprint, status="resolved", ends_at="2025-03-03T09:04:00Z")
    return alertmanager(alert, status="resolved")


def test_header_says_firing_since_then_recovered_at(
    hook, post: Poster, clock: time_machine.Traveller, client_for, agent_l1
) -> None:
    post(hook, alertmanager(am_alert("h1")))  # startsAt 08:00, seen at 09:00
    incident = Incident.objects.get()
    client = client_for(agent_l1)
    url = reverse("incidents:agent_detail", args=[incident.number])
    page = client.get(url).content.decode()
    assert 'class="badge badge-alert-firing"' in page
    assert 'Alert firing since <time datetime="2025-03-03T08:00:00+00:00">' in page
    clock.shift(timedelta(minutes=5))
    post(hook, recovered("h1"))
    page = client.get(url).content.decode()
    assert "Alert firing since" not in page
    assert 'Alert recovered at <time datetime="2025-03-03T09:04:00+00:00">' in page


def test_a_person_s_incident_shows_no_alert_state(client_for, agent_l1, end_user) -> None:
    from tests.factories import IncidentFactory

    incident = IncidentFactory(requester=end_user, status="logged")
    page = client_for(agent_l1).get(reverse("incidents:agent_detail", args=[incident.number]))
    assert "badge-alert" not in page.content.decode()


def _queue(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("incidents:agent_list"), {"tab": "all"})
    assert response.status_code == 200
    return response.content.decode(), len(captured.captured_queries)


def test_queue_badges_cost_no_query_per_row(
    make_hook, post: Poster, clock: time_machine.Traveller, client_for, agent_l1
) -> None:
    hook = make_hook(max_new_incidents_per_minute=0)
    client = client_for(agent_l1)
    post(hook, alertmanager(am_alert("q0")))
    _queue(client)  # the first request also reads the agent's roles (cached after)
    page, one = _queue(client)
    assert page.count("badge-alert-firing") == 1
    post(hook, alertmanager(*[am_alert(f"q{i}") for i in range(1, 20)]))
    post(hook, recovered("q0"))
    page, twenty = _queue(client)
    assert page.count("badge-alert-firing") == 19
    assert page.count("badge-alert-recovered") == 1
    assert twenty == one


def test_the_queue_refresh_sends_a_row_whose_alert_recovered(
    hook, post: Poster, clock: time_machine.Traveller, client_for, agent_l1
) -> None:
    """The alert's state changes no column of the incident: the refresh's marker reads it too,
    so an unchanged-looking row whose badge moved is not answered 304."""
    post(hook, alertmanager(am_alert("r1")))
    client = client_for(agent_l1)
    url = reverse("incidents:agent_list")
    page = client.get(url)
    htmx = {"HX-Request": "true", "If-None-Match": page.headers["ETag"]}
    assert client.get(url, headers=htmx).status_code == 304
    post(hook, recovered("r1"))
    refresh = client.get(url, headers=htmx)
    assert refresh.status_code == 200
    assert "badge-alert-recovered" in refresh.content.decode()


def test_the_api_gives_the_state_in_the_list_and_the_detail(
    hook, post: Poster, clock: time_machine.Traveller, client, agent_l1
) -> None:
    post(hook, alertmanager(am_alert("a1"), am_alert("a2", starts_at="2025-03-03T08:30:00Z")))
    clock.shift(timedelta(minutes=5))
    post(hook, recovered("a2"))
    secret = api_token_create(user=agent_l1, name="cli", scopes=["read"]).secret
    headers = {"Authorization": f"Bearer {secret}"}
    listing = client.get("/api/v1/incidents/", headers=headers).json()["results"]
    states = {
        row["title"]: (row["alert_firing_since"], row["alert_recovered_at"]) for row in listing
    }
    assert states == {
        "[Probe] Probe on host-a1": ("2025-03-03T08:00:00Z", None),
        "[Probe] Probe on host-a2": (None, "2025-03-03T09:04:00Z"),
    }
    number = Incident.objects.get(title__endswith="host-a2").number
    detail = client.get(f"/api/v1/incidents/{number}/", headers=headers).json()
    assert (detail["alert_firing_since"], detail["alert_recovered_at"]) == (
        None,
        "2025-03-03T09:04:00Z",
    )
