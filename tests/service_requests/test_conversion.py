"""Conversion between incidents and requests keeps history and links the two: the old ticket is
cancelled through its own service, the new one's page shows the old timeline (read-only)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import TicketLink, TimelineEvent
from core.tickets.conversion import ticket_convert
from incidents import services as incident_services
from incidents.choices import CancelReason as IncidentCancelReason
from incidents.choices import Impact, IncidentStatus, Urgency
from incidents.models import Incident
from service_requests import services
from service_requests.choices import CancelReason, RequestStatus
from service_requests.models import ServiceRequest
from tests.kept import select_on_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(requester, service):
    created = incident_services.incident_create(
        requester=requester, title="I need VPN on my new phone", description="Please set it up"
    )
    incident_services.incident_comment(
        created, author=requester, body="It is for on-call", is_internal=False
    )
    return created


def _events(ticket):
    return TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    ).order_by("id")


def test_incident_to_request(incident, agent_l1, mfa):
    before = list(_events(incident).values_list("pk", flat=True))
    request = ticket_convert(
        incident, into="request", actor=agent_l1, item=mfa, expected_version=incident.version
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CANCELLED
    assert incident.cancel_reason == IncidentCancelReason.CONVERTED_TO_REQUEST
    assert request.requester == incident.requester
    assert (request.title, request.description) == (incident.title, incident.description)
    assert request.catalog_item == mfa and request.tasks.count() == 1
    # History kept: the incident's events are untouched, plus the cancellation naming the request.
    after = list(_events(incident))
    assert [e.pk for e in after[: len(before)]] == before
    assert after[-1].to_status == IncidentStatus.CANCELLED
    assert request.number in after[-1].message
    created = _events(request).first()
    assert created.changes["converted_from"] == incident.number
    link = TicketLink.objects.get()
    assert (link.from_id, link.to_id) == (incident.pk, request.pk)


def test_request_to_incident(requester, agent_l1, mfa, service):
    request = services.request_create(requester=requester, item=mfa, answers={})
    services.request_comment(
        request, author=requester, body="My laptop is broken", is_internal=False
    )
    request.refresh_from_db()
    incident = ticket_convert(
        request,
        into="incident",
        actor=agent_l1,
        impact=Impact.MEDIUM,
        urgency=Urgency.HIGH,
        expected_version=request.version,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert request.cancel_reason == CancelReason.CONVERTED_TO_INCIDENT
    assert incident.requester == requester and incident.title == request.title
    assert incident.service == service
    assert (incident.impact, incident.urgency) == (Impact.MEDIUM, Urgency.HIGH)
    assert incident.number in _events(request).last().message
    assert _events(incident).filter(changes__converted_from=request.number).exists()
    link = TicketLink.objects.get()
    assert (link.from_id, link.to_id) == (request.pk, incident.pk)


def test_a_failed_conversion_leaves_nothing_behind(incident, agent_l1, mfa):
    with pytest.raises(ConflictError):
        ticket_convert(
            incident,
            into="request",
            actor=agent_l1,
            item=mfa,
            expected_version=incident.version + 5,
        )
    assert not ServiceRequest.objects.exists()
    assert not TicketLink.objects.exists()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED


def test_closed_tickets_cannot_be_converted(requester, agent_l1, mfa):
    request = services.request_create(requester=requester, item=mfa, answers={})
    services.request_cancel(request, actor=agent_l1, cancel_reason=CancelReason.DUPLICATE)
    with pytest.raises(TransitionError):
        ticket_convert(request, into="incident", actor=agent_l1)
    assert not Incident.objects.exists()


def test_only_agents_convert(incident, requester, mfa):
    with pytest.raises(TransitionError):
        ticket_convert(incident, into="request", actor=requester, item=mfa)


def test_conversion_to_a_manager_approved_item_needs_a_manager(end_user, agent_l1, laptop):
    incident = incident_services.incident_create(requester=end_user, title="Need a laptop")
    with pytest.raises(ValidationFailed):
        ticket_convert(incident, into="request", actor=agent_l1, item=laptop)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED


# --- Through the pages ----------------------------------------------------------------------


def test_incident_page_offers_conversion_and_request_page_shows_the_history(
    client_for, incident, agent_l1, mfa
):
    client = client_for(agent_l1)
    page = client.get(reverse("incidents:agent_detail", args=[incident.number]))
    assert "Convert to a service request" in page.content.decode()
    response = client.post(
        reverse("requests:incident_to_request", args=[incident.number]),
        {"to_request-version": incident.version, "to_request-item": mfa.pk},
    )
    request = ServiceRequest.objects.get()
    assert response["Location"] == reverse("requests:agent_detail", args=[request.number])
    body = client.get(response["Location"]).content.decode()
    assert f"History from incident {incident.number}" in body
    assert "Read-only" in body and "It is for on-call" in body
    incident_page = client.get(reverse("incidents:agent_detail", args=[incident.number]))
    text = incident_page.content.decode()
    assert "Converted to service request" in text and request.number in text
    assert "Convert to a service request</summary>" not in text


def test_requester_sees_the_history_in_the_portal(client_for, incident, requester, agent_l1, mfa):
    request = ticket_convert(incident, into="request", actor=agent_l1, item=mfa)
    body = (
        client_for(requester)
        .get(reverse("requests:portal_detail", args=[request.number]))
        .content.decode()
    )
    assert f"History from incident {incident.number}" in body and "It is for on-call" in body


def test_request_page_converts_to_incident(client_for, requester, agent_l1, mfa):
    request = services.request_create(requester=requester, item=mfa, answers={})
    client = client_for(agent_l1)
    response = client.post(
        reverse("requests:agent_to_incident", args=[request.number]),
        {
            "to_incident-version": request.version,
            "to_incident-impact": Impact.LOW,
            "to_incident-urgency": Urgency.LOW,
        },
    )
    incident = Incident.objects.get()
    assert response["Location"] == reverse("incidents:agent_detail", args=[incident.number])
    body = client.get(response["Location"]).content.decode()
    assert f"History from request {request.number}" in body
    assert "submitted the request" in body


def test_end_users_cannot_reach_conversion(client_for, incident, requester, mfa):
    response = client_for(requester).post(
        reverse("requests:incident_to_request", args=[incident.number]),
        {"to_request-version": incident.version, "to_request-item": mfa.pk},
    )
    assert response.status_code == 404
    assert not ServiceRequest.objects.exists()


def test_the_catalog_select_follows_changes_of_items_and_categories(
    client_for, agent_l1, incident, laptop
):
    """The "turn into a request" select's options are kept per process
    (service_requests.forms.CATALOG_OPTIONS_MEMO): a renamed item or category, a new item and
    a retired one show on the next page."""
    client = client_for(agent_l1)
    url = reverse("incidents:agent_detail", args=[incident.number])

    def options() -> str:
        return select_on_page(client, url, "to_request-item")

    assert f"{laptop.category.name}: {laptop.name}" in options()
    laptop.name = "Laptop <15 inch>"
    laptop.save(update_fields=["name"])
    assert f"{laptop.category.name}: Laptop &lt;15 inch&gt;" in options()
    laptop.category.name = "Hardware & kit"
    laptop.category.save(update_fields=["name"])
    assert "Hardware &amp; kit: Laptop &lt;15 inch&gt;" in options()
    laptop.is_active = False
    laptop.save(update_fields=["is_active"])
    assert "Laptop &lt;15 inch&gt;" not in options()
