"""The pages: scoping (end users see only their requests, approvers only what they approve,
out of scope = 404), the catalog, the agent workspace, the approval page, and constant query
counts for every list."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import OutboxMessage
from service_requests import services
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LAPTOP = {"model": "Standard", "needed_by": "2030-01-15", "justification": "Old one died"}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def mine(requester, mfa):
    return services.request_create(requester=requester, item=mfa, answers={})


@pytest.fixture
def theirs(other_end_user, mfa):
    return services.request_create(requester=other_end_user, item=mfa, answers={})


# --- Scoping --------------------------------------------------------------------------------


def test_end_users_see_only_their_own_requests(client_for, requester, mine, theirs):
    client = client_for(requester)
    listing = client.get(reverse("requests:portal_list"))
    assert [r.number for r in listing.context["mine"].rows] == [mine.number]
    assert client.get(reverse("requests:portal_detail", args=[mine.number])).status_code == 200
    for name in ("portal_detail",):
        assert client.get(reverse(f"requests:{name}", args=[theirs.number])).status_code == 404
    for name in ("portal_reply", "portal_attach"):
        assert client.post(reverse(f"requests:{name}", args=[theirs.number])).status_code == 404
    for action in ("withdraw", "confirm"):
        url = reverse("requests:portal_action", args=[theirs.number, action])
        assert client.post(url).status_code == 404
    assert client.get(reverse("requests:portal_detail", args=["REQ-999999"])).status_code == 404


@pytest.mark.parametrize(
    "name", ["agent_list", "agent_detail", "agent_assign", "agent_comment", "agent_to_incident"]
)
def test_agent_pages_are_404_for_end_users(client_for, requester, mine, name):
    args = [] if name == "agent_list" else [mine.number]
    client = client_for(requester)
    response = client.get(reverse(f"requests:{name}", args=args))
    assert response.status_code == 404


def test_approvers_see_only_what_they_approve(
    client_for, requester, manager, approver, laptop, vpn, mine, other_end_user
):
    for_manager = services.request_create(requester=requester, item=laptop, answers=LAPTOP)
    for_group = services.request_create(requester=requester, item=vpn, answers={})
    client = client_for(approver)
    listing = client.get(reverse("requests:approval_list"))
    assert [r.number for r in listing.context["page"]] == [for_group.number]
    assert (
        client.get(reverse("requests:approval_detail", args=[for_group.number])).status_code == 200
    )
    for out_of_scope in (for_manager, mine):
        url = reverse("requests:approval_detail", args=[out_of_scope.number])
        assert client.get(url).status_code == 404
        decide = reverse("requests:approval_decide", args=[out_of_scope.number, "approve"])
        assert client.post(decide, {"approve-version": 1}).status_code == 404
    manager_list = client_for(manager).get(reverse("requests:approval_list"))
    assert [r.number for r in manager_list.context["page"]] == [for_manager.number]
    # An approver is not an agent: the request itself stays out of their portal and workspace.
    assert client.get(reverse("requests:portal_detail", args=[for_group.number])).status_code == 404
    assert client.get(reverse("requests:agent_detail", args=[for_group.number])).status_code == 404
    stranger = client_for(other_end_user)
    assert (
        stranger.get(reverse("requests:approval_detail", args=[for_group.number])).status_code
        == 404
    )


# --- Approval page --------------------------------------------------------------------------


def test_approve_from_the_page(client_for, requester, approver, vpn):
    request = services.request_create(requester=requester, item=vpn, answers={"reason": "On call"})
    client = client_for(approver)
    page = client.get(reverse("requests:approval_detail", args=[request.number]))
    assert "Your decision" in page.content.decode() and "On call" in page.content.decode()
    response = client.post(
        reverse("requests:approval_decide", args=[request.number, "approve"]),
        {"approve-version": request.version, "approve-comment": "OK"},
    )
    assert response["Location"] == reverse("requests:approval_list")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.decided_by == approver
    after = client.get(reverse("requests:approval_list"))
    assert list(after.context["page"]) == [] and after.context["decided"] == [request]


def test_reject_without_reason_shows_the_error(client_for, requester, approver, vpn):
    request = services.request_create(requester=requester, item=vpn, answers={})
    response = client_for(approver).post(
        reverse("requests:approval_decide", args=[request.number, "reject"]),
        {"reject-version": request.version, "reject-reason": ""},
    )
    assert response.status_code == 200
    assert "reason" in response.context["reject_form"].errors
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_APPROVAL


def test_reject_from_the_page_closes_and_tells_the_requester(client_for, requester, approver, vpn):
    request = services.request_create(requester=requester, item=vpn, answers={})
    client_for(approver).post(
        reverse("requests:approval_decide", args=[request.number, "reject"]),
        {"reject-version": request.version, "reject-reason": "Not for contractors"},
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    mail = OutboxMessage.objects.get(dedupe_key=f"request:{request.pk}:rejected")
    assert "Not for contractors" in mail.payload["body"]
    portal = client_for(requester).get(reverse("requests:portal_detail", args=[request.number]))
    assert "Not for contractors" in portal.content.decode()


def test_catalog_and_lists_point_approvers_to_their_queue(client_for, requester, approver, vpn):
    services.request_create(requester=requester, item=vpn, answers={})
    body = client_for(approver).get(reverse("requests:catalog")).content.decode()
    assert "1 request waits for your approval" in body


# --- Portal ---------------------------------------------------------------------------------


def test_catalog_lists_active_items_by_category(client_for, end_user, laptop, vpn, mfa):
    mfa.is_active = False
    mfa.save()
    response = client_for(end_user).get(reverse("requests:catalog"))
    body = response.content.decode()
    assert "New laptop" in body and "VPN access" in body and "Reset MFA" not in body
    assert (
        client_for(end_user).get(reverse("requests:catalog_item", args=["reset-mfa"])).status_code
        == 404
    )


def test_requester_withdraws_replies_and_confirms(client_for, requester, agent_l1, mfa):
    client = client_for(requester)
    first = services.request_create(requester=requester, item=mfa, answers={})
    client.post(reverse("requests:portal_reply", args=[first.number]), {"body": "Any news?"})
    client.post(
        reverse("requests:portal_action", args=[first.number, "withdraw"]),
        {"withdraw-version": first.version, "withdraw-note": "Found my token"},
    )
    first.refresh_from_db()
    assert first.status == RequestStatus.CANCELLED and first.cancel_reason == "withdrawn"

    second = services.request_start(
        services.request_create(requester=requester, item=mfa, answers={}), actor=agent_l1
    )
    services.request_task_set_done(second.tasks.get(), actor=agent_l1, done=True)
    second = services.request_fulfil(second, actor=agent_l1, fulfilment_notes="Reset")
    page = client.get(reverse("requests:portal_detail", args=[second.number])).content.decode()
    assert "Did you get what you asked for?" in page and "Progress: 1 of 1 step done" in page
    client.post(
        reverse("requests:portal_action", args=[second.number, "confirm"]),
        {"confirm-version": second.version},
    )
    second.refresh_from_db()
    assert second.status == RequestStatus.CLOSED


def test_portal_hides_internal_notes(client_for, requester, agent_l1, mine):
    services.request_comment(mine, author=agent_l1, body="SECRET note", is_internal=True)
    services.request_comment(mine, author=agent_l1, body="Public reply", is_internal=False)
    body = (
        client_for(requester)
        .get(reverse("requests:portal_detail", args=[mine.number]))
        .content.decode()
    )
    assert "Public reply" in body and "SECRET" not in body


# --- Agent workspace ------------------------------------------------------------------------


def test_agent_page_shows_actions_tasks_and_answers(
    client_for, agent_l1, requester, laptop, manager
):
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP)
    services.request_approve(request, actor=manager)
    body = (
        client_for(agent_l1)
        .get(reverse("requests:agent_detail", args=[request.number]))
        .content.decode()
    )
    assert "Start fulfilment" in body and "Order the laptop" in body and "Old one died" in body
    assert "Convert to an incident" in body


def test_agent_fulfil_refusal_names_the_open_task(client_for, agent_l1, mine):
    client = client_for(agent_l1)
    mine = services.request_start(mine, actor=agent_l1)
    response = client.post(
        reverse("requests:agent_transition", args=[mine.number, "fulfil"]),
        {"fulfil-version": mine.version, "fulfil-fulfilment_notes": "Done"},
    )
    assert "'Verify identity' is still open" in " ".join(_messages(response))
    task = mine.tasks.get()
    client.post(reverse("requests:agent_task", args=[mine.number, task.pk]), {"done": "true"})
    task.refresh_from_db()
    assert task.is_done
    mine.refresh_from_db()
    client.post(
        reverse("requests:agent_transition", args=[mine.number, "fulfil"]),
        {"fulfil-version": mine.version, "fulfil-fulfilment_notes": "Done"},
    )
    mine.refresh_from_db()
    assert mine.status == RequestStatus.FULFILLED


def test_agent_cannot_approve_through_the_transition_url(client_for, agent_l1, requester, laptop):
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP)
    response = client_for(agent_l1).post(
        reverse("requests:agent_transition", args=[request.number, "approve"]),
        {"approve-version": request.version},
    )
    assert response.status_code == 404


def test_agent_list_filters(client_for, agent_l1, requester, mine, laptop):
    pending = services.request_create(requester=requester, item=laptop, answers=LAPTOP)
    client = client_for(agent_l1)
    url = reverse("requests:agent_list")
    by_status = client.get(url, {"status": "awaiting_approval"})
    assert [r.sr.number for r in by_status.context["rows"]] == [pending.number]
    by_item = client.get(url, {"catalog_item": mine.catalog_item_id})
    assert [r.sr.number for r in by_item.context["rows"]] == [mine.number]
    by_text = client.get(url, {"q": mine.number.removeprefix("REQ-").lstrip("0")})
    assert [r.sr.number for r in by_text.context["rows"]] == [mine.number]
    unassigned = client.get(url, {"assignee": "null"})
    assert len(unassigned.context["rows"]) == 2
    services.request_cancel(mine, actor=agent_l1, cancel_reason="duplicate")
    assert [r.sr.number for r in client.get(url).context["rows"]] == [pending.number]


# --- Query counts ---------------------------------------------------------------------------


def _count(client, url) -> int:
    client.get(url)  # warm what each process keeps (content types, the viewer's roles)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _many(requester, item, n, **answers):
    for _ in range(n):
        services.request_create(requester=requester, item=item, answers=answers)


def test_portal_list_query_count_is_constant(client_for, requester, mfa):
    client = client_for(requester)
    url = reverse("requests:portal_list")
    _many(requester, mfa, 1)
    one = _count(client, url)
    _many(requester, mfa, 19)
    assert _count(client, url) == one


def test_agent_list_query_count_is_constant(client_for, agent_l1, requester, mfa, request_policies):
    client = client_for(agent_l1)
    url = reverse("requests:agent_list")
    _many(requester, mfa, 1)
    one = _count(client, url)
    others = [UserFactory(username=f"req{i}") for i in range(19)]
    for person in others:
        _many(person, mfa, 1)
    assert _count(client, url) == one


def test_approval_list_query_count_is_constant(client_for, approver, requester, vpn):
    client = client_for(approver)
    url = reverse("requests:approval_list")
    _many(requester, vpn, 1)
    one = _count(client, url)
    for i in range(19):
        _many(UserFactory(username=f"asker{i}"), vpn, 1)
    assert _count(client, url) == one


def test_recent_decisions_say_when(client_for, requester, approver, vpn):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        request = services.request_create(requester=requester, item=vpn, answers={"reason": "x"})
        services.request_approve(request, actor=approver, comment="OK")
    with time_machine.travel(datetime(2026, 3, 2, 12, 5, tzinfo=UTC), tick=False):
        body = client_for(approver).get(reverse("requests:approval_list")).content.decode()
    assert "3\xa0hours, 5\xa0minutes ago</time>" in body
    assert "· now" not in body


def test_my_requests_rows_name_the_item_when_the_title_differs(client_for, requester, mfa):
    """The rows are written in Python (service_requests.views.portal_rows): the item's name
    follows a title of the requester's own, escaped, and not a title that is the item's."""
    plain = services.request_create(requester=requester, item=mfa, answers={})
    own = services.request_create(requester=requester, item=mfa, answers={})
    ServiceRequest.objects.filter(pk=own.pk).update(title="Token for <Ana>")
    body = client_for(requester).get(reverse("requests:portal_list")).content.decode()
    row = re.search(rf"<tr>\s*<td[^>]*>{own.number}</td>.*?</tr>", body, re.S)
    assert row is not None
    assert f'Token for &lt;Ana&gt;</a> <span class="muted">({mfa.name})</span>' in row.group()
    plain_row = re.search(rf"<tr>\s*<td[^>]*>{plain.number}</td>.*?</tr>", body, re.S)
    assert plain_row is not None and 'class="muted"' not in plain_row.group()
