"""The incident kind, as the kernel's registry knows it (registered in IncidentsConfig.ready)."""

from core.tickets.kinds import TicketKind
from incidents.models import Incident
from incidents.selectors import incident_get_for_user, incident_list_for_user
from incidents.transitions import LIFECYCLE

INCIDENT = TicketKind(
    name="incident",
    model=Incident,
    lifecycle=LIFECYCLE,
    label="Incident",
    plural="incidents",
    url_namespace="incidents",
    api_basename="incidents",
    list_for_user=incident_list_for_user,
    get_for_user=incident_get_for_user,
)
