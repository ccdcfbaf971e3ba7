"""Reads behind the SLA API, scoped to the viewer.

Policies and calendars are the service desk's own configuration: agents, managers and admins read
them (anyone else gets nothing). The clocks of one ticket are visible to whoever may see that
ticket, decided by the ticket kind's own selector: the SLA engine knows ticket kinds only through
the kind registry (DESIGN.md §3), which names the kind of a number by its prefix.
"""

from django.db.models import QuerySet
from django.http import Http404

from core.models import TicketBase, User
from core.roles import is_agent
from core.tickets.kinds import kind_for_number
from sla.models import Calendar, SlaClock, SlaPolicy
from sla.selectors import clocks_for_ticket


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
    """The ticket with this number (INC-…, REQ-…) if `user` may see it, else Http404; a kind
    without SLA clocks (problems) is a 404 too."""
    kind = kind_for_number(number)
    if kind is None or not kind.has_sla:
        raise Http404(f"No ticket {number} with SLA clocks.")
    ticket: TicketBase = kind.get_for_user(user, number.upper())
    return ticket


def ticket_clocks_for_user(user: User, number: str) -> tuple[TicketBase, list[SlaClock]]:
    """The ticket (scope-checked, 404 otherwise) and its clocks, response first."""
    ticket = ticket_get_for_user(user, number)
    return ticket, clocks_for_ticket(ticket)
