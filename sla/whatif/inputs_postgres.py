"""A what-if page read on PostgreSQL in one query: the same rows as the portable read in
sla.whatif.inputs, at a fraction of its cost.

Where the portable read spends its time (BENCHMARKS.md, SLA what-if): the driver turning tens
of thousands of event rows per page into Python values one column at a time, timestamps above
all, and the server writing each stored clock's snapshot (a policy with its calendar, about a
kilobyte) as text for every clock although a database holds a handful of distinct ones. Here
the server hands each ticket's events (only the fields a history reads) and clocks as one JSON
text (json_agg, decoded by json.loads in C), instants travel as ISO 8601 text (decoded by
datetime.fromisoformat, also in C), and a clock's snapshot travels as the hash of its stored
binary form (jsonb_hash_extended): each distinct snapshot is read once per process, by a
clock that carries it, and kept.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from core.models import TimelineEvent
from core.process_memos import process_memo
from sla.models import SlaClock
from sla.replay.inputs import EVENT_KINDS
from sla.snapshot import Snapshot

# A stored clock as a page reads it: state, due, breach and stop instants, snapshot.
ClockRow = tuple[str, datetime | None, datetime | None, datetime | None, Snapshot]

# Snapshots by the hash of their stored form; bounded, a database holds a few distinct ones.
_SNAPSHOTS: dict[int, Snapshot] = process_memo({})
_SNAPSHOTS_KEPT = 4096


def _instant(text: str | None) -> datetime | None:
    """An instant as JSON gives it (ISO 8601 with its offset; the session's time zone is UTC)."""
    if text is None:
        return None
    found = datetime.fromisoformat(text)
    return found if found.tzinfo is UTC else found.astimezone(UTC)


NO_CHANGES: Mapping[str, Any] = {}


def _changes(priority: Any, service: list[Any] | None) -> Mapping[str, Any]:
    """The part of an event's changes a history reads: its priority and its service (the
    query hands the service wrapped in a list, so a service cleared to null stays present)."""
    if priority is None and service is None:
        return NO_CHANGES
    fields: dict[str, Any] = {} if priority is None else {"priority": priority}
    if service is not None:
        fields["service"] = service[0]
    return fields


def page_rows(
    tickets: QuerySet[Any], content_type_id: int, size: int
) -> tuple[
    list[dict[str, Any]], dict[int, list[Mapping[str, Any]]], dict[int, dict[str, ClockRow]]
]:
    """The first `size` of `tickets` (ordered by the caller) as the portable read gives them:
    ticket rows (pk, number, created_at, priority, service_id, support_group_id), their
    SLA-relevant events in timeline order, and their stored clocks by metric."""
    quote = connection.ops.quote_name
    ticket = f"{quote(tickets.model._meta.db_table)}.{quote(tickets.model._meta.pk.column)}"
    # Only quoted table and column names of our own models and placeholders are interpolated.
    events_sql = (
        "(SELECT json_agg(json_build_array(e.kind, e.from_status, e.to_status, "  # noqa: S608
        "e.changes -> 'priority', CASE WHEN e.changes ? 'service' "
        "THEN json_build_array(e.changes -> 'service') END, "
        "e.created_at) ORDER BY e.created_at, e.id)::text "
        f"FROM {quote(TimelineEvent._meta.db_table)} e WHERE e.ticket_type_id = %s "
        f"AND e.ticket_id = {ticket} AND e.kind IN ({', '.join(['%s'] * len(EVENT_KINDS))}))"
    )
    clocks_sql = (
        "(SELECT json_agg(json_build_array(c.metric, c.state, "  # noqa: S608
        "c.due_at, c.breached_at, c.stopped_at, c.id, "
        "jsonb_hash_extended(c.snapshot, 0)))::text "
        f"FROM {quote(SlaClock._meta.db_table)} c WHERE c.ticket_type_id = %s "
        f"AND c.ticket_id = {ticket})"
    )
    rows = list(
        tickets.annotate(
            events_json=RawSQL(events_sql, (content_type_id, *map(str, EVENT_KINDS))),  # noqa: S611
            clocks_json=RawSQL(clocks_sql, (content_type_id,)),  # noqa: S611
        ).values_list(
            "pk",
            "number",
            "created_at",
            "priority",
            "service_id",
            "support_group_id",
            "events_json",
            "clocks_json",
        )[:size]
    )
    found: list[dict[str, Any]] = []
    events: dict[int, list[Mapping[str, Any]]] = {}
    raw_clocks: dict[int, list[list[Any]]] = {}
    for pk, number, created_at, priority, service_id, group_id, events_text, clocks_text in rows:
        found.append(
            {
                "pk": pk,
                "number": number,
                "created_at": created_at,
                "priority": priority,
                "service_id": service_id,
                "support_group_id": group_id,
            }
        )
        if events_text:
            events[pk] = [
                {
                    "kind": kind,
                    "from_status": from_status,
                    "to_status": to_status,
                    "changes": _changes(priority, service),
                    "created_at": _instant(at),
                }
                for kind, from_status, to_status, priority, service, at in json.loads(events_text)
            ]
        if clocks_text:
            raw_clocks[pk] = json.loads(clocks_text)
    _learn_snapshots(
        {digest: clock_id for rows in raw_clocks.values() for *_, clock_id, digest in rows}
    )
    clocks = {
        pk: {
            metric: (
                state,
                _instant(due),
                _instant(breached),
                _instant(stopped),
                _SNAPSHOTS[digest],
            )
            for metric, state, due, breached, stopped, _id, digest in rows
        }
        for pk, rows in raw_clocks.items()
    }
    return found, events, clocks


def _learn_snapshots(carriers: dict[int, int]) -> None:
    """Read the snapshots not known yet (hash -> a clock carrying it): one query, none when
    all are known."""
    wanted = [clock_id for digest, clock_id in carriers.items() if digest not in _SNAPSHOTS]
    if not wanted:
        return
    if len(_SNAPSHOTS) + len(wanted) > _SNAPSHOTS_KEPT:
        _SNAPSHOTS.clear()
        wanted = list(carriers.values())
    for digest, text in (
        SlaClock.objects.filter(pk__in=wanted)
        .annotate(
            digest=RawSQL("jsonb_hash_extended(snapshot, 0)", ()),
            text=Cast("snapshot", TextField()),
        )
        .values_list("digest", "text")
    ):
        value = json.loads(text)
        assert isinstance(value, dict)
        _SNAPSHOTS[digest] = value
