"""/api/v1/sla-policies/, /api/v1/sla-calendars/ (agents: read the SLA configuration) and
/api/v1/sla-clocks/{number}/ (the clocks of one incident or request, for whoever may see it).

Policies and calendars are edited in the Django admin; the API only reads them. Clocks are
written by the SLA engine only (sla.services, the sweeper).
"""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.permissions import HasTokenScope, IsAgent
from core.api.views import NUMBER_REGEX, ApiViewSet
from sla.api.filtersets import SlaPolicyFilterSet
from sla.api.selectors import (
    calendar_list_for_user,
    policy_list_for_user,
    ticket_clocks_for_user,
)
from sla.api.serializers import (
    CalendarOutputSerializer,
    SlaPolicyOutputSerializer,
    TicketClocksOutputSerializer,
)
from sla.models import Calendar, SlaPolicy
from sla.selectors import sla_state

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]


class SlaPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """SLA policies: targets per ticket kind and priority (optionally per service), the business
    calendar they count on and their warning thresholds. Agents only."""

    queryset = SlaPolicy.objects.none()  # for the schema only; reads use the selector
    serializer_class = SlaPolicyOutputSerializer
    filterset_class = SlaPolicyFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        return policy_list_for_user(self.current_user())

    @extend_schema(summary="List SLA policies (agents)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One SLA policy (agents)")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class CalendarViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Business-hours calendars with their weekly hours and holidays. Agents only."""

    queryset = Calendar.objects.none()  # for the schema only; reads use the selector
    serializer_class = CalendarOutputSerializer
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Calendar]:
        return calendar_list_for_user(self.current_user())

    @extend_schema(summary="List business-hours calendars (agents)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One business-hours calendar (agents)")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class TicketClockViewSet(ApiViewSet):
    """The SLA clocks of one incident or service request, addressed by its number."""

    serializer_class = TicketClocksOutputSerializer
    lookup_field = "number"
    lookup_url_kwarg = "number"
    lookup_value_regex = NUMBER_REGEX
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self) -> Any:  # pragma: no cover — the schema's only; reads are by number
        return SlaPolicy.objects.none()

    @extend_schema(
        summary="A ticket's SLA clocks (whoever may see the ticket)",
        description=(
            "Response and resolution clocks of an incident (INC-…) or a service request (REQ-…) "
            "with the policy and calendar they started under, their state and the business time "
            "left. A ticket you may not see is a 404; problems have no clocks (404)."
        ),
        responses=TicketClocksOutputSerializer,
    )
    def retrieve(self, request: Request, number: str) -> Response:
        ticket, clocks = ticket_clocks_for_user(self.current_user(), number)
        now = timezone.now()
        data = {"ticket": ticket.number, "state": sla_state(clocks, now).value, "clocks": clocks}
        serializer = TicketClocksOutputSerializer(
            data, context={**self.get_serializer_context(), "now": now}
        )
        return Response(serializer.data)
