"""The agent incident page: live SLA clocks, exactly the legal transitions with stable ids,
claim / take over, escalation, public reply vs internal note as two forms, the requester's
rating, problems and known errors; and no inline code on any agent page or partial."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.models import Comment
from incidents import services
from incidents.choices import Impact, IncidentStatus, Urgency
from tests.agent.conftest import T0
from tests.factories import IncidentFactory
from tests.problems.factories import KnownErrorFactory

pytestmark = pytest.mark.django_db


def _url(incident) -> str:
    return reverse("incidents:agent_detail", args=[incident.number])


def _page(client, incident, at=None):
    if at is None:
        return client.get(_url(incident))
    with time_machine.travel(at, tick=False):
        return client.get(_url(incident))


# --- SLA --------------------------------------------------------------------------------------


def test_running_clocks_carry_due_and_warning_instants_for_the_live_badge(
    client_for, agent_l1, make_incident
):
    incident = make_incident(impact=Impact.HIGH, urgency=Urgency.HIGH)  # P1: 1h, warn at 75 %
    body = _page(client_for(agent_l1), incident, T0 + timedelta(minutes=10)).content.decode()
    clock = re.search(
        r'<li class="sla-clock sla-clock-on_track" id="sla-clock-response"[^>]*>', body
    )
    assert clock is not None
    tag = clock.group(0)
    assert 'data-sla-live data-tone-prefix="sla-clock-"' in tag
    assert 'data-due="2026-03-02T10:00:00+00:00"' in tag
    assert 'data-warn="2026-03-02T09:45:00+00:00"' in tag
    assert 'data-tone="on_track"' in tag
    assert 'id="sla-announce" role="status" aria-live="polite"' in body


def test_stopped_clocks_are_not_live(client_for, agent_l1, make_incident):
    incident = make_incident()
    services.incident_accept(incident, actor=agent_l1)  # stops the response clock
    body = _page(client_for(agent_l1), incident).content.decode()
    response_clock = re.search(r'<li [^>]*id="sla-clock-response"[^>]*>', body)
    assert response_clock is not None and "data-sla-live" not in response_clock.group(0)


def test_queue_badge_is_live_too(client_for, agent_l1, make_incident):
    incident = make_incident(impact=Impact.HIGH, urgency=Urgency.HIGH)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        body = client_for(agent_l1).get(reverse("incidents:agent_list")).content.decode()
    row = re.search(rf'<tr id="row-{incident.number}".*?</tr>', body, re.S)
    assert row is not None
    cell = row.group(0)
    assert 'data-sla-live data-due="2026-03-02T10:00:00+00:00"' in cell
    assert 'data-warn="2026-03-02T09:45:00+00:00"' in cell
    assert 'data-countdown="left" data-prefix="Response: "' in cell


# --- Actions ----------------------------------------------------------------------------------


def test_transition_buttons_have_stable_ids_and_only_legal_ones(client_for, agent_l1):
    incident = IncidentFactory()
    body = _page(client_for(agent_l1), incident).content.decode()
    assert 'id="transition-accept-form"' in body and 'id="transition-accept-submit"' in body
    assert 'id="transition-cancel-toggle"' in body and 'id="id_cancel-cancel_reason"' in body
    for action in ("classify", "resolve", "close", "hold", "resume", "reopen"):
        assert f'id="transition-{action}' not in body, action
    assert 'id="claim-button"' in body and 'id="assign-me-button"' not in body


def test_take_over_assigns_to_me_through_the_assign_form(client_for, agent_l1, agent_l2):
    incident = IncidentFactory(assignee=agent_l2)
    client = client_for(agent_l1)
    body = _page(client, incident).content.decode()
    assert 'id="assign-me-button"' in body and 'id="claim-button"' not in body
    form = re.search(r'<form [^>]*id="assign-me-form".*?</form>', body, re.S)
    assert form is not None
    data = dict(re.findall(r'name="(assign-[a-z_]+)" value="([^"]*)"', form.group(0)))
    response = client.post(reverse("incidents:agent_assign", args=[incident.number]), data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == agent_l1


def test_own_incident_offers_neither_claim_nor_take_over(client_for, agent_l1):
    body = _page(client_for(agent_l1), IncidentFactory(assignee=agent_l1)).content.decode()
    assert 'id="claim-button"' not in body and 'id="assign-me-button"' not in body
    assert "Assigned to you" in body


def test_escalation_forms_have_stable_ids(client_for, agent_l1, tiers):
    incident = IncidentFactory(status=IncidentStatus.CLASSIFIED, tier=2, support_group=tiers[2])
    body = _page(client_for(agent_l1), incident).content.decode()
    for direction in ("escalate", "deescalate"):
        assert f'id="{direction}-form"' in body and f'id="{direction}-submit"' in body
        assert f'id="id_{direction}-reason"' in body


def test_transition_posts_still_work_through_transition_perform(client_for, agent_l1):
    incident = IncidentFactory()
    response = client_for(agent_l1).post(
        reverse("incidents:agent_transition", args=[incident.number, "accept"]),
        {"accept-version": incident.version},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.LOGGED


# --- Public reply vs internal note ------------------------------------------------------------


def test_reply_and_note_are_two_distinct_forms(client_for, agent_l1):
    body = _page(client_for(agent_l1), IncidentFactory()).content.decode()
    reply = re.search(r'<form [^>]*id="reply-form".*?</form>', body, re.S)
    note = re.search(r'<form [^>]*id="note-form".*?</form>', body, re.S)
    assert reply is not None and note is not None
    assert 'class="composer-form composer-public"' in reply.group(0)
    assert 'name="comment-visibility" value="public"' in reply.group(0)
    assert 'id="reply-body"' in reply.group(0) and 'id="reply-submit"' in reply.group(0)
    assert "Send public reply" in reply.group(0) and "badge-public" in reply.group(0)
    assert 'class="composer-form composer-internal"' in note.group(0)
    assert 'name="comment-visibility" value="internal"' in note.group(0)
    assert 'id="note-body"' in note.group(0) and 'id="note-submit"' in note.group(0)
    assert "Add internal note" in note.group(0) and "badge-internal" in note.group(0)


@pytest.mark.parametrize(
    ("visibility", "shown", "other"), [("public", "reply", "note"), ("internal", "note", "reply")]
)
def test_an_empty_comment_comes_back_into_the_form_it_came_from(
    client_for, agent_l1, visibility, shown, other
):
    incident = IncidentFactory()
    response = client_for(agent_l1).post(
        reverse("incidents:agent_comment", args=[incident.number]),
        {"comment-body": "  ", "comment-visibility": visibility},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="{shown}-error"' in body and f'id="{other}-error"' not in body
    assert f'aria-describedby="{shown}-help {shown}-error" aria-invalid="true"' in body
    assert not Comment.objects.exists()


def test_reply_and_note_post_with_their_visibility(client_for, agent_l1):
    incident = IncidentFactory()
    client = client_for(agent_l1)
    url = reverse("incidents:agent_comment", args=[incident.number])
    client.post(url, {"comment-body": "for agents", "comment-visibility": "internal"})
    client.post(url, {"comment-body": "for the requester", "comment-visibility": "public"})
    assert list(Comment.objects.order_by("id").values_list("body", "is_internal")) == [
        ("for agents", True),
        ("for the requester", False),
    ]


# --- Rating, problems -------------------------------------------------------------------------


def test_the_requesters_rating_is_shown(client_for, agent_l1, end_user):
    incident = IncidentFactory(
        requester=end_user,
        status=IncidentStatus.CLOSED,
        resolved_at=timezone.now(),
        satisfaction_score=4,
        satisfaction_comment="Quick fix, thanks",
        satisfaction_at=timezone.now(),
    )
    body = _page(client_for(agent_l1), incident).content.decode()
    assert "Requester's rating" in body
    assert "4 of 5" in body and "Quick fix, thanks" in body


def test_known_errors_for_the_service_and_the_problem_link_form(
    client_for, agent_l1, service, l1_group
):
    incident = IncidentFactory(service=service, support_group=l1_group)
    KnownErrorFactory(
        number="PRB-900001", service=service, workaround="Remove the cached credential"
    )
    body = _page(client_for(agent_l1), incident).content.decode()
    assert "Matching known errors" in body and "PRB-900001" in body
    assert "Remove the cached credential" in body
    assert reverse("problems:incident_link", args=[incident.number]) in body


# --- CSP --------------------------------------------------------------------------------------

INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_no_inline_code_on_any_agent_page_or_partial(client_for, agent_l1):
    incident = IncidentFactory()
    client = client_for(agent_l1)
    bulk = reverse("incidents:agent_bulk")
    responses = [
        client.get(reverse("incidents:agent_list")),
        client.get(reverse("incidents:agent_list"), HTTP_HX_REQUEST="true"),
        client.get(_url(incident)),
        client.post(bulk, {"incidents": [incident.number], "step": "status"}),
        client.post(
            bulk, {"incidents": [incident.number], "step": "status"}, HTTP_HX_REQUEST="true"
        ),
        client.post(
            bulk,
            {"incidents": [incident.number], "apply": "priority", "bulk-priority": "2"},
            HTTP_HX_REQUEST="true",
        ),
        client.post(
            reverse("incidents:agent_claim", args=[incident.number]), HTTP_HX_REQUEST="true"
        ),
    ]
    for response in responses:
        assert response.status_code == 200
        assert not INLINE_CODE.findall(response.content.decode())
        assert "script-src 'self'" in response["Content-Security-Policy"]
