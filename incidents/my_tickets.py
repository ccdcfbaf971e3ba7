"""Reads for the portal's "My tickets": the requester's incidents and service requests as one
list, newest activity first.

The list is a UNION of two narrow queries (kind, id, updated_at) that the database sorts and
pages; the page's rows are then read through each kind's scoped selector and their SLA clocks in
one query per kind. A page costs the same number of queries whatever its size (no N+1).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Q, QuerySet, Value

from core.models import User
from incidents.choices import HoldReason as IncidentHoldReason
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.selectors import incident_list_for_user
from service_requests.choices import HoldReason as RequestHoldReason
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from service_requests.selectors import request_list_for_user
from sla.models import SlaClock
from sla.selectors import clocks_for_tickets

INCIDENT = "incident"
REQUEST = "request"

# One row of my_ticket_refs: (ticket id, updated_at, INCIDENT | REQUEST).
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
# ?kind= narrows the list to one kind of ticket.
KIND_CHOICES: dict[str, str] = {
    "all": "Everything",
    "incidents": "Incidents",
    "requests": "Requests",
}

_INCIDENT_DONE = [IncidentStatus.CLOSED, IncidentStatus.CANCELLED]
_REQUEST_DONE = [RequestStatus.CLOSED, RequestStatus.CANCELLED, RequestStatus.REJECTED]
# The requester's move: confirm (or reopen) a fix, or answer a question the desk asked.
_INCIDENT_WAITING = Q(status=IncidentStatus.RESOLVED) | Q(
    status=IncidentStatus.ON_HOLD, on_hold_reason=IncidentHoldReason.AWAITING_USER
)
_REQUEST_WAITING = Q(status=RequestStatus.FULFILLED) | Q(
    status=RequestStatus.ON_HOLD, on_hold_reason=RequestHoldReason.AWAITING_USER
)


def _incident_filter(show: str) -> Q:
    if show == SHOW_OPEN:
        return ~Q(status__in=_INCIDENT_DONE)
    if show == SHOW_WAITING:
        return _INCIDENT_WAITING
    if show == SHOW_CLOSED:
        return Q(status__in=_INCIDENT_DONE)
    return Q()


def _request_filter(show: str) -> Q:
    if show == SHOW_OPEN:
        return ~Q(status__in=_REQUEST_DONE)
    if show == SHOW_WAITING:
        return _REQUEST_WAITING
    if show == SHOW_CLOSED:
        return Q(status__in=_REQUEST_DONE)
    return Q()


def my_ticket_refs(user: User, *, show: str = SHOW_ALL, kind: str = "all") -> RefQuerySet:
    """(id, updated_at, kind) of the user's own tickets, most recently updated first, as one
    sortable, sliceable and countable query. Unknown `show` / `kind` values mean "all"."""
    parts: list[RefQuerySet] = []
    if kind != "requests":
        parts.append(
            Incident.objects.filter(_incident_filter(show), requester=user)
            .annotate(kind=Value(INCIDENT, output_field=CharField()))
            .values_list("id", "updated_at", "kind")
            .order_by()
        )
    if kind != "incidents":
        parts.append(
            ServiceRequest.objects.filter(_request_filter(show), requester=user)
            .annotate(kind=Value(REQUEST, output_field=CharField()))
            .values_list("id", "updated_at", "kind")
            .order_by()
        )
    refs = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return refs.order_by("-updated_at", "-id")


def my_waiting_count(user: User) -> int:
    """How many of the user's tickets wait for them (confirm a fix, answer a question)."""
    return my_ticket_refs(user, show=SHOW_WAITING).count()


@dataclass(frozen=True)
class MyTicket:
    """One row of "My tickets": the ticket, its kind and its SLA clocks."""

    kind: str
    ticket: Incident | ServiceRequest
    clocks: list[SlaClock]

    @property
    def is_incident(self) -> bool:
        return self.kind == INCIDENT


def my_tickets_load(user: User, refs: Sequence[TicketRef]) -> list[MyTicket]:
    """The tickets behind `refs` (rows of my_ticket_refs), in the same order, read through the
    scoped selectors with their clocks: at most four queries, whatever the number of refs."""
    incident_ids = [pk for pk, _, kind in refs if kind == INCIDENT]
    request_ids = [pk for pk, _, kind in refs if kind == REQUEST]
    incidents = (
        {i.pk: i for i in incident_list_for_user(user).filter(requester=user, pk__in=incident_ids)}
        if incident_ids
        else {}
    )
    requests = (
        {r.pk: r for r in request_list_for_user(user).filter(requester=user, pk__in=request_ids)}
        if request_ids
        else {}
    )
    incident_clocks = clocks_for_tickets(list(incidents.values()))
    request_clocks = clocks_for_tickets(list(requests.values()))
    rows: list[MyTicket] = []
    for pk, _, kind in refs:
        if kind == INCIDENT and pk in incidents:
            rows.append(MyTicket(INCIDENT, incidents[pk], incident_clocks.get(pk, [])))
        elif kind == REQUEST and pk in requests:
            rows.append(MyTicket(REQUEST, requests[pk], request_clocks.get(pk, [])))
    return rows


def my_tickets_page(
    user: User, *, page: str | None, per_page: int, show: str = SHOW_ALL, kind: str = "all"
) -> tuple[Page[TicketRef], list[MyTicket]]:
    """One page of the user's tickets and its rows. A bad or out-of-range page number gives the
    nearest real page, never an error."""
    paginator = Paginator(my_ticket_refs(user, show=show, kind=kind), per_page)
    current = paginator.get_page(page)
    return current, my_tickets_load(user, list(current.object_list))


def my_tickets_recent(user: User, *, limit: int) -> list[MyTicket]:
    """The user's most recently updated tickets, for the portal home."""
    return my_tickets_load(user, list(my_ticket_refs(user)[:limit]))
