"""/api/v1/incidents/: the incident API. Reads through incidents.selectors (scoped: requesters
see their own incidents, anything else is a 404), writes through incidents.services, one action
per lifecycle transition (`POST /api/v1/incidents/INC-000042/resolve/`).

Who may do what is decided as in the HTML views: incidents.permissions.can_perform for
transitions (requesters may only close or reopen their own), can_work for details, assignment
and escalation; a refusal is a 403 before the service runs. Illegal transitions are 409 from the
service, stale If-Match a 412.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api import etag
from core.api.idempotency import idempotent
from core.api.serializers import render_one
from core.api.views import TicketConversationMixin, TicketViewSet
from core.choices import Source
from core.models import Comment, User
from core.roles import is_agent
from incidents import services
from incidents.api.listing import summary_rows, summary_values
from incidents.api.serializers import (
    EmptyInputSerializer,
    IncidentAssignInputSerializer,
    IncidentCancelInputSerializer,
    IncidentClassifyInputSerializer,
    IncidentContainInputSerializer,
    IncidentCreateInputSerializer,
    IncidentDiagnoseInputSerializer,
    IncidentHoldInputSerializer,
    IncidentOutputSerializer,
    IncidentResolveInputSerializer,
    IncidentSummaryOutputSerializer,
    IncidentUpdateInputSerializer,
    ReasonInputSerializer,
)
from incidents.filtersets import IncidentFilterSet
from incidents.kind import transition_context
from incidents.models import Incident
from incidents.permissions import can_perform, can_work
from incidents.selectors import incident_get_for_user, incident_list_for_user
from sla.models import SlaClock
from sla.selectors import clocks_for_tickets

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag you read (e.g. `"v7"`); a stale one is refused with 412.',
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID): a retry with the same key creates nothing new.",
)

# Each transition action: its input serializer and how to call its service with the input.
Call = Callable[[Incident, User, dict[str, Any], int | None], Any]


def _kw(actor: User, expected: int | None) -> dict[str, Any]:
    return {"actor": actor, "source": Source.API, "expected_version": expected}


TRANSITIONS: dict[str, tuple[type[BaseSerializer[Any]], Call, str]] = {
    "accept": (
        EmptyInputSerializer,
        lambda i, u, d, v: services.incident_accept(i, **_kw(u, v)),
        "identified → logged",
    ),
    "classify": (
        IncidentClassifyInputSerializer,
        lambda i, u, d, v: services.incident_classify(i, **d, **_kw(u, v)),
        "logged → classified: category, service, impact, urgency (priority from the matrix)",
    ),
    "contain": (
        IncidentContainInputSerializer,
        lambda i, u, d, v: services.incident_contain(i, **d, **_kw(u, v)),
        "classified → contained, with containment notes",
    ),
    "diagnose": (
        IncidentDiagnoseInputSerializer,
        lambda i, u, d, v: services.incident_diagnose(i, **d, **_kw(u, v)),
        "→ diagnosed, with diagnosis notes",
    ),
    "resolve": (
        IncidentResolveInputSerializer,
        lambda i, u, d, v: services.incident_resolve(i, **d, **_kw(u, v)),
        "→ resolved, with resolution code and notes",
    ),
    "close": (
        EmptyInputSerializer,
        lambda i, u, d, v: services.incident_close(i, **_kw(u, v)),
        "resolved → closed (the requester may confirm their own)",
    ),
    "reopen": (
        ReasonInputSerializer,
        lambda i, u, d, v: services.incident_reopen(i, **d, **_kw(u, v)),
        "resolved → classified within the reopen window, with a reason",
    ),
    "hold": (
        IncidentHoldInputSerializer,
        lambda i, u, d, v: services.incident_hold(i, **d, **_kw(u, v)),
        "→ on hold with a reason (SLA clocks pause)",
    ),
    "resume": (
        EmptyInputSerializer,
        lambda i, u, d, v: services.incident_resume(i, **_kw(u, v)),
        "on hold → the status before the hold",
    ),
    "cancel": (
        IncidentCancelInputSerializer,
        lambda i, u, d, v: services.incident_cancel(i, **d, **_kw(u, v)),
        "→ cancelled, with a reason",
    ),
}


class IncidentViewSet(TicketConversationMixin, TicketViewSet):
    """Incidents by number. List filters: see IncidentFilterSet (open incidents by default,
    `?open=false` for all; `ordering=breach|priority|oldest|newest|updated`)."""

    queryset = Incident.objects.none()  # for the schema only; reads use the selectors
    serializer_class = IncidentOutputSerializer
    filterset_class = IncidentFilterSet
    list_for_user = staticmethod(incident_list_for_user)
    get_for_user = staticmethod(incident_get_for_user)
    attachment_download_url_name = "incidents-attachment-download"

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context.setdefault("now", timezone.now())
        context.setdefault("transition_context", transition_context())
        return context

    def _render_with_clocks(
        self,
        incident: Incident,
        *,
        status_code: int = 200,
        clocks: list[SlaClock] | None = None,
    ) -> Response:
        if clocks is None:
            clocks = clocks_for_tickets([incident])[incident.pk]
        context = {**self.get_serializer_context(), "clocks": {incident.pk: clocks}}
        data = render_one(IncidentOutputSerializer, incident, context)
        return etag.with_etag(Response(data, status=status_code), incident)

    def _fresh(self, incident: Incident) -> Incident:
        """The incident re-read through the selector (with its related rows) after a write."""
        return incident_get_for_user(self.current_user(), incident.number)

    # --- reads ------------------------------------------------------------------------------

    @extend_schema(
        summary="List incidents you may see (cursor-paginated, in the summary shape)",
        responses=IncidentSummaryOutputSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        queryset = summary_values(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset) or []
        return self.get_paginated_response(summary_rows(page, now=timezone.now()))

    @extend_schema(summary="One incident (with its ETag)")
    def retrieve(self, request: Request, number: str) -> Response:
        return self._render_with_clocks(self.get_object())

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
        data = self.validated(IncidentCreateInputSerializer)
        requester = data.pop("requester", None) or user
        if requester.pk != user.pk and not is_agent(user):
            raise PermissionDenied("Only agents can report incidents on someone else's behalf.")
        with transaction.atomic():
            incident = services.incident_create(
                requester=requester, actor=user, source=Source.API, **data
            )
        # Rendered from the objects in hand (requester, group, service, CI, clocks started).
        response = self._render_with_clocks(
            incident, status_code=status.HTTP_201_CREATED, clocks=incident.started_clocks
        )
        response["Location"] = request.build_absolute_uri(
            reverse("incidents-detail", kwargs={"number": incident.number})
        )
        return response

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
        return self._render_with_clocks(self._fresh(updated))

    def _transition(self, request: Request, name: str) -> Response:
        serializer_class, call, _ = TRANSITIONS[name]
        incident = self.get_object()
        user = self.current_user()
        if not can_perform(user, incident, name):
            raise PermissionDenied(f"You may not {name} this incident.")
        expected = self.expected_version(incident)
        data = self.validated(serializer_class)
        with etag.precondition(expected):
            updated = call(incident, user, data, expected)
        return self._render_with_clocks(self._fresh(updated))

    def _work(self, request: Request, serializer_class: type[BaseSerializer[Any]]) -> Any:
        """For assignment and escalation: the incident, the agent, the version If-Match expects
        (checked before the body) and the validated input."""
        incident = self.get_object()
        user = self.current_user()
        if not can_work(user):
            raise PermissionDenied("Only agents can do this.")
        expected = self.expected_version(incident)
        return incident, user, expected, self.validated(serializer_class)

    @extend_schema(
        summary="Assign to an agent and/or a group (agents)",
        request=IncidentAssignInputSerializer,
        responses={200: IncidentOutputSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path="assign", url_name="assign")
    def assign(self, request: Request, number: str) -> Response:
        incident, user, expected, data = self._work(request, IncidentAssignInputSerializer)
        with etag.precondition(expected):
            updated = services.incident_assign(
                incident,
                actor=user,
                assignee=data["assignee"],
                support_group=data.get("support_group"),
                source=Source.API,
                expected_version=expected,
            )
        return self._render_with_clocks(self._fresh(updated))

    @extend_schema(
        summary="Assign an unassigned incident to yourself (one of many concurrent claims wins)",
        request=EmptyInputSerializer,
        responses={200: IncidentOutputSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path="claim", url_name="claim")
    def claim(self, request: Request, number: str) -> Response:
        incident, user, expected, _ = self._work(request, EmptyInputSerializer)
        with etag.precondition(expected):
            updated = services.incident_claim(incident, actor=user, source=Source.API)
        return self._render_with_clocks(self._fresh(updated))

    def _move(self, request: Request, step: int) -> Response:
        incident, user, expected, data = self._work(request, ReasonInputSerializer)
        move = services.incident_escalate if step > 0 else services.incident_deescalate
        with etag.precondition(expected):
            move(
                incident,
                actor=user,
                reason=data["reason"],
                source=Source.API,
                expected_version=expected,
            )
        return self._render_with_clocks(self._fresh(incident))

    @extend_schema(
        summary="Escalate to the next tier's group (agents)",
        request=ReasonInputSerializer,
        responses={200: IncidentOutputSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path="escalate", url_name="escalate")
    def escalate(self, request: Request, number: str) -> Response:
        return self._move(request, 1)

    @extend_schema(
        summary="De-escalate to the previous tier's group (agents)",
        request=ReasonInputSerializer,
        responses={200: IncidentOutputSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path="deescalate", url_name="deescalate")
    def deescalate(self, request: Request, number: str) -> Response:
        return self._move(request, -1)

    # --- comments (TicketConversationMixin) ------------------------------------------------

    def add_comment(
        self, ticket: Incident, *, author: User, body: str, is_internal: bool
    ) -> Comment:
        return services.incident_comment(
            ticket, author=author, body=body, is_internal=is_internal, source=Source.API
        )


def _transition_action(name: str) -> Any:
    """The @action for one transition (named before decorating: DRF maps methods by name)."""
    serializer_class, _, summary = TRANSITIONS[name]

    def handler(self: IncidentViewSet, request: Request, number: str) -> Response:
        return self._transition(request, name)

    handler.__name__ = name
    handler.__qualname__ = f"IncidentViewSet.{name}"
    routed = action(detail=True, methods=["post"], url_path=name, url_name=name)(handler)
    return extend_schema(
        operation_id=f"incidents_{name}",
        summary=summary[:1].upper() + summary[1:],
        description=(
            f"Lifecycle action `{name}`: {summary}. Requesters may only close or reopen their own "
            "incidents (403 otherwise); an action the lifecycle does not allow now is a 409; a "
            "stale If-Match is a 412. Returns the incident with its new ETag."
        ),
        request=serializer_class,
        responses={200: IncidentOutputSerializer},
        parameters=[IF_MATCH],
    )(routed)


for _name in TRANSITIONS:
    setattr(IncidentViewSet, _name, _transition_action(_name))
