"""How the SLA engine reaches incidents (registered in IncidentsConfig.ready)."""

from django.conf import settings

from core.models import TicketBase
from incidents.escalation import incident_escalate_many
from incidents.models import Incident
from sla.registry import TicketAdapter


def agent_url(ticket: TicketBase) -> str:
    return f"{settings.SITE_URL}/agent/incidents/{ticket.number}/"


ADAPTER = TicketAdapter(
    model=Incident, kind="incident", escalate_many=incident_escalate_many, agent_url=agent_url
)
