from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.roles import is_agent


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send agents to the incident list and everyone else to the portal."""
    if is_agent(request.user):
        return redirect("incidents:agent_list")
    return redirect("portal:home")
