"""The incidents API end to end: create, list with filters and ordering, the lifecycle through
actions, assignment and escalation, comments, files and the timeline with their visibility."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import Attachment, TimelineEvent
from incidents.models import Incident
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client_as, agent_l1):
    return client_as(agent_l1)


@pytest.fixture
def reporter(client_as, end_user):
    return client_as(end_user)


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def test_end_user_reports_an_incident_through_the_api(
    reporter, end_user, service, incident_policies
):
    response = reporter.post(
        "/api/v1/incidents/",
        {
            "title": "Mail is down",
            "description": "Since 9:00",
            "impact": "high",
            "urgency": "high",
            "service": service.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    data = response.json()
    assert data["number"].startswith("INC-")
    assert response["Location"].endswith(f"/api/v1/incidents/{data['number']}/")
    assert response["ETag"] == '"v1"'
    assert (data["status"], data["priority"], data["source"]) == ("identified", 1, "api")
    assert data["requester"]["username"] == end_user.username
    assert data["sla"]["state"] == "on_track"
    assert [c["metric"] for c in data["sla"]["clocks"]] == ["response", "resolution"]
    event = TimelineEvent.objects.get(kind="created")
    assert (event.source, event.actor_id) == ("api", end_user.pk)


@pytest.mark.parametrize("with_service", [True, False])
def test_the_creation_response_is_what_reading_the_incident_back_gives(
    agent, end_user, service, incident_policies, with_service
):
    """The 201 body is rendered from the objects in hand, not re-read: it must not differ."""
    body = {"title": "VPN drops", "impact": "medium", "urgency": "high", "requester": end_user.pk}
    if with_service:
        body["service"] = service.pk
    created = agent.post("/api/v1/incidents/", body, format="json")
    assert created.status_code == 201, created.content
    read = agent.get(f"/api/v1/incidents/{created.json()['number']}/")
    assert created.json() == read.json()
    assert created["ETag"] == read["ETag"]
    assert created.json()["support_group"] is not None


def test_end_users_cannot_report_for_someone_else(reporter, other_end_user):
    response = reporter.post(
        "/api/v1/incidents/", {"title": "x", "requester": other_end_user.pk}, format="json"
    )
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_agents_report_on_behalf_of_a_requester(agent, agent_l1, end_user):
    response = agent.post(
        "/api/v1/incidents/", {"title": "Phoned in", "requester": end_user.pk}, format="json"
    )
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert incident.requester == end_user
    assert TimelineEvent.objects.get(kind="created").actor == agent_l1


def test_end_users_list_only_their_own(reporter, end_user, other_end_user):
    mine = IncidentFactory(requester=end_user)
    IncidentFactory(requester=other_end_user)
    assert numbers(reporter.get("/api/v1/incidents/")) == [mine.number]


def test_filters(agent, end_user, other_end_user, service, l1_group, l2_group, agent_l2):
    from tests.factories import ConfigurationItemFactory

    ci = ConfigurationItemFactory(service=service)
    now = timezone.now()
    a = IncidentFactory(
        requester=end_user,
        impact="high",
        urgency="high",
        priority=1,
        service=service,
        configuration_item=ci,
        support_group=l1_group,
    )
    b = IncidentFactory(
        requester=other_end_user,
        impact="low",
        urgency="low",
        priority=5,
        tier=2,
        support_group=l2_group,
        assignee=agent_l2,
        identified_at=now - timedelta(days=3),
    )
    c = IncidentFactory(requester=end_user, status="resolved", resolved_at=now - timedelta(days=1))
    d = IncidentFactory(
        requester=end_user,
        title="VPN refuses my password",
        sla_due_at=now - timedelta(minutes=1),
        sla_warn_at=now - timedelta(hours=1),
    )
    base = "/api/v1/incidents/?ordering=oldest&"
    assert set(numbers(agent.get(base))) == {a.number, b.number, d.number}  # open by default
    assert set(numbers(agent.get(base + "open=false"))) == {a.number, b.number, c.number, d.number}
    assert numbers(agent.get(base + "status=resolved")) == [c.number]
    assert numbers(agent.get(base + "priority=1")) == [a.number]
    assert numbers(agent.get(base + "impact=high")) == [a.number]
    assert numbers(agent.get(base + "urgency=low")) == [b.number]
    assert numbers(agent.get(base + "tier=2")) == [b.number]
    assert numbers(agent.get(base + f"support_group={l2_group.pk}")) == [b.number]
    assert numbers(agent.get(base + f"assignee={agent_l2.pk}")) == [b.number]
    assert set(numbers(agent.get(base + "assignee=null"))) == {a.number, d.number}
    assert numbers(agent.get(base + f"requester={other_end_user.pk}")) == [b.number]
    assert numbers(agent.get(base + f"service={service.pk}")) == [a.number]
    assert numbers(agent.get(base + f"configuration_item={ci.pk}")) == [a.number]
    assert numbers(agent.get(base + "sla_state=breached")) == [d.number]
    assert numbers(agent.get(base + "q=vpn")) == [d.number]
    assert numbers(agent.get(base + f"q={a.number}")) == [a.number]
    after = (now - timedelta(days=2)).isoformat().replace("+00:00", "Z")
    assert b.number not in numbers(agent.get(base + f"created_after={after}"))
    assert numbers(agent.get(base + f"created_before={after}")) == [b.number]
    assert numbers(agent.get(base + f"open=false&resolved_after={after}")) == [c.number]


def test_ordering_by_priority_and_time_to_breach(agent, end_user):
    now = timezone.now()
    late = IncidentFactory(requester=end_user, priority=3, sla_due_at=now + timedelta(hours=5))
    soon = IncidentFactory(requester=end_user, priority=4, sla_due_at=now + timedelta(minutes=5))
    none = IncidentFactory(requester=end_user, priority=1, sla_due_at=None)
    assert numbers(agent.get("/api/v1/incidents/")) == [soon.number, late.number, none.number]
    assert numbers(agent.get("/api/v1/incidents/?ordering=priority")) == [
        none.number,
        late.number,
        soon.number,
    ]
    assert numbers(agent.get("/api/v1/incidents/?ordering=newest"))[0] == none.number


def test_full_lifecycle_through_actions(agent, reporter, end_user, service, incident_policies):
    number = reporter.post("/api/v1/incidents/", {"title": "Disk full"}, format="json").json()[
        "number"
    ]

    def act(client, action, body=None):
        response = client.post(f"/api/v1/incidents/{number}/{action}/", body or {}, format="json")
        assert response.status_code == 200, response.json()
        return response.json()

    assert act(agent, "accept")["status"] == "logged"
    data = act(
        agent,
        "classify",
        {"category": "software", "impact": "medium", "urgency": "high", "service": service.pk},
    )
    assert (data["status"], data["priority"]) == ("classified", 2)
    assert (
        act(agent, "hold", {"on_hold_reason": "awaiting_user", "note": "Which disk?"})["sla"][
            "state"
        ]
        == "paused"
    )
    assert act(agent, "resume")["status"] == "classified"
    assert act(agent, "contain", {"containment_notes": "Moved logs away"})["status"] == "contained"
    assert (
        act(agent, "diagnose", {"diagnosis_notes": "Log rotation broken"})["status"] == "diagnosed"
    )
    resolved = act(
        agent, "resolve", {"resolution_code": "fixed", "resolution_notes": "Rotation fixed"}
    )
    assert resolved["status"] == "resolved"
    seen_by_requester = reporter.get(f"/api/v1/incidents/{number}/").json()
    assert seen_by_requester["resolution_notes"] == "Rotation fixed"
    assert seen_by_requester["diagnosis_notes"] == ""  # agents' working notes
    assert seen_by_requester["actions"] == ["close", "reopen"]
    assert act(reporter, "reopen", {"reason": "Still full"})["status"] == "classified"
    act(agent, "resolve", {"resolution_code": "fixed", "resolution_notes": "Really fixed"})
    assert act(reporter, "close")["status"] == "closed"


def test_transition_fields_are_required(agent, end_user):
    incident = IncidentFactory(requester=end_user, status="classified")
    response = agent.post(
        f"/api/v1/incidents/{incident.number}/resolve/", {"resolution_code": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"resolution_code", "resolution_notes"}
    incident.refresh_from_db()
    assert incident.status == "classified"


def test_cancel_and_illegal_actions(agent, end_user):
    incident = IncidentFactory(requester=end_user)
    assert (
        agent.post(f"/api/v1/incidents/{incident.number}/resume/", {}, format="json").status_code
        == 409
    )
    response = agent.post(
        f"/api/v1/incidents/{incident.number}/cancel/",
        {"cancel_reason": "duplicate"},
        format="json",
    )
    assert response.json()["status"] == "cancelled"
    assert (
        agent.post(f"/api/v1/incidents/{incident.number}/accept/", {}, format="json").status_code
        == 409
    )


def test_assign_claim_escalate(
    agent, agent_l1, agent_l2, end_user, service, l1_group, l2_group, l3_group
):
    incident = IncidentFactory(
        requester=end_user, status="logged", support_group=l1_group, service=service
    )
    url = f"/api/v1/incidents/{incident.number}/"
    data = agent.post(url + "claim/", {}, format="json").json()
    assert data["assignee"]["id"] == agent_l1.pk
    again = agent.post(url + "claim/", {}, format="json")
    assert again.status_code == 409
    data = agent.post(
        url + "assign/", {"assignee": agent_l2.pk, "support_group": l2_group.pk}, format="json"
    ).json()
    assert (data["assignee"]["id"], data["support_group"]["id"], data["tier"]) == (
        agent_l2.pk,
        l2_group.pk,
        2,
    )
    refused = agent.post(url + "assign/", {"assignee": end_user.pk}, format="json")
    assert refused.status_code == 400
    assert "assignee" in refused.json()["error"]["fields"]
    data = agent.post(url + "escalate/", {"reason": "Needs engineering"}, format="json").json()
    assert (data["tier"], data["support_group"]["id"], data["assignee"]) == (3, l3_group.pk, None)
    assert agent.post(url + "escalate/", {"reason": "More"}, format="json").status_code == 409
    assert agent.post(url + "deescalate/", {"reason": "Back"}, format="json").json()["tier"] == 2
    assert agent.post(url + "escalate/", {}, format="json").status_code == 400


def test_comments_public_and_internal(agent, reporter, end_user):
    incident = IncidentFactory(requester=end_user, status="logged")
    url = f"/api/v1/incidents/{incident.number}/comments/"
    assert agent.post(url, {"body": "Looking into it"}, format="json").status_code == 201
    note = agent.post(url, {"body": "Probably the **RAID**", "is_internal": True}, format="json")
    assert note.status_code == 201 and note.json()["is_internal"] is True
    assert reporter.post(url, {"body": "Thanks"}, format="json").status_code == 201
    refused = reporter.post(url, {"body": "sneaky", "is_internal": True}, format="json")
    assert refused.status_code == 403
    assert [c["body"] for c in reporter.get(url).json()["results"]] == ["Looking into it", "Thanks"]
    assert len(agent.get(url).json()["results"]) == 3
    assert reporter.post(url, {"body": "   "}, format="json").status_code == 400


def test_attachments_upload_list_download(agent, reporter, end_user, settings):
    incident = IncidentFactory(requester=end_user, status="logged")
    url = f"/api/v1/incidents/{incident.number}/attachments/"
    public = reporter.post(
        url, {"file": SimpleUploadedFile("boot.log", b"boot failed\n")}, format="multipart"
    )
    assert public.status_code == 201, public.json()
    internal = agent.post(
        url,
        {"file": SimpleUploadedFile("dump.txt", b"secret"), "is_internal": "true"},
        format="multipart",
    )
    assert internal.status_code == 201
    assert [a["original_name"] for a in reporter.get(url).json()["results"]] == ["boot.log"]
    assert len(agent.get(url).json()["results"]) == 2
    download = reporter.get(public.json()["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"boot failed\n"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    hidden_token = Attachment.objects.get(original_name="dump.txt").token
    assert reporter.get(f"{url}{hidden_token}/download/").status_code == 404
    svg = reporter.post(url, {"file": SimpleUploadedFile("x.svg", b"<svg/>")}, format="multipart")
    assert svg.status_code == 400 and "file" in svg.json()["error"]["fields"]
    settings.ATTACHMENT_MAX_BYTES = 5
    big = reporter.post(
        url, {"file": SimpleUploadedFile("big.txt", b"0123456789")}, format="multipart"
    )
    assert big.status_code == 400
    assert reporter.post(url, {}, format="multipart").status_code == 400
    assert Attachment.objects.count() == 2


def test_no_files_on_closed_incidents_for_requesters(reporter, end_user):
    incident = IncidentFactory(requester=end_user, status="closed")
    response = reporter.post(
        f"/api/v1/incidents/{incident.number}/attachments/",
        {"file": SimpleUploadedFile("late.txt", b"late")},
        format="multipart",
    )
    assert response.status_code == 409


def test_timeline_hides_internal_events_from_requesters(agent, reporter, end_user):
    number = reporter.post("/api/v1/incidents/", {"title": "Slow"}, format="json").json()["number"]
    agent.post(f"/api/v1/incidents/{number}/accept/", {}, format="json")
    agent.post(
        f"/api/v1/incidents/{number}/comments/",
        {"body": "note", "is_internal": True},
        format="json",
    )
    agent.post(f"/api/v1/incidents/{number}/claim/", {}, format="json")
    seen = [
        e["kind"] for e in reporter.get(f"/api/v1/incidents/{number}/timeline/").json()["results"]
    ]
    everything = [
        e["kind"] for e in agent.get(f"/api/v1/incidents/{number}/timeline/").json()["results"]
    ]
    assert seen == ["created", "status_changed"]
    assert everything == ["created", "status_changed", "commented", "assigned"]


def test_lowercase_numbers_resolve(agent, end_user):
    incident = IncidentFactory(requester=end_user)
    assert agent.get(f"/api/v1/incidents/{incident.number.lower()}/").status_code == 200
