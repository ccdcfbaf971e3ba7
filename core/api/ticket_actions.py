"""API actions generated from a kind's action table: `POST /api/v1/<kind>/<number>/<action>/`
for every row with an input serializer.

Each runs the same way for every kind: the ticket through the kind's scoped selector (404), who
may do it (the row's rule, else the kind's permission: a refusal is a 403 before the service
runs), If-Match (a stale one is a 412), the input serializer (a 400), the service (an action
the lifecycle does not allow now is a 409), and the ticket re-read and rendered with its new
ETag.
"""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
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
        return self.render_ticket(self.fresh(ticket))

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
    viewset: type[Any], row: Action, *, basename: str, noun: str, output: type[Any], notes: str
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
    return extend_schema(
        operation_id=f"{basename}_{name}",
        summary=summary[:1].upper() + summary[1:],
        description=(
            f"{kind_of_action}: {summary}. {notes} A stale If-Match is a 412. Returns the {noun} "
            "with its new ETag."
        ),
        request=row.serializer,
        responses={200: output},
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
) -> None:
    """Add a POST route to `viewset` for every row of `actions` that has an input serializer
    (operation ids `<basename>_<action>`). `notes` says, for the schema, who may do what and
    when a refusal is a 403 or a 409."""
    for row in actions:
        if row.serializer is not None:
            route = _route(viewset, row, basename=basename, noun=noun, output=output, notes=notes)
            setattr(viewset, row.name, route)
