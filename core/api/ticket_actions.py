"""API actions generated from a kind's action table: `POST /api/v1/<kind>/<number>/<action>/`
for every row with an input serializer.

Each runs the same way for every kind: the ticket through the kind's scoped selector (404), who
may do it (the row's rule, else the kind's permission: a refusal is a 403 before the service
runs), If-Match (a stale one is a 412), the input serializer (a 400), the service (an action
the lifecycle does not allow now is a 409), and the ticket re-read and rendered with its new
ETag.
"""

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action as drf_action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import etag
from core.choices import Source
from core.tickets.actions import Action, actions_of
from core.tickets.kinds import kind_named

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag you read (e.g. `"v7"`); a stale one is refused with 412.',
)


class TicketActionsMixin:
    """For a TicketViewSet: `run_action` and the hook `render_after` (the ticket re-read and
    rendered after a write). `kind_name` names the kind whose table is used."""

    kind_name: str

    def render_after(self: Any, ticket: Any) -> Response:
        """The ticket re-read and rendered; 204 with no body when the write took it out of the
        caller's sight (they made it a restricted security incident or handed one over:
        core.tickets.visibility), since a 404 would read as if nothing had been done."""
        try:
            fresh = self.fresh(ticket)
        except Http404:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self.render_ticket(fresh)

    def run_action(self: Any, request: Request, name: str) -> Response:
        kind = kind_named(self.kind_name)
        row = actions_of(kind).get(name)
        assert row is not None and row.serializer is not None
        ticket = self.get_object()
        user = self.current_user()
        refusal = row.refusal(kind, user, ticket)
        if refusal:
            raise PermissionDenied(refusal)
        expected = self.expected_version(ticket)
        data = self.validated(row.serializer)
        with etag.precondition(expected):
            row.run(ticket, actor=user, source=Source.API, expected_version=expected, data=data)
        return self.render_after(ticket)


def _route(
    viewset: type[Any],
    row: Action,
    *,
    basename: str,
    noun: str,
    output: type[Any],
    notes: str,
    restricted: bool,
) -> Any:
    name = row.name

    def handler(self: Any, request: Request, number: str) -> Response:
        return self.run_action(request, name)

    # Named before decorating: DRF maps a route to its method by name.
    handler.__name__ = name
    handler.__qualname__ = f"{viewset.__name__}.{name}"
    path = row.api_path or name
    routed = drf_action(detail=True, methods=["post"], url_path=path, url_name=path)(handler)
    summary = row.summary or name
    kind_of_action = f"Lifecycle action `{name}`" if row.transition else f"Action `{name}`"
    returns = f"Returns the {noun} with its new ETag"
    responses: dict[int, Any] = {200: output}
    if restricted:
        returns += f", or 204 with no body when the change took the {noun} out of your sight"
        responses[204] = None
    return extend_schema(
        operation_id=f"{basename}_{name}",
        summary=summary[:1].upper() + summary[1:],
        description=f"{kind_of_action}: {summary}. {notes} A stale If-Match is a 412. {returns}.",
        request=row.serializer,
        responses=responses,
        parameters=[IF_MATCH],
    )(routed)


def route_actions(
    viewset: type[Any],
    actions: tuple[Action, ...],
    *,
    basename: str,
    noun: str,
    output: type[Any],
    notes: str,
    restricted: bool = False,
) -> None:
    """Add a POST route to `viewset` for every row of `actions` that has an input serializer
    (operation ids `<basename>_<action>`). `notes` says, for the schema, who may do what and
    when a refusal is a 403 or a 409; `restricted` kinds (core.tickets.visibility) also answer
    204 when an action took the ticket out of the caller's sight."""
    for row in actions:
        if row.serializer is not None:
            route = _route(
                viewset,
                row,
                basename=basename,
                noun=noun,
                output=output,
                notes=notes,
                restricted=restricted,
            )
            setattr(viewset, row.name, route)
