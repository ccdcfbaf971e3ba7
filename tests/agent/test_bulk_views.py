"""The bulk bar's endpoint: opening a panel (`step`), applying it (`apply`), as HTMX partials
from the queue and as a full page without JavaScript; validation, refusals, scope."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from core.choices import Role
from core.web.forms import MAX_SELECT_OPTIONS
from incidents.choices import CancelReason, Category, IncidentStatus
from incidents.models import Incident
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("incidents:agent_bulk")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _post(client, numbers, *, htmx=True, **data):
    payload = {"incidents": [getattr(n, "number", n) for n in numbers], **data}
    return client.post(URL, payload, **(HTMX if htmx else {}))


# --- Panels -----------------------------------------------------------------------------------


def test_status_panel_offers_only_transitions_legal_for_all(client_for, agent_l1):
    new = IncidentFactory()
    logged = IncidentFactory(status=IncidentStatus.LOGGED)
    client = client_for(agent_l1)
    response = _post(client, [new, logged], step="status")
    assert response.status_code == 200
    assert [t.action for t in response.context["actions"]] == ["cancel"]
    body = response.content.decode()
    assert 'value="cancel"' in body and 'value="accept"' not in body
    assert 'id="bulk-fields-cancel"' in body and 'id="id_bulk-cancel-cancel_reason"' in body
    assert 'name="apply" value="status"' in body
    assert "<html" not in body
    only_new = _post(client, [new], step="status")
    assert [t.action for t in only_new.context["actions"]] == ["accept", "cancel"]


def test_status_panel_without_common_transition_says_so(client_for, agent_l1):
    new = IncidentFactory()
    closed = IncidentFactory(status=IncidentStatus.CLOSED)
    body = _post(client_for(agent_l1), [new, closed], step="status").content.decode()
    assert "No status change is legal for all 2 selected incidents together" in body
    assert 'name="apply"' not in body


def test_assign_panel_lists_me_nobody_and_capped_agents(client_for, agent_l1, l1_group):
    UserFactory.create_batch(MAX_SELECT_OPTIONS + 3, role=Role.AGENT)
    response = _post(client_for(agent_l1), [IncidentFactory()], step="assign")
    body = response.content.decode()
    select = body.split('id="id_bulk-assignee"')[1].split("</select>")[0]
    assert select.count("<option") <= MAX_SELECT_OPTIONS
    assert f'value="me">Me ({agent_l1.display_name})' in select
    assert 'value="null">Nobody (unassigned)' in select
    assert 'id="id_bulk-support_group"' in body


def test_priority_panel_asks_for_priority_and_reason(client_for, agent_l1):
    body = _post(client_for(agent_l1), [IncidentFactory()], step="priority").content.decode()
    assert 'id="id_bulk-priority"' in body and 'id="id_bulk-reason"' in body


def test_no_selection_or_too_many_or_unknown_step_is_explained(client_for, agent_l1, settings):
    client = client_for(agent_l1)
    assert "Select at least one incident" in _post(client, [], step="assign").content.decode()
    settings.QUEUE_PAGE_SIZE = 2
    too_many = _post(client, IncidentFactory.create_batch(3), step="assign").content.decode()
    assert "Select at most 2 incidents" in too_many
    unknown = _post(client, [IncidentFactory()], step="explode").content.decode()
    assert "Choose what to do" in unknown


# --- Applying ---------------------------------------------------------------------------------


def test_apply_assign_to_me_returns_result_and_refresh_event(client_for, agent_l1, agent_l2):
    free = IncidentFactory()
    taken = IncidentFactory(assignee=agent_l2)
    closed = IncidentFactory(status=IncidentStatus.CLOSED)
    response = _post(
        client_for(agent_l1),
        [free, taken, closed, "INC-999999"],
        apply="assign",
        **{"bulk-assignee": "me", "bulk-support_group": ""},
    )
    assert response.status_code == 200
    trigger = json.loads(response["HX-Trigger"])["queue-refresh"]
    assert trigger["done"] == [free.number, taken.number]
    assert trigger["refused"] == [closed.number, "INC-999999"]
    body = response.content.decode()
    assert 'id="bulk-result"' in body and 'id="bulk-refused-list"' in body
    assert f"{closed.number}</a>: {closed.number} is closed." in body
    assert "INC-999999</a>: INC-999999 was not found." in body
    assert set(Incident.objects.filter(assignee=agent_l1).values_list("pk", flat=True)) == {
        free.pk,
        taken.pk,
    }


def test_apply_assign_needs_an_assignee_or_a_group(client_for, agent_l1):
    incident = IncidentFactory()
    response = _post(
        client_for(agent_l1),
        [incident],
        apply="assign",
        **{"bulk-assignee": "", "bulk-support_group": ""},
    )
    assert "HX-Trigger" not in response
    assert "Choose an assignee, a group, or both." in response.content.decode()
    incident.refresh_from_db()
    assert incident.version == 1


def test_apply_assign_to_an_unknown_agent_is_a_field_error(client_for, agent_l1, end_user):
    response = _post(
        client_for(agent_l1), [IncidentFactory()], apply="assign", **{"bulk-assignee": end_user.pk}
    )
    assert response.context["form"].errors["assignee"] == ["Choose an active agent."]


def test_apply_priority_requires_a_reason(client_for, agent_l1):
    incident = IncidentFactory()
    client = client_for(agent_l1)
    missing = _post(client, [incident], apply="priority", **{"bulk-priority": "1"})
    assert missing.context["form"].errors["reason"]
    done = _post(
        client, [incident], apply="priority", **{"bulk-priority": "1", "bulk-reason": "Board"}
    )
    assert json.loads(done["HX-Trigger"])["queue-refresh"]["done"] == [incident.number]
    incident.refresh_from_db()
    assert incident.priority == 1


def test_apply_status_validates_the_chosen_transition_fields(client_for, agent_l1):
    incidents = IncidentFactory.create_batch(2)
    client = client_for(agent_l1)
    invalid = _post(client, incidents, apply="status", **{"bulk-transition": "cancel"})
    subforms = dict(invalid.context["subforms"])
    cancel_form = next(form for t, form in subforms.items() if t.action == "cancel")
    assert cancel_form.errors["cancel_reason"]
    assert not Incident.objects.filter(status=IncidentStatus.CANCELLED).exists()
    done = _post(
        client,
        incidents,
        apply="status",
        **{
            "bulk-transition": "cancel",
            "bulk-cancel-cancel_reason": CancelReason.DUPLICATE,
            "bulk-cancel-note": "dupes",
        },
    )
    assert json.loads(done["HX-Trigger"])["queue-refresh"]["done"] == [i.number for i in incidents]
    assert Incident.objects.filter(status=IncidentStatus.CANCELLED).count() == 2


def test_apply_status_refuses_a_transition_not_legal_for_all(client_for, agent_l1):
    new = IncidentFactory()
    closed = IncidentFactory(status=IncidentStatus.CLOSED)
    # The selection changed after the panel opened: the choice is checked against it again.
    response = _post(
        client_for(agent_l1), [new, closed], apply="status", **{"bulk-transition": "accept"}
    )
    assert response.context["form"].errors["transition"]
    new.refresh_from_db()
    assert new.status == IncidentStatus.IDENTIFIED


def test_apply_status_classify_uses_the_same_fields_as_the_incident_page(
    client_for, agent_l1, service
):
    incidents = IncidentFactory.create_batch(2, status=IncidentStatus.LOGGED)
    response = _post(
        client_for(agent_l1),
        incidents,
        apply="status",
        **{
            "bulk-transition": "classify",
            "bulk-classify-category": Category.NETWORK,
            "bulk-classify-impact": "high",
            "bulk-classify-urgency": "high",
            "bulk-classify-service": service.pk,
        },
    )
    assert json.loads(response["HX-Trigger"])["queue-refresh"]["done"] == [
        i.number for i in incidents
    ]
    assert set(Incident.objects.values_list("status", "priority")) == {
        (IncidentStatus.CLASSIFIED, 1)
    }


# --- Without JavaScript -----------------------------------------------------------------------


def test_without_htmx_the_panel_and_result_are_full_pages(client_for, agent_l1):
    incident = IncidentFactory()
    client = client_for(agent_l1)
    back = "/agent/incidents/?tab=mine"
    panel = _post(client, [incident], htmx=False, step="priority", next=back)
    body = panel.content.decode()
    assert "<html" in body and 'id="bulk-form"' in body
    assert (
        f'name="incidents" value="{incident.number}" id="bulk-page-{incident.number}" checked'
        in body
    )
    result = _post(
        client,
        [incident],
        htmx=False,
        apply="priority",
        next=back,
        **{"bulk-priority": "2", "bulk-reason": "Escalated by phone"},
    )
    body = result.content.decode()
    assert "HX-Trigger" not in result
    assert 'id="bulk-back"' in body and f'href="{back}"' in body
    incident.refresh_from_db()
    assert incident.priority == 2


def test_get_goes_back_to_the_queue(client_for, agent_l1):
    response = client_for(agent_l1).get(URL)
    assert response.status_code == 302 and response["Location"] == reverse("incidents:agent_list")


def test_offsite_next_is_ignored(client_for, agent_l1):
    response = client_for(agent_l1).get(URL, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("incidents:agent_list")


# --- Scope ------------------------------------------------------------------------------------


def test_end_users_get_404_and_change_nothing(client_for, end_user):
    incident = IncidentFactory(requester=end_user)
    response = _post(
        client_for(end_user),
        [incident],
        apply="priority",
        **{"bulk-priority": "1", "bulk-reason": "x"},
    )
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.priority != 1


def test_csrf_is_required(agent_l1):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_l1)
    response = client.post(URL, {"incidents": ["INC-000001"], "step": "assign"})
    assert response.status_code == 403
