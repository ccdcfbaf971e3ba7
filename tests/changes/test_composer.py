"""A change's requester is the agent who raised it, so a change has no public reply (the kind
declares `no_public_reply`): its composer offers the internal note only, and a public reply is
refused on the page, in the API and by email alike, storing nothing."""

import pytest
from django.urls import reverse

from changes.choices import ChangeStatus as S
from changes.kind import CHANGE
from core.exceptions import ValidationFailed
from core.models import Comment
from core.tickets.work import ticket_comment

pytestmark = pytest.mark.django_db


def test_the_change_kind_declares_why_it_takes_notes_only():
    assert "the agent who raised it" in CHANGE.no_public_reply


def test_the_change_page_offers_only_the_internal_note(client_for, agent_l1, make_change):
    change = make_change(S.ASSESSING)
    page = client_for(agent_l1).get(reverse("changes:agent_detail", args=[change.number]))
    html = page.content.decode()
    assert 'id="note-form"' in html and "Add internal note" in html
    assert 'id="reply-form"' not in html and "Reply to the requester" not in html
    assert "No public reply: a change&#x27;s requester is the agent who raised it" in html


def test_a_public_reply_posted_to_the_page_is_refused(client_for, agent_l1, make_change):
    change = make_change(S.ASSESSING)
    url = reverse("changes:agent_comment", args=[change.number])
    client = client_for(agent_l1)
    refused = client.post(url, {"comment-visibility": "public", "comment-body": "Hello?"})
    # The page comes back with the reason in the note form, the text kept for a note.
    html = refused.content.decode()
    assert refused.status_code == 200 and 'id="note-error"' in html
    assert "Add an internal note instead." in html and ">Hello?</textarea>" in html
    assert not Comment.objects.exists()
    noted = client.post(url, {"comment-visibility": "internal", "comment-body": "CAB on Monday."})
    assert noted.status_code == 302
    assert Comment.objects.get().is_internal


def test_the_api_refuses_a_public_reply_with_a_400_and_takes_a_note(api_as, agent_l1, make_change):
    change = make_change(S.ASSESSING)
    client = api_as(agent_l1)
    url = f"/api/v1/changes/{change.number}/comments/"
    refused = client.post(url, {"body": "Hello?"}, format="json")
    assert refused.status_code == 400
    message = refused.json()["error"]["fields"]["body"][0]
    assert message.startswith("No public reply: a change's requester is the agent who raised it")
    assert "Add an internal note instead." in message
    assert not Comment.objects.exists()
    noted = client.post(url, {"body": "CAB on Monday.", "is_internal": True}, format="json")
    assert noted.status_code == 201 and noted.json()["is_internal"] is True


def test_the_kernel_refuses_a_public_reply_on_a_change_from_any_path(agent_l1, make_change):
    change = make_change(S.ASSESSING)
    with pytest.raises(ValidationFailed):
        ticket_comment(change, author=agent_l1, body="By email", is_internal=False)
    assert not Comment.objects.exists()
