"""ETag on responses; If-Match refuses stale writes with 412 and changes nothing."""

import pytest

from incidents import services
from incidents.models import Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client_as, agent_l1):
    return client_as(agent_l1)


@pytest.fixture
def incident(end_user, l1_group):
    return IncidentFactory(requester=end_user, status="logged", support_group=l1_group)


def url(incident: Incident, suffix: str = "") -> str:
    return f"/api/v1/incidents/{incident.number}/{suffix}"


def test_get_returns_the_version_as_etag(agent, incident):
    response = agent.get(url(incident))
    assert response["ETag"] == f'"v{incident.version}"'


def test_matching_if_match_updates_and_returns_the_new_etag(agent, incident):
    etag = agent.get(url(incident))["ETag"]
    response = agent.patch(url(incident), {"title": "New title"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] == f'"v{incident.version + 1}"'
    assert response.json()["title"] == "New title"


def test_stale_if_match_is_412_and_changes_nothing(agent, agent_l2, incident):
    etag = agent.get(url(incident))["ETag"]
    services.incident_update_details(
        incident, actor=agent_l2, title="Someone else's edit", description=""
    )
    response = agent.patch(url(incident), {"title": "Mine"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    incident.refresh_from_db()
    assert incident.title == "Someone else's edit"


@pytest.mark.parametrize("action", ["hold", "cancel", "assign", "escalate"])
def test_stale_if_match_on_actions_changes_nothing(agent, agent_l1, incident, l2_group, action):
    bodies = {
        "hold": {"on_hold_reason": "awaiting_user"},
        "cancel": {"cancel_reason": "duplicate"},
        "assign": {"assignee": agent_l1.pk},
        "escalate": {"reason": "Needs L2"},
    }
    response = agent.post(
        url(incident, f"{action}/"), bodies[action], format="json", HTTP_IF_MATCH='"v999"'
    )
    assert response.status_code == 412
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.status, fresh.version, fresh.assignee_id, fresh.tier) == (
        "logged",
        incident.version,
        None,
        1,
    )


def test_race_lost_under_the_lock_is_412_with_if_match(agent, agent_l2, incident, monkeypatch):
    """The row changes between the view's read and the service's lock: still a 412."""
    etag = agent.get(url(incident))["ETag"]
    real = services.incident_update_details

    def concurrent_edit_first(target, **kwargs):
        Incident.objects.filter(pk=target.pk).update(version=target.version + 1)
        return real(target, **kwargs)

    monkeypatch.setattr(services, "incident_update_details", concurrent_edit_first)
    response = agent.patch(url(incident), {"title": "Mine"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    incident.refresh_from_db()
    assert incident.title != "Mine"


def test_star_and_weak_tags(agent, incident):
    assert (
        agent.patch(url(incident), {"title": "A"}, format="json", HTTP_IF_MATCH="*").status_code
        == 200
    )
    incident.refresh_from_db()
    weak = f'W/"v{incident.version}"'
    response = agent.patch(url(incident), {"title": "B"}, format="json", HTTP_IF_MATCH=weak)
    assert response.status_code == 412  # If-Match uses strong comparison
    listed = f'"v1", "v{incident.version}"'
    assert (
        agent.patch(url(incident), {"title": "C"}, format="json", HTTP_IF_MATCH=listed).status_code
        == 200
    )


def test_without_if_match_writes_go_ahead(agent, incident):
    response = agent.post(
        url(incident, "hold/"), {"on_hold_reason": "awaiting_vendor"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "on_hold"
    assert response["ETag"] == f'"v{incident.version + 1}"'
