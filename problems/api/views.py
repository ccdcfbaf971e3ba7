"""/api/v1/problems/ and /api/v1/known-errors/: problem management for agents.

Problems are agents' work, as in the HTML (problems.permissions): anyone else gets a 403 on
every route (the role is refused before any problem is looked up, so numbers do not leak).
Reads go through problems.selectors, writes through problems.services: the actions of the
problem's action table (problems.actions) are routed by the kernel (core.api.ticket_actions),
one per lifecycle transition (`POST /api/v1/problems/PRB-000007/known-error/`) plus the
analysis, assignment and claiming. Incident numbers in a body are read through the incident
selector like any other read.
"""

from typing import Any

from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import etag
from core.api.idempotency import IDEMPOTENCY_KEY, idempotent
from core.api.permissions import HasTokenScope, IsAgent
from core.api.ticket_actions import IF_MATCH, TicketActionsMixin, route_actions
from core.api.views import ApiViewSet, TicketConversationMixin, TicketViewSet, comments_for_user
from core.choices import Priority, Source
from core.models import Comment, User
from problems import services
from problems.actions import PROBLEM_ACTIONS
from problems.api.serializers import (
    IncidentNumberInputSerializer,
    KnownErrorOutputSerializer,
    ProblemCreateInputSerializer,
    ProblemIncidentOutputSerializer,
    ProblemOutputSerializer,
    ProblemUpdateInputSerializer,
    ResolveIncidentsInputSerializer,
    ResolveIncidentsOutputSerializer,
)
from problems.filtersets import ProblemFilterSet
from problems.forms import KnownErrorSearchForm
from problems.linked_kind import LinkedTicket, linked_kind
from problems.models import Problem
from problems.selectors import (
    known_error_list_for_user,
    problem_get_for_user,
    problem_links,
    problem_list_for_user,
)

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]


def _incident_in_scope(user: User, number: str, field: str = "incident") -> LinkedTicket:
    """An incident named in a body, read through the scoped selector (a 400 on the field when
    it does not exist or is out of scope)."""
    try:
        return linked_kind().get_for_user(user, number)
    except Http404 as exc:
        raise ValidationError({field: [f"No incident {number}."]}) from exc


