"""What the requester's portal home and "My tickets" show for service requests
(portal.PortalSpec)."""

from django.db.models import Q

from core.tickets.portal_spec import (
    CANCELLED,
    REPLY_NEEDED,
    Expectation,
    PortalSpec,
    closed_on,
)
from service_requests.choices import HoldReason, RequestStatus
from service_requests.models import ServiceRequest
from sla.choices import Metric


def _paused(request: ServiceRequest) -> str:
    if request.status == RequestStatus.AWAITING_APPROVAL:
        return "Our target times start once your request is approved."
    return "Our target times are paused while the request is on hold."


def _next_step(request: ServiceRequest) -> Expectation | None:
    status = request.status
    if status == RequestStatus.FULFILLED:
        return Expectation("Got what you asked for? Please confirm.", tone="action")
    if status == RequestStatus.ON_HOLD:
        if request.on_hold_reason == HoldReason.AWAITING_USER:
            return REPLY_NEEDED
        return Expectation(_paused(request))
    if status == RequestStatus.AWAITING_APPROVAL:
        return Expectation("Waiting for approval; our target times start once it is approved.")
    if status == RequestStatus.REJECTED:
        return Expectation("Not approved. See the request for the reason.", tone="done")
    if status == RequestStatus.CLOSED:
        return closed_on(request.closed_at)
    if status == RequestStatus.CANCELLED:
        return CANCELLED
    return None


PORTAL = PortalSpec(
    filter_label="Requests",
    # A rejected request is over for the requester, though the desk still closes it later.
    closed_statuses=frozenset(
        {RequestStatus.CLOSED, RequestStatus.CANCELLED, RequestStatus.REJECTED}
    ),
    # Confirm the fulfilment, or answer the question the desk asked.
    waiting_on_requester=Q(status=RequestStatus.FULFILLED)
    | Q(status=RequestStatus.ON_HOLD, on_hold_reason=HoldReason.AWAITING_USER),
    next_step=_next_step,
    sla_aims={Metric.RESPONSE: "start on this", Metric.RESOLUTION: "fulfil this"},
    paused=_paused,
    line_fields=("status", "on_hold_reason", "closed_at"),
)
