"""The service-request kind, as the kernel's registry knows it (registered in
ServiceRequestsConfig.ready)."""

from core.tickets.kinds import TicketKind
from service_requests.models import ServiceRequest
from service_requests.selectors import request_get_for_user, request_list_for_user
from service_requests.transitions import LIFECYCLE

SERVICE_REQUEST = TicketKind(
    name="request",
    model=ServiceRequest,
    lifecycle=LIFECYCLE,
    label="Service request",
    plural="service requests",
    url_namespace="requests",
    api_basename="requests",
    list_for_user=request_list_for_user,
    get_for_user=request_get_for_user,
)
