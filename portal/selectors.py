"""Reads for the portal's home and "My tickets": the requester's own tickets of every kind the
portal shows, as one list, most recent activity first.

The kinds come from the registry (core.tickets.kinds): every kind registered with a PortalSpec
is listed, so a new kind appears here by declaring one. A page is one statement per kind
(portal.kept_page, merged by core.keyset): the kind's next rows by (updated_at, id) after the
cursor, served by the index on (requester, updated_at, id), read as the values a line shows,
with their SLA clocks joined; the counts of every kind are one statement and stop at a cap. The
statements are kept, compiled once per requester, filter and cursor. A page costs the same
statements and time whatever the size of the user's history.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from django.db import router
from django.db.models import Q, QuerySet

from core.keyset import (
    CappedCount,
    KeysetPage,
    RowKey,
    kept_capped_count,
    keyset_page_read,
    merged_keys,
)
from core.models import User
from core.tickets.kinds import TicketKind, kinds
from core.tickets.portal_spec import PortalSpec
from portal.kept_page import kind_page_rows

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


def my_ticket_branches(
    user: User, *, show: str = SHOW_ALL, kind: str = KIND_ALL
) -> dict[str, QuerySet[Any]]:
    """The user's own tickets, one queryset per kind listed (kind name -> rows), for
    core.keyset. Unknown `show` / `kind` values mean "all"."""
    return {k.name: _own(user, k, spec, show) for k, spec in _chosen(kind)}


def _chosen(kind: str) -> list[tuple[TicketKind, PortalSpec]]:
    listed = portal_kinds()
    chosen = [(k, spec) for k, spec in listed if k.url_namespace == kind] or listed
    if not chosen:
        raise LookupError("no ticket kind is registered with a portal declaration")
    return chosen


def _own(user: User, kind: TicketKind, spec: PortalSpec, show: str) -> QuerySet[Any]:
    return kind.model._default_manager.filter(_show_filter(spec, show), requester=user)


def _key(user: User, kind: TicketKind, spec: PortalSpec, show: str) -> tuple[Any, ...]:
    """What a kind's statements of "My tickets" are made from: the database, the requester (the
    list is their own tickets), the kind and its declaration (the filters' conditions; compared
    by identity) and the filter."""
    return (router.db_for_read(kind.model), user.pk, kind.name, kind.model, spec, show)


def my_tickets_count(user: User, *, show: str = SHOW_ALL, kind: str = KIND_ALL) -> CappedCount:
    """How many tickets "My tickets" lists with these filters, up to core.keyset.COUNT_CAP:
    one statement for every kind listed, kept (portal.kept_page)."""
    chosen = _chosen(kind)
    return kept_capped_count(
        ("my tickets count", *(_key(user, k, spec, show) for k, spec in chosen)),
        lambda: [_own(user, k, spec, show) for k, spec in chosen],
    )


def my_waiting_count(user: User) -> CappedCount:
    """How many of the user's tickets wait for them (confirm a fix, answer a question)."""
    return my_tickets_count(user, show=SHOW_WAITING)


class TicketLine(Protocol):
    """What a line of "My tickets" reads of its ticket: a ticket, or its values as read for the
    list (portal.kept_page: the number, the title, the moment and the fields of the kind's
    `PortalSpec.line_fields`)."""

    @property
    def pk(self) -> Any: ...
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def updated_at(self) -> datetime: ...


class ClockLine(Protocol):
    """What a line reads of an SLA clock (an SlaClock, or portal.kept_page.LineClock)."""

    @property
    def metric(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class MyTicket:
    """One row of "My tickets": the ticket (its line's values), its kind (and the kind's portal
    declaration) and its SLA clocks, response first."""

    kind: TicketKind
    portal: PortalSpec
    ticket: TicketLine
    clocks: Sequence[ClockLine]


def my_tickets_page(
    user: User,
    *,
    per_page: int,
    show: str = SHOW_ALL,
    kind: str = KIND_ALL,
    older: str | None = None,
    newer: str | None = None,
) -> tuple[KeysetPage, list[MyTicket]]:
    """One page of the user's tickets, most recently updated first, after cursor `older` or
    before cursor `newer` (core.keyset; neither: the first page), and its rows. Raises
    core.keyset.CursorInvalidError for a cursor that is not a position in this list."""
    chosen = _chosen(kind)
    found: dict[tuple[str, int], MyTicket] = {}

    def read(after: RowKey | None, limit: int, going_older: bool) -> list[RowKey]:
        runs = []
        for k, spec in chosen:
            lines = kind_page_rows(
                _key(user, k, spec, show),
                partial(_own, user, k, spec, show),
                kind=k.name,
                model=k.model,
                fields=spec.line_fields,
                field="updated_at",
                limit=limit,
                after=after,
                older=going_older,
            )
            for key, values, clocks in lines:
                found[key.kind, key.pk] = MyTicket(k, spec, values, clocks)
            runs.append([key for key, _, _ in lines])
        return merged_keys(runs, limit, older=going_older)

    page = keyset_page_read(
        [k.name for k, _ in chosen], read, per_page=per_page, older=older, newer=newer
    )
    return page, [found[key.kind, key.pk] for key in page.keys]


def my_tickets_recent(user: User, *, limit: int) -> list[MyTicket]:
    """The user's most recently updated tickets, for the portal home."""
    return my_tickets_page(user, per_page=limit)[1]
