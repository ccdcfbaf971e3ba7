from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from core.roles import is_agent
from core.tickets.kinds import kinds


def agent_start_path() -> str:
    """Where agents start: the agent list of the first registered ticket kind (incidents)."""
    first = next(kinds(), None)
    if first is None:
        raise LookupError("no ticket kind is registered")
    return reverse(f"{first.url_namespace}:agent_list")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send agents to the first ticket kind's list (incidents) and everyone else to the
    portal."""
    if is_agent(request.user):
        return redirect(agent_start_path())
    return redirect("portal:home")
