"""/api/v1/incidents/: the incident API. Reads through incidents.selectors (scoped: requesters
see their own incidents, anything else is a 404), writes through incidents.services, one action
per lifecycle transition (`POST /api/v1/incidents/INC-000042/resolve/`).

Who may do what is decided as in the HTML views: incidents.permissions.can_perform for
transitions (requesters may only close or reopen their own), can_work for details, assignment
and escalation; a refusal is a 403 before the service runs. Illegal transitions are 409 from the
service, stale If-Match a 412.
"""

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import etag
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.on_behalf import refuse_on_behalf_unless_agent
from core.api.ticket_actions import IF_MATCH, TicketActionsMixin, route_actions
from core.api.views import TicketConversationMixin
from core.choices import Source
from core.roles import is_agent
from incidents import services
from incidents.actions import INCIDENT_ACTIONS
from incidents.api.listing import summary_rows, summary_values
from incidents.api.serializers import (
    IncidentCreateInputSerializer,
    IncidentOutputSerializer,
    IncidentSummaryOutputSerializer,
    IncidentUpdateInputSerializer,
)
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident
from incidents.permissions import can_work
from incidents.selectors import incident_get_for_user, incident_list_for_user
from sla.api.rendering import ClockedTicketViewSet

ON_BEHALF_REFUSED = "Only agents can report incidents on someone else's behalf."


@extend_schema_view(retrieve=extend_schema(summary="One incident (with its ETag)"))
class IncidentViewSet(TicketActionsMixin, TicketConversationMixin, ClockedTicketViewSet):
    """Incidents by number. List filters: see IncidentFilterSet (open incidents by default,
    `?open=false` for all; `ordering=breach|priority|oldest|newest|updated`)."""

    queryset = Incident.objects.none()  # for the schema only; reads use the selectors
    serializer_class = IncidentOutputSerializer
    filterset_class = IncidentFilterSet
    list_for_user = staticmethod(incident_list_for_user)
    get_for_user = staticmethod(incident_get_for_user)
    attachment_download_url_name = "incidents-attachment-download"
    kind_name = "incident"

    # --- reads ------------------------------------------------------------------------------

    @extend_schema(
        summary="List incidents you may see (cursor-paginated, in the summary shape)",
        responses=IncidentSummaryOutputSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        queryset = summary_values(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset) or []
        return self.get_paginated_response(summary_rows(page, now=timezone.now()))

    # --- writes -----------------------------------------------------------------------------

    @extend_schema(
        summary="Report an incident",
        request=IncidentCreateInputSerializer,
        responses={201: IncidentOutputSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        user = self.current_user()
        refuse_on_behalf_unless_agent(request, user, ON_BEHALF_REFUSED)
        data = self.validated(IncidentCreateInputSerializer)
        requester = data.pop("requester", None) or user
        if requester.pk != user.pk and not is_agent(user):
            raise PermissionDenied(ON_BEHALF_REFUSED)
        with transaction.atomic():
            incident = services.incident_create(
                requester=requester, actor=user, source=Source.API, **data
            )
        # Rendered from the objects in hand (requester, group, service, CI, clocks started).
        response = self.render_ticket(
            incident, status_code=status.HTTP_201_CREATED, clocks=incident.started_clocks
        )
        return self.with_location(response, incident)

    @extend_schema(
        summary="Edit title and description (agents)",
        request=IncidentUpdateInputSerializer,
        responses={200: IncidentOutputSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request: Request, number: str) -> Response:
        incident = self.get_object()
        user = self.current_user()
        if not can_work(user):
            raise PermissionDenied("Only agents can edit incidents.")
        expected = self.expected_version(incident)
        data = self.validated(IncidentUpdateInputSerializer)
        with etag.precondition(expected):
            updated = services.incident_update_details(
                incident,
                actor=user,
                title=data.get("title", incident.title),
                description=data.get("description", incident.description),
                source=Source.API,
                expected_version=expected,
            )
        return self.render_ticket(self.fresh(updated))


route_actions(
    IncidentViewSet,
    INCIDENT_ACTIONS,
    basename="incidents",
    noun="incident",
    output=IncidentOutputSerializer,
    restricted=True,
    notes=(
        "Requesters may only close or reopen their own incidents, and only agents assign, "
        "claim and escalate (403 otherwise); an action the lifecycle does not allow now is a 409."
    ),
)