@extend_schema_view(retrieve=extend_schema(summary="One problem (with its ETag)"))
class ProblemViewSet(TicketActionsMixin, TicketConversationMixin, TicketViewSet):
    """Problems by number (agents). List filters: see ProblemFilterSet (open problems unless
    `status` is given; highest priority first, then newest)."""

    queryset = Problem.objects.none()  # for the schema only; reads use the selectors
    serializer_class = ProblemOutputSerializer
    filterset_class = ProblemFilterSet
    permission_classes = AGENTS
    list_for_user = staticmethod(problem_list_for_user)
    get_for_user = staticmethod(problem_get_for_user)
    attachment_download_url_name = "problems-attachment-download"
    kind_name = "problem"

    # --- reads ------------------------------------------------------------------------------

    @extend_schema(summary="List problems (agents; cursor-paginated)")
    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    # --- writes -----------------------------------------------------------------------------

    @extend_schema(
        summary="Raise a problem (optionally from an incident, which is linked to it)",
        request=ProblemCreateInputSerializer,
        responses={201: ProblemOutputSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        user = self.current_user()
        data = self.validated(ProblemCreateInputSerializer)
        number = data.pop("incident", None)
        source = _incident_in_scope(user, number) if number else None
        data.setdefault("priority", source.priority if source is not None else Priority.P3)
        with transaction.atomic():
            # One unit: a problem raised from an incident exists only with its link.
            problem = services.problem_create(actor=user, source=Source.API, **data)
            if source is not None:
                services.problem_link_incident(
                    problem, incident=source, actor=user, source=Source.API
                )
        response = self.render_ticket(self.fresh(problem), status_code=status.HTTP_201_CREATED)
        return self.with_location(response, problem)

    @extend_schema(
        summary="Edit what the problem is about and who works on it",
        request=ProblemUpdateInputSerializer,
        responses={200: ProblemOutputSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request: Request, number: str) -> Response:
        problem = self.get_object()
        expected = self.expected_version(problem)
        data = self.validated(ProblemUpdateInputSerializer)
        current = {
            "title": problem.title,
            "description": problem.description,
            "service": problem.service,
            "configuration_item": problem.configuration_item,
            "category": problem.category,
            "priority": problem.priority,
            "support_group": problem.support_group,
            "assignee": problem.assignee,
        }
        with etag.precondition(expected):
            updated = services.problem_update_details(
                problem,
                actor=self.current_user(),
                source=Source.API,
                expected_version=expected,
                **{**current, **data},
            )
        return self.render_ticket(self.fresh(updated))

    # --- linked incidents -------------------------------------------------------------------

    @extend_schema(
        summary="The incidents linked to the problem (oldest link first)",
        responses=ProblemIncidentOutputSerializer(many=True),
    )
    @action(
        detail=True, methods=["get"], url_path="incidents", url_name="incidents", filter_backends=[]
    )
    def incidents(self, request: Request, number: str) -> Response:
        problem = self.get_object()
        page = self.paginate_queryset(problem_links(problem, user=self.current_user()))
        data = ProblemIncidentOutputSerializer(
            page, many=True, context=self.get_serializer_context()
        )
        return self.get_paginated_response(data.data)

    @extend_schema(
        summary="Link an incident to this open problem (an event on both timelines)",
        request=IncidentNumberInputSerializer,
        responses={201: ProblemIncidentOutputSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"], url_path="link-incident", url_name="link-incident")
    def link_incident(self, request: Request, number: str) -> Response:
        return self._link(request, number)

    @idempotent
    def _link(self, request: Request, number: str) -> Response:
        problem = self.get_object()
        user = self.current_user()
        data = self.validated(IncidentNumberInputSerializer)
        incident = _incident_in_scope(user, data["incident"])
        with transaction.atomic():
            link = services.problem_link_incident(
                problem, incident=incident, actor=user, source=Source.API
            )
        fresh = problem_links(problem, user=self.current_user()).get(pk=link.pk)
        return self.render(fresh, ProblemIncidentOutputSerializer, status_code=201)

    @extend_schema(
        summary="Remove a (mistaken) link to an incident",
        request=IncidentNumberInputSerializer,
        responses={204: None},
    )
    @action(detail=True, methods=["post"], url_path="unlink-incident", url_name="unlink-incident")
    def unlink_incident(self, request: Request, number: str) -> Response:
        problem = self.get_object()
        user = self.current_user()
        data = self.validated(IncidentNumberInputSerializer)
        incident = _incident_in_scope(user, data["incident"])
        with transaction.atomic():
            services.problem_unlink_incident(
                problem, incident=incident, actor=user, source=Source.API
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Resolve the open linked incidents of a resolved problem with its fix",
        description=(
            "Each open linked incident is resolved on its own (its own timeline event and "
            "requester email); one that cannot be resolved yet is listed with the reason and "
            "the others still go through. Running it again only touches incidents still open."
        ),
        request=ResolveIncidentsInputSerializer,
        responses={200: ResolveIncidentsOutputSerializer},
    )
    @action(
        detail=True, methods=["post"], url_path="resolve-incidents", url_name="resolve-incidents"
    )
    def resolve_incidents(self, request: Request, number: str) -> Response:
        problem = self.get_object()
        data = self.validated(ResolveIncidentsInputSerializer)
        outcomes = services.problem_resolve_linked_incidents(
            problem,
            actor=self.current_user(),
            resolution_code=data["incident_resolution_code"],
            source=Source.API,
        )
        payload = {"problem": self.fresh(problem), "incidents": outcomes}
        return self.render(payload, ResolveIncidentsOutputSerializer)

    # --- comments (TicketConversationMixin): internal notes only ---------------------------

    def add_comment(
        self, ticket: Problem, *, author: User, body: str, is_internal: bool
    ) -> Comment:
        """Problems have no requester-facing side: every note is internal."""
        services.problem_comment(ticket, author=author, body=body, source=Source.API)
        return comments_for_user(ticket=ticket, user=author).filter(author=author).latest("id")


route_actions(
    ProblemViewSet,
    PROBLEM_ACTIONS,
    basename="problems",
    noun="problem",
    output=ProblemOutputSerializer,
    notes=(
        "Only agents work problems (403 otherwise); an action the lifecycle does not allow now "
        "is a 409, missing required fields a 400."
    ),
)


class KnownErrorViewSet(mixins.ListModelMixin, ApiViewSet):
    """The known-error database (agents): problems whose workaround is published, newest first.
    `?q=` searches number, title, symptoms, workaround, root cause and service; resolved problems
    that were known errors are included with `?include_resolved=true`."""

    queryset = Problem.objects.none()  # for the schema only; reads use the selector
    serializer_class = KnownErrorOutputSerializer
    permission_classes = AGENTS
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        form = KnownErrorSearchForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        return known_error_list_for_user(
            self.current_user(),
            text=form.cleaned_data["q"] or "",
            include_resolved=bool(form.cleaned_data["include_resolved"]),
        )

    @extend_schema(
        summary="Search the known-error database (agents)",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Search text (up to 200)."),
            OpenApiParameter(
                "include_resolved", OpenApiTypes.BOOL, description="Also resolved problems."
            ),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
