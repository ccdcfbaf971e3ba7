"""The clocks of a page of list rows, read narrow: the columns a row's SLA badge reads and, of
the snapshot, only the policy's name and the calendar.

A list's badges need the clocks' states and instants and, for the running clock due first, its
calendar (business time left). Reading whole SlaClock rows decoded every clock's snapshot JSON
(target, thresholds, calendar) into a dict and built a model instance per clock, 3.9 ms of the
triage queue's 20 (issue 18). Here the calendar comes as text, decoded once per distinct
calendar of the page (a desk has a handful), and each clock is a small frozen record that
sla.selectors.ticket_sla and clock_status read like an SlaClock.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models.fields.json import KeyTextTransform

from core.models import TicketBase
from core.utc_instants import aware, instant_column
from sla.models import SlaClock
from sla.selectors import METRIC_ORDER


@dataclass(frozen=True, slots=True)
class RowClock:
    """An SLA clock as a list row's badge reads it (sla.selectors.clock_status)."""

    ticket_id: int
    metric: str
    state: str
    due_at: datetime | None
    warn_at: datetime | None
    breached_at: datetime | None
    paused_at: datetime | None
    stopped_at: datetime | None
    policy_id: int
    snapshot: dict[str, Any]


_COLUMNS = (
    "ticket_id",
    "metric",
    "state",
    "due_at",
    "warn_at",
    "breached_at",
    "paused_at",
    "stopped_at",
    "policy_id",
)


# A clock as the database gives it: the _COLUMNS, then the snapshot's policy name and its
# calendar as JSON text. Lists that fingerprint what they show (the queue's refresh) hash these.
ClockRow = tuple[Any, ...]


_INSTANTS = ("due_at", "warn_at", "breached_at", "paused_at", "stopped_at")
_INSTANT_POSITIONS = tuple(_COLUMNS.index(name) for name in _INSTANTS)


def row_clock_rows(model: type[TicketBase], ticket_ids: Sequence[int]) -> list[ClockRow]:
    """The clocks of these tickets of `model`, as rows, in no particular order; one query."""
    if not ticket_ids:
        return []
    content_type = ContentType.objects.get_for_model(model)
    clocks = SlaClock.objects.filter(ticket_type=content_type, ticket_id__in=list(ticket_ids))
    alias = clocks.db
    # The instants through psycopg's C loader (core.utc_instants): most of this query's CPU.
    columns = [instant_column(c, alias) if c in _INSTANTS else c for c in _COLUMNS]
    rows = clocks.order_by().values_list(
        *columns,
        KeyTextTransform("policy_name", "snapshot"),
        KeyTextTransform("calendar", "snapshot"),
    )
    return aware(rows, _INSTANT_POSITIONS, alias)


def row_clocks_by_ticket(
    ticket_ids: Sequence[int], rows: Sequence[ClockRow]
) -> dict[int, list[RowClock]]:
    """`rows` (row_clock_rows) as RowClocks by ticket id, response first; tickets without
    clocks map to an empty list."""
    by_ticket: dict[int, list[RowClock]] = {ticket_id: [] for ticket_id in ticket_ids}
    calendars: dict[str | None, dict[str, Any]] = {}
    for ticket_id, metric, state, due, warn, breached, paused, stopped, policy, name, text in rows:
        calendar = calendars.get(text)
        if calendar is None:
            calendar = calendars[text] = json.loads(text or "{}")
        snapshot = {"policy_name": name, "calendar": calendar}
        by_ticket.setdefault(ticket_id, []).append(
            RowClock(
                ticket_id, metric, state, due, warn, breached, paused, stopped, policy, snapshot
            )
        )
    for ticket_clocks in by_ticket.values():
        ticket_clocks.sort(key=lambda c: METRIC_ORDER.get(c.metric, 9))
    return by_ticket


def row_clocks_for_tickets(tickets: Sequence[TicketBase]) -> dict[int, list[RowClock]]:
    """The clocks of these tickets (all of one kind), by ticket id, response first; one query,
    tickets without clocks map to an empty list."""
    ids = [ticket.pk for ticket in tickets]
    if not tickets:
        return {}
    return row_clocks_by_ticket(ids, row_clock_rows(type(tickets[0]), ids))
