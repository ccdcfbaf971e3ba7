"""The service request API end to end: requesting a catalog item with its form answers (validated
like the portal), scoping, the approval step for approvers, fulfilment with tasks, withdrawal,
conversation, ETags and idempotent creation; and the read-only catalog."""

import pytest
from rest_framework.test import APIClient

from core.choices import Role
from core.models import Comment, TimelineEvent
from service_requests.models import RequestTask, ServiceRequest
from tests.api.resources.conftest import LAPTOP_ANSWERS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def fields_of(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


# --- creation ----------------------------------------------------------------------------------


def test_requester_asks_for_a_laptop(reporter, requester, manager, laptop, request_policies):
    body = {"catalog_item": "new-laptop", "answers": LAPTOP_ANSWERS, "details": "Urgent."}
    response = reporter.post("/api/v1/requests/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("REQ-")
    assert response["Location"].endswith(f"/api/v1/requests/{data['number']}/")
    assert response["ETag"] == f'"v{data["version"]}"'
    assert data["status"] == "awaiting_approval"
    assert data["answers"] == LAPTOP_ANSWERS
    assert (data["description"], data["source"]) == ("Urgent.", "api")
    assert data["approver"]["username"] == manager.username
    assert data["catalog_item"]["slug"] == "new-laptop"
    assert data["sla"]["state"] == "paused"  # waiting for the approver is not our time
    assert data["actions"] == ["cancel"]  # the requester may only withdraw it now
    stored = ServiceRequest.objects.get(number=data["number"])
    assert [t.title for t in stored.tasks.all()] == ["Order the laptop", "Hand it over"]
    assert TimelineEvent.objects.filter(kind="created", source="api").count() == 1


def test_answers_are_typed_like_the_portal_does(reporter, requester, every_type, other_end_user):
    answers = {
        "title_text": "Desk",
        "notes": "Near the window",
        "seats": "4",
        "size": "Large",
        "start": "2030-02-01",
        "urgent": True,
        "colleague": other_end_user.username,
    }
    response = reporter.post(
        "/api/v1/requests/", {"catalog_item": "every-type", "answers": answers}, format="json"
    )
    assert response.status_code == 201, response.content
    # An end user's user-picker answer is kept as written, never looked up (no enumeration).
    assert response.json()["answers"] == {**answers, "seats": 4}


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({}, {"answers.model", "answers.needed_by", "answers.justification"}),
        ({**LAPTOP_ANSWERS, "model": "Gold"}, {"answers.model"}),
        ({**LAPTOP_ANSWERS, "needed_by": "tomorrow"}, {"answers.needed_by"}),
        ({**LAPTOP_ANSWERS, "colour": "red"}, {"answers.colour"}),
        ({**LAPTOP_ANSWERS, "justification": {"nested": 1}}, {"answers.justification"}),
        ({**LAPTOP_ANSWERS, "justification": ["a"]}, {"answers.justification"}),
    ],
)
def test_bad_answers_are_refused_per_question(reporter, requester, laptop, answers, errors):
    response = reporter.post(
        "/api/v1/requests/", {"catalog_item": "new-laptop", "answers": answers}, format="json"
    )
    assert set(fields_of(response)) == errors
    assert not ServiceRequest.objects.exists()


def test_number_limits_and_user_pickers_are_checked(reporter, requester, every_type):
    base = {
        "title_text": "x",
        "notes": "y",
        "size": "Small",
        "start": "2030-02-01",
        "urgent": False,
    }
    response = reporter.post(
        "/api/v1/requests/",
        {"catalog_item": "every-type", "answers": {**base, "seats": 11, "colleague": "nobody"}},
        format="json",
    )
    assert set(fields_of(response)) == {"answers.seats"}
    response = reporter.post(
        "/api/v1/requests/",
        {"catalog_item": "every-type", "answers": {**base, "seats": 2, "colleague": "a\x00b"}},
        format="json",
    )
    assert set(fields_of(response)) == {"answers.colleague"}  # not a 500 on PostgreSQL
    assert not ServiceRequest.objects.exists()


