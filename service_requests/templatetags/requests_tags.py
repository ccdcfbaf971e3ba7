"""Template tags of the service request app, for pages that are not its own.

`incident_request_panel` is the one place the incident page (templates/incidents/agent/
detail.html) shows requests: the request an incident was converted from (its timeline,
read-only) or to, and the "Convert to a service request" action. Incident code never imports
this app; only that template loads the tag.
"""

from typing import Any

from django import template
from django.http import HttpRequest

from core.models import User
from core.roles import is_agent
from core.tickets.conversion import conversion_origin, conversion_successor
from incidents.models import Incident
from incidents.transitions import CANCELLABLE as INCIDENT_CANCELLABLE
from service_requests.forms import ToRequestForm

register = template.Library()


@register.inclusion_tag("service_requests/tags/incident_panel.html", takes_context=True)
def incident_request_panel(context: template.Context, incident: Incident) -> dict[str, Any]:
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not is_agent(user):
        return {"show": False}
    origin = conversion_origin(user, incident)
    successor = conversion_successor(user, incident)
    can_convert = incident.status in INCIDENT_CANCELLABLE
    return {
        "show": bool(origin or successor or can_convert),
        "incident": incident,
        "origin": origin,
        "successor": successor,
        "form": ToRequestForm(initial={"version": incident.version}, prefix="to_request")
        if can_convert
        else None,
        "csrf_token": context.get("csrf_token"),
    }
