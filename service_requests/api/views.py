"""/api/v1/requests/: the service request API, and /api/v1/catalog-items/: what can be requested.

Reads go through the request selectors (agents see every request, requesters their own; anything
else is a 404), writes through service_requests.services. Every row of the request's action table
(service_requests.actions) is an action (`POST /api/v1/requests/REQ-000042/approve/`), run by
core.api.ticket_actions. A request is created from a catalog item with its form answers,
validated by the same code as the portal form (service_requests.answers).

Who may do what is decided by the action table, as in the HTML views: requesters may withdraw
(cancel) and confirm (close) their own requests; the approver a request was sent to (its
requester's manager, or a member of its approver group) may see it, its public timeline, and
approve or reject it; agents do everything else. A refusal is a 403 before the service runs; an
action the lifecycle does not allow now is a 409; a stale If-Match a 412.
"""

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.on_behalf import refuse_on_behalf_unless_agent
from core.api.ticket_actions import TicketActionsMixin, route_actions
from core.api.views import ApiViewSet, TicketConversationMixin
from core.choices import Source
from core.exceptions import ValidationFailed
from core.models import User
from core.roles import is_agent
from service_requests import services
from service_requests.actions import REQUEST_ACTIONS
from service_requests.api.filtersets import CatalogItemFilterSet
from service_requests.api.selectors import (
    api_request_get_for_user,
    api_request_get_for_user_or_approver,
    api_request_list_for_user,
    api_request_pending_for_approver,
    api_request_task_get,
    api_request_tasks,
    catalog_item_list,
)
from service_requests.api.serializers import (
    CatalogItemOutputSerializer,
    RequestTaskOutputSerializer,
    RequestTaskUpdateInputSerializer,
    ServiceRequestCreateInputSerializer,
    ServiceRequestOutputSerializer,
)
from service_requests.filtersets import RequestFilterSet
from service_requests.models import CatalogItem, ServiceRequest
from service_requests.permissions import can_work
from service_requests.selectors import fields_of
from sla.api.rendering import ClockedTicketViewSet

# Routes an approver who is not otherwise in scope may use (the portal's approval pages).
ON_BEHALF_REFUSED = "Only agents can request on someone else's behalf."
APPROVER_ROUTES = frozenset({"retrieve", "approve", "reject", "timeline"})


