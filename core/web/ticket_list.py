"""A kind's plain agent list, for kinds without a list of their own: its open tickets (or all of
them with `?all=1`), most recently updated first, one page at a time. HTMX requests get the rows
only (templates/tickets/agent/_list_rows.html), which the page re-fetches every
QUEUE_REFRESH_SECONDS, keeping the page and filter in the URL."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.tickets.kinds import kind_named
from core.web.access import HtmxHttpRequest, agent_required, current_user, paginate


@agent_required
def ticket_list(request: HtmxHttpRequest, *, kind_name: str) -> HttpResponse:
    kind = kind_named(kind_name)
    everything = request.GET.get("all") == "1"
    tickets = kind.list_for_user(current_user(request))
    if not everything:
        tickets = tickets.filter(status__in_constants=kind.lifecycle.open)
    page = paginate(request, tickets.order_by("-updated_at", "-id"), settings.QUEUE_PAGE_SIZE)
    context = {
        "kind": kind,
        "page": page,
        "everything": everything,
        "list_url": reverse(f"{kind.url_namespace}:agent_list"),
        "refresh_seconds": settings.QUEUE_REFRESH_SECONDS,
    }
    template = "tickets/agent/_list_rows.html" if request.htmx else "tickets/agent/list.html"
    return render(request, template, context)
