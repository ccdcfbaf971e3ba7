"""What the requester's portal home and "My tickets" show for incidents (portal.PortalSpec)."""

from django.db.models import Q

from core.tickets.portal_spec import (
    CANCELLED,
    REPLY_NEEDED,
    Expectation,
    PortalSpec,
    closed_on,
)
from incidents.choices import WAITING_FOR, HoldReason, IncidentStatus
from incidents.models import Incident
from sla.choices import Metric


def _paused(incident: Incident) -> str:
    who = WAITING_FOR.get(incident.on_hold_reason, "someone outside the service desk")
    return f"Our target times are paused while we wait for {who}."


def _next_step(incident: Incident) -> Expectation | None:
    status = incident.status
    if status == IncidentStatus.RESOLVED:
        return Expectation("Fixed? Please confirm, or tell us it is still broken.", tone="action")
    if status == IncidentStatus.ON_HOLD:
        if incident.on_hold_reason == HoldReason.AWAITING_USER:
            return REPLY_NEEDED
        return Expectation(_paused(incident))
    if status == IncidentStatus.CLOSED:
        return closed_on(incident.closed_at)
    if status == IncidentStatus.CANCELLED:
        return CANCELLED
    return None


PORTAL = PortalSpec(
    filter_label="Incidents",
    closed_statuses=frozenset({IncidentStatus.CLOSED, IncidentStatus.CANCELLED}),
    # Confirm (or reopen) the fix, or answer the question the desk asked.
    waiting_on_requester=Q(status=IncidentStatus.RESOLVED)
    | Q(status=IncidentStatus.ON_HOLD, on_hold_reason=HoldReason.AWAITING_USER),
    next_step=_next_step,
    sla_aims={Metric.RESPONSE: "respond", Metric.RESOLUTION: "resolve this"},
    paused=_paused,
    line_fields=("status", "on_hold_reason", "closed_at"),
)
