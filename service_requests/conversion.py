"""Converting a misfiled ticket: an incident into a service request, and back.

Both directions run in one transaction: the new ticket is created through its own service, the
old one is cancelled through its own service (incident: cancel_reason converted_to_request;
request: converted_to_incident), a core TicketLink records old -> new, and both timelines say
what happened. Nothing is copied: the new ticket's page shows the old ticket's timeline.
"""

from django.db import transaction

from core.choices import EventKind, Source
from core.exceptions import TransitionError
from core.links import link_add, linked_from, linked_to
from core.models import TicketBase, User
from core.roles import is_agent
from core.services import event_append
from incidents import services as incident_services
from incidents.choices import CancelReason as IncidentCancelReason
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from service_requests import services
from service_requests.choices import CancelReason
from service_requests.models import CatalogItem, ServiceRequest


def incident_convert_to_request(
    incident: Incident,
    *,
    actor: User,
    item: CatalogItem,
    expected_version: int | None = None,
    source: str = Source.WEB,
) -> ServiceRequest:
    """Turn an incident that is really a request into one for `item` (agents only).

    The request takes the incident's requester, title and description; it goes through the
    item's approval step like any other, but asks none of the item's form questions (the
    incident's text stands for the answers). The incident is cancelled as converted_to_request.
    """
    if not is_agent(actor):
        raise TransitionError("Only agents can convert incidents.")
    with transaction.atomic():
        request = services.open_request(
            requester=incident.requester,
            item=item,
            answers={},
            title=incident.title,
            description=incident.description,
            actor=actor,
            source=source,
            message=f"Converted from incident {incident.number}; its history is shown here.",
            changes={"converted_from": incident.number},
        )
        incident_services.incident_cancel(
            incident,
            actor=actor,
            cancel_reason=IncidentCancelReason.CONVERTED_TO_REQUEST,
            note=f"Converted to service request {request.number}.",
            expected_version=expected_version,
            source=source,
        )
        link_add(source=incident, target=request)
    return request


def request_convert_to_incident(
    request: ServiceRequest,
    *,
    actor: User,
    impact: str = Impact.LOW,
    urgency: str = Urgency.MEDIUM,
    expected_version: int | None = None,
    source: str = Source.WEB,
) -> Incident:
    """Turn a request that is really an incident (something is broken) into one (agents only).

    The incident takes the request's requester, title, description and service; the request is
    cancelled as converted_to_incident.
    """
    if not is_agent(actor):
        raise TransitionError("Only agents can convert requests.")
    with transaction.atomic():
        incident = incident_services.incident_create(
            requester=request.requester,
            title=request.title,
            description=request.description,
            impact=impact,
            urgency=urgency,
            service=request.service,
            actor=actor,
            source=source,
        )
        event_append(
            ticket=incident,
            kind=EventKind.FIELDS_CHANGED,
            actor=actor,
            source=source,
            changes={"converted_from": request.number},
            message=f"Converted from service request {request.number}; its history is shown here.",
        )
        services.request_cancel(
            request,
            actor=actor,
            cancel_reason=CancelReason.CONVERTED_TO_INCIDENT,
            note=f"Converted to incident {incident.number}.",
            expected_version=expected_version,
            source=source,
        )
        link_add(source=request, target=incident)
    return incident


def converted_from(ticket: TicketBase) -> TicketBase | None:
    """The ticket this one was converted from, if any (unscoped: callers scope it)."""
    origins = linked_from(ticket)
    return origins[0] if origins else None


def converted_to(ticket: TicketBase) -> TicketBase | None:
    """The ticket this one was converted to, if any (unscoped: callers scope it)."""
    targets = linked_to(ticket)
    return targets[0] if targets else None
