"""How the SLA engine escalates an incident (registered in IncidentsConfig.ready)."""

from django.conf import settings

from core.choices import EventKind, Source
from core.exceptions import TransitionError
from core.models import TicketBase
from core.services import event_append
from incidents.models import Incident
from incidents.services import incident_escalate
from sla.registry import EscalationOutcome, TicketAdapter


def escalate_for_sla(incident_id: int, reason: str) -> EscalationOutcome:
    """Escalate one tier as the system; at the top tier (or with no group to go to) the breach
    is recorded on the timeline and the caller notifies the managers instead."""
    incident = Incident.objects.get(pk=incident_id)
    try:
        return incident_escalate(incident, actor=None, reason=reason, source=Source.SYSTEM)
    except TransitionError as exc:
        event_append(
            ticket=incident,
            kind=EventKind.SLA,
            actor=None,
            source=Source.SYSTEM,
            message=f"{reason} {exc} Managers notified.",
            is_public=False,
        )
        return EscalationOutcome(
            escalated=False, from_tier=incident.tier, to_tier=incident.tier, message=str(exc)
        )


def agent_url(ticket: TicketBase) -> str:
    return f"{settings.SITE_URL}/agent/incidents/{ticket.number}/"


ADAPTER = TicketAdapter(
    model=Incident, kind="incident", escalate=escalate_for_sla, agent_url=agent_url
)
