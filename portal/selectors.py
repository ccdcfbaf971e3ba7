"""Reads for the portal's home and "My tickets": the requester's own tickets of every kind the
portal shows, as one list, most recent activity first.

The kinds come from the registry (core.tickets.kinds): every kind registered with a PortalSpec
is listed, so a new kind appears here by declaring one. The list is a UNION ALL of one narrow
query per kind (id, updated_at, kind name) that the database sorts, counts and pages; the
page's rows are then read through each kind's scoped selector, with their SLA clocks, in two
queries per kind present on the page. A page costs the same number of queries whatever its size.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Q, QuerySet, Value

from core.models import TicketBase, User
from core.tickets.kinds import TicketKind, kinds
from core.tickets.portal_spec import PortalSpec
from sla.models import SlaClock
from sla.selectors import clocks_for_tickets

# One row of my_ticket_refs: (ticket id, updated_at, kind name).
TicketRef = tuple[int, datetime, str]
RefQuerySet = QuerySet[Any, TicketRef]

# ?show= on "My tickets": what each filter keeps, per kind.
SHOW_ALL = "all"
SHOW_OPEN = "open"
SHOW_WAITING = "waiting"
SHOW_CLOSED = "closed"
SHOW_CHOICES: dict[str, str] = {
    SHOW_ALL: "All",
    SHOW_OPEN: "Open",
    SHOW_WAITING: "Waiting for you",
    SHOW_CLOSED: "Closed",
}
# ?kind= narrows the list to one kind, named by its url_namespace ("incidents", "requests").
KIND_ALL = "all"


def portal_kinds() -> list[tuple[TicketKind, PortalSpec]]:
    """The kinds the portal lists, in registration order, each with its declaration."""
    return [(kind, kind.portal) for kind in kinds() if kind.has_portal and kind.portal is not None]


def kind_choices() -> dict[str, str]:
    """The ?kind= values of "My tickets" and their labels: everything, then one per kind."""
    return {
        KIND_ALL: "Everything",
        **{kind.url_namespace: spec.filter_label for kind, spec in portal_kinds()},
    }


def _show_filter(spec: PortalSpec, show: str) -> Q:
    if show == SHOW_OPEN:
        return ~Q(status__in=spec.closed_statuses)
    if show == SHOW_WAITING:
        return spec.waiting_on_requester
    if show == SHOW_CLOSED:
        return Q(status__in=spec.closed_statuses)
    return Q()


def my_ticket_refs(user: User, *, show: str = SHOW_ALL, kind: str = KIND_ALL) -> RefQuerySet:
    """(id, updated_at, kind name) of the user's own tickets, most recently updated first, as
    one sortable, sliceable and countable query. Unknown `show` / `kind` values mean "all"."""
    listed = portal_kinds()
    chosen = [(k, spec) for k, spec in listed if k.url_namespace == kind] or listed
    if not chosen:
        raise LookupError("no ticket kind is registered with a portal declaration")
    first, *rest = [
        k.model._default_manager.filter(_show_filter(spec, show), requester=user)
        .annotate(kind=Value(k.name, output_field=CharField()))
        .values_list("id", "updated_at", "kind")
        .order_by()
        for k, spec in chosen
    ]
    refs = first.union(*rest, all=True) if rest else first
    # (updated_at, id, kind) is unique, so the order is total and pages never overlap or skip
    # a ticket, even when two tickets were updated in the same instant.
    return refs.order_by("-updated_at", "-id", "kind")


def my_waiting_count(user: User) -> int:
    """How many of the user's tickets wait for them (confirm a fix, answer a question)."""
    return my_ticket_refs(user, show=SHOW_WAITING).count()


@dataclass(frozen=True)
class MyTicket:
    """One row of "My tickets": the ticket, its kind (and the kind's portal declaration) and
    its SLA clocks, response first."""

    kind: TicketKind
    portal: PortalSpec
    ticket: TicketBase
    clocks: list[SlaClock]


def my_tickets_load(user: User, refs: Sequence[TicketRef]) -> list[MyTicket]:
    """The tickets behind `refs` (rows of my_ticket_refs), in the same order, read through each
    kind's scoped selector with their clocks: two queries per kind present in `refs`."""
    wanted: dict[str, list[int]] = {}
    for pk, _, name in refs:
        wanted.setdefault(name, []).append(pk)
    found: dict[tuple[str, int], MyTicket] = {}
    for kind, spec in portal_kinds():
        if kind.name not in wanted:
            continue
        tickets = list(kind.list_for_user(user).filter(requester=user, pk__in=wanted[kind.name]))
        clocks = clocks_for_tickets(tickets)
        for ticket in tickets:
            found[kind.name, ticket.pk] = MyTicket(kind, spec, ticket, clocks[ticket.pk])
    return [found[name, pk] for pk, _, name in refs if (name, pk) in found]


def my_tickets_page(
    user: User, *, page: str | None, per_page: int, show: str = SHOW_ALL, kind: str = KIND_ALL
) -> tuple[Page[TicketRef], list[MyTicket]]:
    """One page of the user's tickets and its rows. A bad or out-of-range page number gives the
    nearest real page, never an error."""
    paginator = Paginator(my_ticket_refs(user, show=show, kind=kind), per_page)
    current = paginator.get_page(page)
    return current, my_tickets_load(user, list(current.object_list))


def my_tickets_recent(user: User, *, limit: int) -> list[MyTicket]:
    """The user's most recently updated tickets, for the portal home."""
    return my_tickets_load(user, list(my_ticket_refs(user)[:limit]))
