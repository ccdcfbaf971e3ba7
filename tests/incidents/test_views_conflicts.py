"""A form refused because the ticket changed meanwhile keeps what the person typed: the page
comes back as it is now (409, nothing stored) with the form filled in and a message, and
sending it again works."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db.models import F
from django.urls import reverse

from incidents import services
from incidents.choices import Category, Impact, IncidentStatus, ResolutionCode, Urgency
from incidents.models import Incident

pytestmark = pytest.mark.django_db

NOTES = "Replaced the <b>switch</b> in rack 4; traffic is back."


@pytest.fixture
def classified(end_user, agent_l1, service):
    incident = services.incident_create(requester=end_user, title="VPN drops", service=service)
    services.incident_accept(incident, actor=agent_l1)
    return services.incident_classify(
        incident,
        actor=agent_l1,
        category=Category.NETWORK,
        impact=Impact.MEDIUM,
        urgency=Urgency.MEDIUM,
        service=service,
    )


def _hidden_version(body: str, prefix: str) -> int:
    match = re.search(rf'name="{prefix}-version" value="(\d+)"', body)
    assert match, f"no {prefix}-version"
    return int(match.group(1))


def test_an_agents_resolution_typed_on_a_stale_page_is_kept(
    client_for, agent_l1, agent_l2, classified
) -> None:
    stale = classified.version
    services.incident_assign(classified, actor=agent_l2, assignee=agent_l2)  # meanwhile
    classified.refresh_from_db()
    url = reverse("incidents:agent_transition", args=[classified.number, "resolve"])
    sent = {
        "resolve-version": stale,
        "resolve-resolution_code": ResolutionCode.FIXED,
        "resolve-resolution_notes": NOTES,
    }
    client = client_for(agent_l1)
    response = client.post(url, sent)
    assert response.status_code == 409
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("changed by someone else" in m and "kept below" in m for m in messages)
    body = response.content.decode()
    assert response.context["open_form"] == "resolve"
    assert 'id="transition-resolve" open' in body.replace('name="transition" ', "")
    assert "Replaced the &lt;b&gt;switch&lt;/b&gt; in rack 4; traffic is back." in body
    assert _hidden_version(body, "resolve") == classified.version  # the version shown now
    assert "Assigned to " in body and agent_l2.display_name in body  # the page as it is now
    classified.refresh_from_db()
    assert classified.status == IncidentStatus.CLASSIFIED  # nothing stored
    again = client.post(url, {**sent, "resolve-version": _hidden_version(body, "resolve")})
    assert again.status_code == 302
    classified.refresh_from_db()
    assert classified.status == IncidentStatus.RESOLVED
    assert classified.resolution_notes == NOTES


def test_a_requesters_reopen_reason_typed_on_a_stale_page_is_kept(
    client_for, end_user, agent_l1, classified
) -> None:
    resolved = services.incident_resolve(
        classified, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="Done."
    )
    stale = resolved.version
    # Meanwhile the agent edits the resolved incident (a version bump is all the page sees).
    Incident.objects.filter(pk=resolved.pk).update(version=F("version") + 1)
    resolved.refresh_from_db()
    url = reverse("incidents:portal_action", args=[resolved.number, "reopen"])
    response = client_for(end_user).post(
        url, {"reopen-version": stale, "reopen-reason": "Still drops every hour"}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Still drops every hour" in body
    assert response.context["action_forms"]["reopen"].form["version"].value() == str(
        resolved.version
    )
    resolved.refresh_from_db()
    assert resolved.status == IncidentStatus.RESOLVED and resolved.reopen_count == 0
