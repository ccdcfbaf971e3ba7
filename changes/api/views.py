"""/api/v1/changes/: changes for agents (the templates: changes.api.change_templates).

Changes are agents' work, as in the HTML (changes.permissions): anyone else gets a 403 on every
route (the role is refused before any change is looked up, so numbers do not leak). Reads go
through changes.selectors, writes through changes.services: the actions of the change's action
table (changes.actions) are routed by the kernel (core.api.ticket_actions), one per lifecycle
transition (`POST /api/v1/changes/CHG-000007/submit/`) plus the advisory group's decisions,
assignment, claiming and the links. Problem and incident numbers in a body are read through
their kinds' selectors like any other read.
"""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from changes import services
from changes.actions import CHANGE_ACTIONS
from changes.api.serializers import (
    ChangeCreateInputSerializer,
    ChangeLinksOutputSerializer,
    ChangeOutputSerializer,
    ChangeUpdateInputSerializer,
)
from changes.choices import ChangeType
from changes.filtersets import ChangeFilterSet
from changes.models import Change
from changes.selectors import (
    change_approvals,
    change_get_for_user,
    change_incident_links,
    change_list_for_user,
    change_problem_links,
)
from core.api import etag
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.permissions import HasTokenScope, IsAgent
from core.api.ticket_actions import IF_MATCH, TicketActionsMixin, route_actions
from core.api.views import TicketConversationMixin, TicketViewSet
from core.choices import Source

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]
DETAILS = (
    "title",
    "description",
    "risk",
    "impact",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "planned_start",
    "planned_end",
    "service",
    "configuration_item",
    "approval_group",
)


@extend_schema_view(retrieve=extend_schema(summary="One change (with its ETag)"))
class ChangeViewSet(TicketActionsMixin, TicketConversationMixin, TicketViewSet):
    """Changes by number (agents). List filters: see ChangeFilterSet (open changes unless
    `status` is given or `open=false`; newest first unless `ordering` says otherwise)."""

    queryset = Change.objects.none()  # for the schema only; reads use the selectors
    serializer_class = ChangeOutputSerializer
    filterset_class = ChangeFilterSet
    permission_classes = AGENTS
    list_for_user = staticmethod(change_list_for_user)
    get_for_user = staticmethod(change_get_for_user)
    attachment_download_url_name = "changes-attachment-download"
    kind_name = "change"

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("services", "configuration_items__service")

    @extend_schema(summary="List changes (agents; cursor-paginated)")
    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Raise a change: normal or emergency, or standard from a template",
        request=ChangeCreateInputSerializer,
        responses={201: ChangeOutputSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        user = self.current_user()
        data = self.validated(ChangeCreateInputSerializer)
        template = data.pop("template", None)
        if data.get("change_type") == ChangeType.STANDARD:
            kept = (
                *("title", "description", "configuration_item", "services"),
                *("configuration_items", "planned_start", "planned_end", "assignee"),
            )
            change = services.change_create_from_template(
                template,
                actor=user,
                source=Source.API,
                **{name: data[name] for name in kept if name in data},
            )
        else:
            change = services.change_create(actor=user, source=Source.API, **data)
        response = self.render_ticket(self.fresh(change), status_code=status.HTTP_201_CREATED)
        return self.with_location(response, change)

    @extend_schema(
        summary="Edit the change's details, plans and window (before it starts implementing)",
        request=ChangeUpdateInputSerializer,
        responses={200: ChangeOutputSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request: Request, number: str) -> Response:
        change = self.get_object()
        expected = self.expected_version(change)
        data = self.validated(ChangeUpdateInputSerializer)
        current: dict[str, Any] = {name: getattr(change, name) for name in DETAILS}
        current["services"] = list(change.services.all())
        current["configuration_items"] = list(change.configuration_items.all())
        with etag.precondition(expected):
            updated = services.change_update_details(
                change,
                actor=self.current_user(),
                source=Source.API,
                expected_version=expected,
                **{**current, **data},
            )
        return self.render_ticket(self.fresh(updated))

    @extend_schema(
        summary="The problems it fixes, the incidents it caused, and the approvals given",
        responses={200: ChangeLinksOutputSerializer},
    )
    @action(detail=True, methods=["get"], url_path="links", url_name="links", filter_backends=[])
    def links(self, request: Request, number: str) -> Response:
        change = self.get_object()
        user = self.current_user()
        payload = {
            "problems": [link.problem for link in change_problem_links(change, user=user)],
            "incidents": [link.incident for link in change_incident_links(change, user=user)],
            "approvals": list(change_approvals(change)),
        }
        return self.render(payload, ChangeLinksOutputSerializer)


route_actions(
    ChangeViewSet,
    CHANGE_ACTIONS,
    basename="changes",
    noun="change",
    output=ChangeOutputSerializer,
    notes=(
        "Only agents work changes (403 otherwise); an action the lifecycle does not allow now "
        "(or a decision by someone outside the advisory group) is a 409, missing or invalid "
        "fields a 400."
    ),
)