def test_inactive_items_and_unknown_fields_are_refused(reporter, requester, laptop):
    laptop.is_active = False
    laptop.save()
    response = reporter.post(
        "/api/v1/requests/",
        {"catalog_item": "new-laptop", "answers": LAPTOP_ANSWERS},
        format="json",
    )
    assert set(fields_of(response)) == {"catalog_item"}
    response = reporter.post("/api/v1/requests/", {"catalog_item": "x", "urgent": 1}, format="json")
    assert "urgent" in fields_of(response)


def test_a_manager_approval_needs_a_manager(reporter, end_user, laptop):
    response = reporter.post(
        "/api/v1/requests/",
        {"catalog_item": "new-laptop", "answers": LAPTOP_ANSWERS},
        format="json",
    )
    assert set(fields_of(response)) == {"approval"}
    assert not ServiceRequest.objects.exists()


def test_agents_request_on_behalf_and_requesters_cannot(
    agent, reporter, end_user, mfa, other_end_user
):
    response = agent.post(
        "/api/v1/requests/", {"catalog_item": "reset-mfa", "requester": end_user.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["requester"]["username"] == end_user.username
    response = reporter.post(
        "/api/v1/requests/",
        {"catalog_item": "reset-mfa", "requester": other_end_user.pk},
        format="json",
    )
    assert response.status_code == 403
    assert ServiceRequest.objects.count() == 1


def test_creation_is_idempotent(reporter, end_user, mfa):
    headers = {"HTTP_IDEMPOTENCY_KEY": "req-1"}
    first = reporter.post(
        "/api/v1/requests/", {"catalog_item": "reset-mfa"}, format="json", **headers
    )
    again = reporter.post(
        "/api/v1/requests/", {"catalog_item": "reset-mfa"}, format="json", **headers
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert ServiceRequest.objects.count() == 1


# --- reading -----------------------------------------------------------------------------------


def test_scope_and_filters(agent, reporter, end_user, other_end_user, mfa, vpn, make_request):
    mine = make_request(mfa, end_user)
    theirs = make_request(vpn, other_end_user)
    closed = make_request(mfa, end_user, status="closed")
    assert numbers(reporter.get("/api/v1/requests/")) == [mine.number]
    assert reporter.get(f"/api/v1/requests/{theirs.number}/").status_code == 404
    assert set(numbers(agent.get("/api/v1/requests/"))) == {mine.number, theirs.number}
    assert numbers(agent.get("/api/v1/requests/?status=closed")) == [closed.number]
    assert numbers(agent.get(f"/api/v1/requests/?catalog_item={vpn.pk}")) == [theirs.number]
    assert numbers(agent.get(f"/api/v1/requests/?q={theirs.number}")) == [theirs.number]
    response = agent.get("/api/v1/requests/?ordering=sideways")
    assert set(fields_of(response)) == {"ordering"}


def test_pagination_walks_every_request(agent, end_user, mfa, make_request):
    created = {make_request(mfa, end_user).number for _ in range(5)}
    seen: list[str] = []
    url = "/api/v1/requests/?page_size=2&ordering=oldest"
    while url:
        page = agent.get(url).json()
        seen += [row["number"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(created)


# --- approval ----------------------------------------------------------------------------------


def test_the_approver_group_approves(client_as, approver, end_user, vpn, make_request):
    sr = make_request(vpn, end_user, {"reason": "Travel"})
    approving = client_as(approver)
    assert numbers(approving.get("/api/v1/requests/approvals/")) == [sr.number]
    assert numbers(approving.get("/api/v1/requests/")) == []  # not their request
    detail = approving.get(f"/api/v1/requests/{sr.number}/")
    assert detail.status_code == 200
    assert detail.json()["actions"] == ["approve", "reject"]
    assert approving.get(f"/api/v1/requests/{sr.number}/comments/").status_code == 404
    assert approving.get(f"/api/v1/requests/{sr.number}/timeline/").status_code == 200
    response = approving.post(
        f"/api/v1/requests/{sr.number}/approve/",
        {"comment": "OK"},
        format="json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["decided_by"]["username"]) == ("approved", approver.username)
    assert data["decision_comment"] == "OK"
    assert numbers(approving.get("/api/v1/requests/approvals/")) == []


def test_only_the_approver_decides(
    client_as, reporter, agent, other_end_user, end_user, vpn, make_request
):
    sr = make_request(vpn, end_user)
    assert (
        reporter.post(f"/api/v1/requests/{sr.number}/approve/", {}, format="json").status_code
        == 403
    )
    assert (
        agent.post(f"/api/v1/requests/{sr.number}/approve/", {}, format="json").status_code == 403
    )
    stranger = client_as(other_end_user)
    assert (
        stranger.post(f"/api/v1/requests/{sr.number}/approve/", {}, format="json").status_code
        == 404
    )
    sr.refresh_from_db()
    assert sr.status == "awaiting_approval"


def test_rejection_needs_a_reason_and_closes(client_as, approver, end_user, vpn, make_request):
    sr = make_request(vpn, end_user)
    approving = client_as(approver)
    response = approving.post(f"/api/v1/requests/{sr.number}/reject/", {}, format="json")
    assert set(fields_of(response)) == {"reason"}
    response = approving.post(
        f"/api/v1/requests/{sr.number}/reject/", {"reason": "Not needed."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    again = approving.post(f"/api/v1/requests/{sr.number}/approve/", {}, format="json")
    assert again.status_code in (403, 409)


# --- fulfilment --------------------------------------------------------------------------------


def test_fulfilment_with_tasks(agent, reporter, end_user, mfa, make_request):
    sr = make_request(mfa, end_user)
    base = f"/api/v1/requests/{sr.number}"
    started = agent.post(f"{base}/start/", {}, format="json")
    assert started.status_code == 200, started.content
    assert started.json()["status"] == "in_fulfilment"
    refused = agent.post(f"{base}/fulfil/", {"fulfilment_notes": "Done."}, format="json")
    assert refused.status_code == 409
    assert "Verify identity" in refused.json()["error"]["message"]
    tasks = agent.get(f"{base}/tasks/").json()["results"]
    assert [(t["title"], t["is_done"]) for t in tasks] == [("Verify identity", False)]
    assert (
        reporter.patch(
            f"{base}/tasks/{tasks[0]['id']}/", {"is_done": True}, format="json"
        ).status_code
        == 403
    )
    ticked = agent.patch(f"{base}/tasks/{tasks[0]['id']}/", {"is_done": True}, format="json")
    assert ticked.status_code == 200, ticked.content
    assert ticked.json()["done_by"]["username"] == "agent1"
    assert agent.patch(f"{base}/tasks/999999/", {"is_done": True}, format="json").status_code == 404
    assert agent.post(f"{base}/fulfil/", {}, format="json").status_code == 400
    done = agent.post(f"{base}/fulfil/", {"fulfilment_notes": "Reset done."}, format="json")
    assert done.status_code == 200
    assert done.json()["actions"] == ["close"]
    assert reporter.get(f"{base}/").json()["actions"] == ["close"]
    closed = reporter.post(f"{base}/close/", {}, format="json")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert RequestTask.objects.get().is_done


def test_requesters_withdraw_and_agents_cancel_with_a_reason(
    agent, reporter, end_user, mfa, make_request
):
    sr = make_request(mfa, end_user)
    base = f"/api/v1/requests/{sr.number}"
    assert set(
        fields_of(reporter.post(f"{base}/cancel/", {"cancel_reason": "duplicate"}, format="json"))
    ) == {"cancel_reason"}
    assert set(fields_of(agent.post(f"{base}/cancel/", {}, format="json"))) == {"cancel_reason"}
    assert reporter.post(f"{base}/start/", {}, format="json").status_code == 403
    withdrawn = reporter.post(f"{base}/cancel/", {"note": "Not needed."}, format="json")
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["status"], withdrawn.json()["cancel_reason"]) == (
        "cancelled",
        "withdrawn",
    )
    assert agent.post(f"{base}/start/", {}, format="json").status_code == 409


def test_stale_if_match_is_412_and_changes_nothing(agent, end_user, mfa, make_request):
    sr = make_request(mfa, end_user)
    response = agent.post(
        f"/api/v1/requests/{sr.number}/start/", {}, format="json", HTTP_IF_MATCH='"v99"'
    )
    assert response.status_code == 412
    sr.refresh_from_db()
    assert sr.status == "submitted"


def test_hold_resume_and_assign(agent, agent_l2, l2_group, end_user, mfa, make_request):
    sr = make_request(mfa, end_user)
    base = f"/api/v1/requests/{sr.number}"
    held = agent.post(f"{base}/hold/", {"on_hold_reason": "awaiting_user"}, format="json")
    assert held.json()["status"] == "on_hold"
    assert agent.post(f"{base}/resume/", {}, format="json").json()["status"] == "submitted"
    assigned = agent.post(
        f"{base}/assign/", {"assignee": agent_l2.pk, "support_group": l2_group.pk}, format="json"
    )
    assert assigned.status_code == 200
    assert (assigned.json()["assignee"]["username"], assigned.json()["tier"]) == ("agent2", 2)
    requester_user = UserFactory(username="not-an-agent", role=Role.END_USER)
    refused = agent.post(f"{base}/assign/", {"assignee": requester_user.pk}, format="json")
    assert set(fields_of(refused)) == {"assignee"}


def test_claim_and_tier_moves_come_from_the_action_table(
    agent, reporter, l2_group, end_user, mfa, make_request
):
    sr = make_request(mfa, end_user)
    base = f"/api/v1/requests/{sr.number}"
    assert reporter.post(f"{base}/claim/", {}, format="json").status_code == 403
    claimed = agent.post(f"{base}/claim/", {}, format="json")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["assignee"]["username"] == "agent1"
    assert claimed["ETag"] == f'"v{claimed.json()["version"]}"'
    assert set(fields_of(agent.post(f"{base}/escalate/", {}, format="json"))) == {"reason"}
    moved = agent.post(f"{base}/escalate/", {"reason": "Needs L2."}, format="json")
    assert moved.status_code == 200, moved.content
    assert (moved.json()["tier"], moved.json()["support_group"]["id"]) == (2, l2_group.pk)
    assert moved.json()["assignee"] is None


# --- conversation ------------------------------------------------------------------------------


def test_internal_notes_stay_with_agents(agent, reporter, end_user, mfa, make_request):
    sr = make_request(mfa, end_user)
    base = f"/api/v1/requests/{sr.number}"
    assert (
        reporter.post(f"{base}/comments/", {"body": "Any news?"}, format="json").status_code == 201
    )
    assert (
        reporter.post(
            f"{base}/comments/", {"body": "x", "is_internal": True}, format="json"
        ).status_code
        == 403
    )
    assert (
        agent.post(
            f"{base}/comments/", {"body": "Check ID.", "is_internal": True}, format="json"
        ).status_code
        == 201
    )
    seen = [c["body"] for c in reporter.get(f"{base}/comments/").json()["results"]]
    assert seen == ["Any news?"]
    assert len(agent.get(f"{base}/comments/").json()["results"]) == 2
    timeline = reporter.get(f"{base}/timeline/").json()["results"]
    assert all(event["is_public"] for event in timeline)


def test_replies_are_closed_on_final_requests(reporter, end_user, mfa, make_request):
    sr = make_request(mfa, end_user, status="closed")
    response = reporter.post(
        f"/api/v1/requests/{sr.number}/comments/", {"body": "Hi"}, format="json"
    )
    assert response.status_code == 409
    assert not Comment.objects.exists()


# --- catalog -----------------------------------------------------------------------------------


def test_catalog_lists_active_items_with_their_form(reporter, laptop, vpn, mfa, category):
    mfa.is_active = False
    mfa.save()
    response = reporter.get("/api/v1/catalog-items/")
    assert response.status_code == 200
    assert {row["slug"] for row in response.json()["results"]} == {"new-laptop", "vpn-access"}
    item = reporter.get("/api/v1/catalog-items/new-laptop/").json()
    assert [f["key"] for f in item["form_fields"]] == ["model", "needed_by", "justification"]
    assert item["form_fields"][0]["choices"] == ["Standard", "Performance"]
    assert (item["approval_mode"], item["needs_approval"]) == ("manager", True)
    assert [t["title"] for t in item["tasks"]] == ["Order the laptop", "Hand it over"]
    assert reporter.get("/api/v1/catalog-items/reset-mfa/").status_code == 404
    found = reporter.get("/api/v1/catalog-items/?q=vpn").json()["results"]
    assert [row["slug"] for row in found] == ["vpn-access"]
    assert reporter.get(f"/api/v1/catalog-items/?category={category.slug}").status_code == 200


def test_anonymous_is_401(laptop):
    assert APIClient().get("/api/v1/catalog-items/").status_code == 401
