"""The problem API end to end: agents only, creation (also from an incident), details and
analysis edits with If-Match, the lifecycle through actions, links to incidents, closing the
loop on linked incidents, internal notes, and the known-error database."""

import pytest

from core.models import Comment, TimelineEvent
from problems.models import Problem, ProblemIncident
from tests.factories import ConfigurationItemFactory, IncidentFactory, ServiceFactory
from tests.problems.factories import KnownErrorFactory, ProblemFactory

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def error_fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    return set(response.json()["error"]["fields"])


@pytest.fixture
def problem(agent_l1, service):
    return ProblemFactory(requester=agent_l1, service=service, title="Mail relay drops mail")


def test_end_users_are_refused_everywhere(reporter, problem):
    assert reporter.get("/api/v1/problems/").status_code == 403
    assert reporter.get(f"/api/v1/problems/{problem.number}/").status_code == 403
    assert reporter.get("/api/v1/problems/PRB-424242/").status_code == 403  # nothing leaks
    assert reporter.post("/api/v1/problems/", {"title": "x"}, format="json").status_code == 403
    assert reporter.get("/api/v1/known-errors/").status_code == 403


def test_raise_a_problem_from_an_incident(agent, agent_l1, service, end_user):
    incident = IncidentFactory(requester=end_user, service=service, priority=2)
    response = agent.post(
        "/api/v1/problems/",
        {"title": "Mail keeps failing", "incident": incident.number.lower(), "service": service.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("PRB-")
    assert response["Location"].endswith(f"/api/v1/problems/{data['number']}/")
    assert (data["status"], data["priority"], data["incident_count"]) == ("new", 2, 1)
    assert data["raised_by"]["username"] == agent_l1.username
    assert data["support_group"]["id"] == service.owner_group_id
    assert ProblemIncident.objects.get().incident == incident


def test_creation_refuses_bad_input_and_stores_nothing(agent, service):
    other_ci = ConfigurationItemFactory(service=ServiceFactory(name="Other"))
    assert error_fields(
        agent.post("/api/v1/problems/", {"title": "x", "incident": "INC-999999"}, format="json")
    ) == {"incident"}
    bad_ci = {"title": "x", "service": service.pk, "configuration_item": other_ci.pk}
    assert error_fields(agent.post("/api/v1/problems/", bad_ci, format="json")) == {
        "configuration_item"
    }
    assert error_fields(agent.post("/api/v1/problems/", {"title": ""}, format="json")) == {"title"}
    assert error_fields(
        agent.post("/api/v1/problems/", {"title": "x", "priority": 9}, format="json")
    ) == {"priority"}
    assert not Problem.objects.exists()


def test_list_filters(agent, agent_l1, service):
    open_one = ProblemFactory(requester=agent_l1, service=service, priority=1)
    other = ProblemFactory(requester=agent_l1, priority=3, title="Printer queue stalls")
    closed = ProblemFactory(requester=agent_l1, status="closed")
    assert numbers(agent.get("/api/v1/problems/")) == [open_one.number, other.number]
    assert numbers(agent.get("/api/v1/problems/?status=closed")) == [closed.number]
    assert numbers(agent.get(f"/api/v1/problems/?service={service.pk}")) == [open_one.number]
    assert numbers(agent.get("/api/v1/problems/?q=printer")) == [other.number]
    assert error_fields(agent.get("/api/v1/problems/?status=lost")) == {"status"}


def test_details_edit_with_if_match(agent, problem, agent_l2, l2_group):
    url = f"/api/v1/problems/{problem.number}/"
    etag = agent.get(url)["ETag"]
    response = agent.patch(
        url,
        {"priority": 1, "assignee": agent_l2.pk, "support_group": l2_group.pk},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["priority"], data["tier"], data["title"]) == (1, 2, "Mail relay drops mail")
    assert data["assignee"]["username"] == "agent2"
    stale = agent.patch(url, {"title": "Again"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    problem.refresh_from_db()
    assert problem.title == "Mail relay drops mail"


def test_the_lifecycle_through_actions(agent, problem, end_user, service):
    base = f"/api/v1/problems/{problem.number}"
    assert agent.post(f"{base}/close/", {}, format="json").status_code == 409
    investigating = agent.post(f"{base}/investigate/", {}, format="json")
    assert investigating.status_code == 200
    assert investigating.json()["actions"] == ["known-error", "resolve", "cancel"]
    assert investigating.json()["assignee"]["username"] == "agent1"
    assert error_fields(
        agent.post(f"{base}/known-error/", {"root_cause": "Cert expired."}, format="json")
    ) == {"workaround"}
    known = agent.post(
        f"{base}/known-error/",
        {"root_cause": "Cert expired.", "workaround": "Use webmail."},
        format="json",
    )
    assert known.status_code == 200, known.content
    assert known.json()["status"] == "known_error"
    assert known.json()["actions"] == ["resolve", "cancel"]
    analysis = agent.post(f"{base}/analysis/", {"symptoms": "Bounces."}, format="json")
    assert (analysis.json()["symptoms"], analysis.json()["workaround"]) == (
        "Bounces.",
        "Use webmail.",
    )
    assert error_fields(agent.post(f"{base}/analysis/", {"workaround": ""}, format="json")) == {
        "workaround"
    }
    resolved = agent.post(
        f"{base}/resolve/", {"permanent_fix": "Renewed, auto-renew on."}, format="json"
    )
    assert resolved.json()["status"] == "resolved"
    reopened = agent.post(f"{base}/reopen/", {"reason": "Bounces again."}, format="json")
    assert reopened.json()["status"] == "investigating"
    cancelled = agent.post(
        f"{base}/cancel/", {"cancel_reason": "Duplicate of another."}, format="json"
    )
    assert cancelled.json()["status"] == "cancelled"
    assert agent.patch(f"{base}/", {"title": "x"}, format="json").status_code == 409


def test_links_and_closing_the_loop(agent, problem, service, end_user):
    base = f"/api/v1/problems/{problem.number}"
    classified = IncidentFactory(requester=end_user, service=service, status="classified")
    logged = IncidentFactory(requester=end_user, service=service, status="logged")
    for incident in (classified, logged):
        linked = agent.post(f"{base}/link-incident/", {"incident": incident.number}, format="json")
        assert linked.status_code == 201, linked.content
    assert linked.json()["incident"]["number"] == logged.number
    duplicate = agent.post(f"{base}/link-incident/", {"incident": logged.number}, format="json")
    assert error_fields(duplicate) == {"incident"}
    assert error_fields(
        agent.post(f"{base}/link-incident/", {"incident": "INC-777777"}, format="json")
    ) == {"incident"}
    listed = agent.get(f"{base}/incidents/").json()["results"]
    assert [row["incident"]["number"] for row in listed] == [classified.number, logged.number]
    assert agent.get(f"{base}/").json()["incident_count"] == 2

    assert (
        agent.post(f"{base}/resolve-incidents/", {}, format="json").status_code == 409
    )  # not resolved yet
    agent.post(f"{base}/investigate/", {}, format="json")
    agent.post(
        f"{base}/resolve/", {"root_cause": "Cert.", "permanent_fix": "Renewed."}, format="json"
    )
    outcome = agent.post(
        f"{base}/resolve-incidents/", {"incident_resolution_code": "fixed"}, format="json"
    )
    assert outcome.status_code == 200, outcome.content
    results = {row["number"]: row["resolved"] for row in outcome.json()["incidents"]}
    assert results == {classified.number: True, logged.number: False}
    classified.refresh_from_db()
    assert classified.status == "resolved"

    unlinked = agent.post(f"{base}/unlink-incident/", {"incident": logged.number}, format="json")
    assert unlinked.status_code == 204
    assert error_fields(
        agent.post(f"{base}/unlink-incident/", {"incident": logged.number}, format="json")
    ) == {"incident"}
    assert ProblemIncident.objects.count() == 1
    assert TimelineEvent.objects.filter(kind="unlinked", changes__other=logged.number).exists()


def test_notes_are_internal(agent, problem):
    response = agent.post(
        f"/api/v1/problems/{problem.number}/comments/", {"body": "Looking."}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["is_internal"] is True
    assert Comment.objects.get().is_internal


def test_known_error_database(agent, agent_l1, service):
    KnownErrorFactory(requester=agent_l1, service=service, title="Mail relay cert")
    published = KnownErrorFactory(
        requester=agent_l1, title="Printer driver", root_cause="Driver", workaround="Reinstall it."
    )
    resolved = ProblemFactory(
        requester=agent_l1,
        status="resolved",
        known_error_at=published.known_error_at,
        title="Old VPN",
    )
    ProblemFactory(requester=agent_l1)  # not a known error
    assert len(numbers(agent.get("/api/v1/known-errors/"))) == 2
    assert numbers(agent.get("/api/v1/known-errors/?q=printer")) == [published.number]
    assert resolved.number in numbers(agent.get("/api/v1/known-errors/?include_resolved=true"))
    row = agent.get("/api/v1/known-errors/?q=printer").json()["results"][0]
    assert row["workaround"] == "Reinstall it."
    assert error_fields(agent.get("/api/v1/known-errors/?q=" + "x" * 201)) == {"q"}


def test_claim_and_assign_like_any_ticket(agent, client_as, problem, agent_l1, agent_l2, l2_group):
    base = f"/api/v1/problems/{problem.number}"
    claimed = agent.post(f"{base}/claim/", {}, format="json")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["assignee"]["username"] == agent_l1.username
    assert client_as(agent_l2).post(f"{base}/claim/", {}, format="json").status_code == 409
    etag = agent.get(f"{base}/")["ETag"]
    moved = agent.post(
        f"{base}/assign/",
        {"assignee": agent_l2.pk, "support_group": l2_group.pk},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["assignee"]["username"], moved.json()["tier"]) == ("agent2", 2)
    stale = agent.post(f"{base}/assign/", {"assignee": None}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert TimelineEvent.objects.filter(kind="assigned").count() == 2
