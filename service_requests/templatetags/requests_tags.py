"""Template tags of the service request app, for pages that are not its own.

`incident_request_panel` is the one place the incident page (templates/incidents/agent/
detail.html) shows requests: the request an incident was converted from (its timeline,
read-only) or to, and the "Convert to a service request" action. It knows the incident only
through the kind registry; incident code never imports this app, only that template loads the
tag.
"""

from typing import Any

from django import template
from django.http import HttpRequest

from core.models import TicketBase, User
from core.roles import is_agent
from core.tickets.conversion import conversion_offered, conversion_origin, conversion_successor
from core.tickets.kinds import kind_named
from core.tickets.panel_rows import LINKED_FROM, LINKED_TO, has_panel_rows
from service_requests.forms import ToRequestForm

register = template.Library()


@register.inclusion_tag("service_requests/tags/incident_panel.html", takes_context=True)
def incident_request_panel(context: template.Context, ticket: TicketBase) -> dict[str, Any]:
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not is_agent(user):
        return {"show": False}
    kind = kind_named("request")
    origin = conversion_origin(user, ticket) if has_panel_rows(ticket, LINKED_FROM) else None
    successor = conversion_successor(user, ticket) if has_panel_rows(ticket, LINKED_TO) else None
    # The panel is about requests: a link to a ticket of another kind is not its business.
    origin = origin if origin is not None and origin.kind is kind else None
    successor = successor if successor is not None and successor.kind is kind else None
    form = None
    if conversion_offered(user, ticket, kind.name):
        form = ToRequestForm(initial={"version": ticket.version})
    return {
        "show": origin is not None or successor is not None or form is not None,
        "ticket": ticket,
        "origin": origin,
        "successor": successor,
        "convert_into": kind,
        "convert_form": form,
        "csrf_token": context.get("csrf_token"),
    }
