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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform

from core.kept_statements import Statement, fetch, rows_statement
from core.models import TicketBase
from core.process_memos import process_memo
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


def _clocks_query(content_type_id: int, ticket_ids: list[int], alias: str) -> QuerySet[Any]:
    # The kind in the SQL (core.constant_in): its own generic plan, not one planned each time.
    clocks = SlaClock.objects.using(alias).filter(
        ticket_type_id__equals_constant=content_type_id, ticket_id__in=ticket_ids
    )
    return clocks.order_by().values_list(
        *_COLUMNS,
        KeyTextTransform("policy_name", "snapshot"),
        KeyTextTransform("calendar", "snapshot"),
    )


# The statement for n tickets of a kind, compiled once (core.kept_statements), and where the
# ids go among its parameters; by (database, content type, n). It is compiled with stand-in ids
# -1 … -n (no ticket has a negative id) so that their run can be found among the parameters;
# when it cannot be (another parameter equal to one of them), nothing is kept and the query is
# built as before.
_STATEMENTS: dict[tuple[str, int, int], tuple[Statement, int] | None] = process_memo({})
_STATEMENTS_KEPT = 256


def _clocks_statement(alias: str, content_type_id: int, count: int) -> tuple[Statement, int] | None:
    key = (alias, content_type_id, count)
    if key in _STATEMENTS:
        return _STATEMENTS[key]
    stand_ins = list(range(-1, -count - 1, -1))
    statement = rows_statement(_clocks_query(content_type_id, stand_ins, alias))
    kept = None
    if statement is not None:
        found = [i for i, param in enumerate(statement.params) if param in stand_ins]
        start = found[0] if found else 0
        if list(statement.params[start : start + count]) == stand_ins and len(found) == count:
            kept = (statement, start)
    if len(_STATEMENTS) >= _STATEMENTS_KEPT:
        _STATEMENTS.clear()
    _STATEMENTS[key] = kept
    return kept


def row_clock_rows(model: type[TicketBase], ticket_ids: Sequence[int]) -> list[ClockRow]:
    """The clocks of these tickets of `model`, as rows, in no particular order; one query."""
    if not ticket_ids:
        return []
    content_type_id = ContentType.objects.get_for_model(model).pk
    alias = router.db_for_read(SlaClock)
    ids = list(dict.fromkeys(ticket_ids))
    kept = None
    if all(type(ticket_id) is int for ticket_id in ids):
        kept = _clocks_statement(alias, content_type_id, len(ids))
    if kept is None:
        rows: Iterable[ClockRow] = _clocks_query(content_type_id, ids, alias)
    else:
        statement, start = kept
        params = (*statement.params[:start], *ids, *statement.params[start + len(ids) :])
        rows = fetch(alias, replace(statement, params=params))
    return list(rows)


def clock_rows_by_ticket(
    ticket_ids: Sequence[int], rows: Sequence[ClockRow]
) -> dict[int, list[ClockRow]]:
    """`rows` (row_clock_rows) by ticket id, in the order they came; tickets without clocks map
    to an empty list."""
    by_ticket: dict[int, list[ClockRow]] = {ticket_id: [] for ticket_id in ticket_ids}
    for row in rows:
        by_ticket.setdefault(row[0], []).append(row)
    return by_ticket


def row_clocks(
    rows: Iterable[ClockRow], calendars: dict[str | None, dict[str, Any]]
) -> list[RowClock]:
    """One ticket's clock rows as RowClocks, response first; `calendars`: the calendars already
    decoded from their JSON text (a page's tickets share a few), added to as they are met."""
    clocks = []
    for ticket_id, metric, state, due, warn, breached, paused, stopped, policy, name, text in rows:
        calendar = calendars.get(text)
        if calendar is None:
            calendar = calendars[text] = json.loads(text or "{}")
        snapshot = {"policy_name": name, "calendar": calendar}
        clocks.append(
            RowClock(
                ticket_id, metric, state, due, warn, breached, paused, stopped, policy, snapshot
            )
        )
    clocks.sort(key=lambda c: METRIC_ORDER.get(c.metric, 9))
    return clocks


def row_clocks_by_ticket(
    ticket_ids: Sequence[int], rows: Sequence[ClockRow]
) -> dict[int, list[RowClock]]:
    """`rows` (row_clock_rows) as RowClocks by ticket id, response first; tickets without
    clocks map to an empty list."""
    calendars: dict[str | None, dict[str, Any]] = {}
    return {
        ticket_id: row_clocks(ticket_rows, calendars)
        for ticket_id, ticket_rows in clock_rows_by_ticket(ticket_ids, rows).items()
    }


def row_clocks_for_tickets(tickets: Sequence[TicketBase]) -> dict[int, list[RowClock]]:
    """The clocks of these tickets (all of one kind), by ticket id, response first; one query,
    tickets without clocks map to an empty list."""
    ids = [ticket.pk for ticket in tickets]
    if not tickets:
        return {}
    return row_clocks_by_ticket(ids, row_clock_rows(type(tickets[0]), ids))
