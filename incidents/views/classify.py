"""Live help for the classify form (HTMX partials; the form works without them): the priority
the impact and urgency give, computed by the same matrix the service uses
(incidents.priority.priority_for), so the preview never disagrees with what is stored."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.web.access import agent_required
from core.web.pickers import field_value
from incidents.forms import priority_preview


@agent_required
@require_GET
def agent_priority_preview(request: HttpRequest) -> HttpResponse:
    preview = priority_preview(field_value(request, "impact"), field_value(request, "urgency"))
    return render(request, "incidents/agent/_priority_preview.html", {"preview": preview})
