"""Reads behind the SLA API, scoped to the viewer.

Policies and calendars are the service desk's own configuration: agents, managers and admins read
them (anyone else gets nothing). The clocks of one ticket are visible to whoever may see that
ticket, decided by the ticket kind's own selector: the SLA engine knows ticket kinds only by name
(DESIGN.md §3), so the selectors are looked up from TICKET_SELECTORS when a request needs them.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.module_loading import import_string

from core.models import TicketBase, User
from core.roles import is_agent
from sla.models import Calendar, SlaClock, SlaPolicy
from sla.selectors import clocks_for_ticket

# Number prefix -> the kind's "get for user" selector (user, number) -> ticket or Http404.
# Problems have no SLA clocks, so PRB numbers are not here (a 404).
TICKET_SELECTORS: dict[str, str] = {
    "INC": "incidents.selectors.incident_get_for_user",
    "REQ": "service_requests.selectors.request_get_for_user",
}


def policy_list_for_user(user: User) -> QuerySet[SlaPolicy]:
    if not is_agent(user):
        return SlaPolicy.objects.none()
    return (
        SlaPolicy.objects.select_related("service", "calendar")
        .prefetch_related("thresholds")
        .order_by("ticket_kind", "priority", "name", "id")
    )


def calendar_list_for_user(user: User) -> QuerySet[Calendar]:
    if not is_agent(user):
        return Calendar.objects.none()
    return Calendar.objects.prefetch_related("hours", "holidays").order_by("name", "id")


def ticket_get_for_user(user: User, number: str) -> TicketBase:
    """The ticket with this number (INC-…, REQ-…) if `user` may see it, else Http404."""
    prefix = number.split("-", 1)[0].upper()
    path = TICKET_SELECTORS.get(prefix)
    if path is None:
        raise Http404(f"No ticket {number} with SLA clocks.")
    selector: Callable[[User, str], Any] = import_string(path)
    ticket: TicketBase = selector(user, number.upper())
    return ticket


def ticket_clocks_for_user(user: User, number: str) -> tuple[TicketBase, list[SlaClock]]:
    """The ticket (scope-checked, 404 otherwise) and its clocks, response first."""
    ticket = ticket_get_for_user(user, number)
    return ticket, clocks_for_ticket(ticket)
