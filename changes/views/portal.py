"""The requester's read-only page of a change linked to one of their tickets (an incident it
caused, or an incident of a problem it fixes): what is changing, when, and how far it got. The
selector scopes it (anything else is a 404); nothing on it writes."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from changes.selectors import change_get_for_user, requester_linked_tickets
from core.tickets.kinds import kind_named
from core.web.access import current_user


@login_required
def change_portal_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = current_user(request)
    change = change_get_for_user(user, number)
    incidents = kind_named("incident")
    linked = [
        (ticket, incidents.portal_path(ticket.number))
        for ticket in requester_linked_tickets(user, change)
    ]
    context = {"change": change, "linked": linked}
    return render(request, "changes/portal/detail.html", context)