@extend_schema_view(
    retrieve=extend_schema(
        summary="One request (with its ETag); approvers see the requests sent to them"
    )
)
class ServiceRequestViewSet(TicketActionsMixin, TicketConversationMixin, ClockedTicketViewSet):
    """Service requests by number. List filters: see RequestFilterSet (open requests by default,
    `?open=false` for all; `ordering=breach|oldest|newest|updated`)."""

    queryset = ServiceRequest.objects.none()  # for the schema only; reads use the selectors
    serializer_class = ServiceRequestOutputSerializer
    filterset_class = RequestFilterSet
    list_for_user = staticmethod(api_request_list_for_user)
    get_for_user = staticmethod(api_request_get_for_user)
    attachment_download_url_name = "requests-attachment-download"
    kind_name = "request"

    def get_object(self) -> ServiceRequest:
        """The request in the URL through the scoped selectors; the approval routes also reach
        the requests sent to this user for approval."""
        cached: ServiceRequest | None = getattr(self, "_ticket", None)
        if cached is not None:
            return cached
        number = str(self.kwargs[self.lookup_url_kwarg]).upper()
        user = self.current_user()
        if self.action in APPROVER_ROUTES:
            found = api_request_get_for_user_or_approver(user, number)
        else:
            found = api_request_get_for_user(user, number)
        self.check_object_permissions(self.request, found)
        self._ticket = found
        return found

    def fresh(self, ticket: ServiceRequest) -> ServiceRequest:
        """The request re-read after a write (also by the approver it was sent to)."""
        return api_request_get_for_user_or_approver(self.current_user(), ticket.number)

    def _page(self, queryset: Any) -> Response:
        return self.render_page(list(self.paginate_queryset(queryset) or []))

    # --- reads ------------------------------------------------------------------------------

    @extend_schema(summary="List requests you may see (cursor-paginated)")
    def list(self, request: Request) -> Response:
        return self._page(self.filter_queryset(self.get_queryset()))

    @extend_schema(
        summary="Requests waiting for your approval (oldest first)",
        responses=ServiceRequestOutputSerializer(many=True),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="approvals",
        url_name="approvals",
        filter_backends=[],
    )
    def approvals(self, request: Request) -> Response:
        return self._page(api_request_pending_for_approver(self.current_user()))

    # --- creation ---------------------------------------------------------------------------

    @extend_schema(
        summary="Request a catalog item, with the answers to its form",
        request=ServiceRequestCreateInputSerializer,
        responses={201: ServiceRequestOutputSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        user = self.current_user()
        refuse_on_behalf_unless_agent(request, user, ON_BEHALF_REFUSED)
        data = self.validated(ServiceRequestCreateInputSerializer)
        requester: User = data.get("requester") or user
        if requester.pk != user.pk and not is_agent(user):
            raise PermissionDenied(ON_BEHALF_REFUSED)
        item: CatalogItem = data["catalog_item"]
        answers: dict[str, Any] = data["answers"]
        keys = {spec.key for spec in fields_of(item)}
        unknown = sorted(set(answers) - keys)
        if unknown:
            raise ValidationFailed(
                {f"answers.{key}": f"{item.name} does not ask '{key}'." for key in unknown}
            )
        try:
            with transaction.atomic():
                created = services.request_create(
                    requester=requester,
                    item=item,
                    answers=answers,
                    details=data["details"],
                    actor=user,
                    source=Source.API,
                )
        except ValidationFailed as exc:
            # The answers' errors are keyed by question; say where they are in the body.
            raise ValidationFailed(
                {(f"answers.{k}" if k in keys else k): v for k, v in exc.errors.items()}
            ) from exc
        response = self.render_ticket(self.fresh(created), status_code=201)
        return self.with_location(response, created)

    # --- actions (the request's action table, routed below) --------------------------------

    # --- fulfilment tasks -------------------------------------------------------------------

    @extend_schema(
        summary="The request's fulfilment checklist",
        responses=RequestTaskOutputSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="tasks", url_name="tasks", filter_backends=[])
    def tasks(self, request: Request, number: str) -> Response:
        sr = self.get_object()
        page = self.paginate_queryset(api_request_tasks(sr))
        data = RequestTaskOutputSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(data.data)

    @extend_schema(
        summary="Tick or untick one fulfilment task (agents; open requests only)",
        request=RequestTaskUpdateInputSerializer,
        responses={200: RequestTaskOutputSerializer},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"tasks/(?P<task_id>[0-9]{1,12})",
        url_name="task",
        filter_backends=[],
    )
    def task(self, request: Request, number: str, task_id: str) -> Response:
        sr = self.get_object()
        user = self.current_user()
        if not can_work(user):
            raise PermissionDenied("Only agents can do this.")
        found = api_request_task_get(sr, int(task_id))
        data = self.validated(RequestTaskUpdateInputSerializer)
        updated = services.request_task_set_done(
            found, actor=user, done=data["is_done"], source=Source.API
        )
        return self.render(updated, RequestTaskOutputSerializer)


route_actions(
    ServiceRequestViewSet,
    REQUEST_ACTIONS,
    basename="requests",
    noun="request",
    output=ServiceRequestOutputSerializer,
    notes=(
        "Requesters may only cancel (withdraw) or close (confirm) their own requests, approvers "
        "only approve or reject the requests sent to them, and only agents assign, claim and "
        "escalate (403 otherwise); an action the lifecycle does not allow now is a 409."
    ),
)


class CatalogItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The service catalog: what can be requested, with the questions of each item's form and
    its fulfilment checklist. Everyone signed in reads it (as in the portal)."""

    queryset = CatalogItem.objects.none()  # for the schema only; reads use the selector
    serializer_class = CatalogItemOutputSerializer
    filterset_class = CatalogItemFilterSet
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self) -> Any:
        return catalog_item_list()

    @extend_schema(summary="List catalog items")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One catalog item by its slug, with its form's questions")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)
