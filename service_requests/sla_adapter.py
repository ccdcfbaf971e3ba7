"""How the SLA engine reaches service requests (registered in ServiceRequestsConfig.ready)."""

from django.conf import settings

from core.models import TicketBase
from service_requests.escalation import request_escalate_many
from service_requests.models import ServiceRequest
from sla.choices import TicketKind
from sla.registry import TicketAdapter


def agent_url(ticket: TicketBase) -> str:
    return f"{settings.SITE_URL}/agent/requests/{ticket.number}/"


ADAPTER = TicketAdapter(
    model=ServiceRequest,
    kind=TicketKind.REQUEST,
    escalate_many=request_escalate_many,
    agent_url=agent_url,
)
