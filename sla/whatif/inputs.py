"""What a what-if run reads, as plain data and in pages: the tickets in a scenario's scope
(keyset pages by primary key, so a run never holds more than one page of ids), their histories
and their stored clocks as narrow rows (the snapshot as text, parsed once per distinct text).
On PostgreSQL the same page comes from one query (sla.whatif.inputs_postgres)."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from core.tickets.kinds import TicketKind
from sla.models import SlaClock
from sla.models_whatif import WhatIfScenario
from sla.replay.engine import TicketHistory
from sla.replay.inputs import histories_from, histories_of
from sla.snapshot import Snapshot
from sla.whatif.inputs_postgres import page_rows

PAGE_SIZE = 500


@dataclass(frozen=True)
class StoredClock:
    """What the comparison needs of a stored clock."""

    state: str
    due_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    snapshot: Snapshot


@dataclass(frozen=True)
class Page:
    """One page of a scenario's tickets: histories, the current priority and support group of
    each ticket (what results are grouped by), and their stored clocks by metric."""

    ids: list[int]
    histories: list[TicketHistory]
    current: dict[int, tuple[int, int | None]]
    stored: dict[int, dict[str, StoredClock]]


def scope(kind: TicketKind, scenario: WhatIfScenario) -> QuerySet[Any]:
    """The kind's tickets a scenario replays: created in [since, until), with its filters."""
    tickets = kind.model._default_manager.filter(
        created_at__gte=scenario.since, created_at__lt=scenario.until
    )
    if scenario.support_group_id is not None:
        tickets = tickets.filter(support_group_id=scenario.support_group_id)
    if scenario.service_id is not None:
        tickets = tickets.filter(service_id=scenario.service_id)
    if scenario.priority is not None:
        tickets = tickets.filter(priority=scenario.priority)
    return tickets


def part_bounds(
    kind: TicketKind, scenario: WhatIfScenario, count: int, parts: int
) -> list[tuple[int, int | None]]:
    """The kind's `count` tickets in scope cut into `parts` ranges of primary keys (after, last]
    of about equal size (`last` None: no upper end), one query per cut."""
    ordered = scope(kind, scenario).order_by("pk").values_list("pk", flat=True)
    cuts: list[int] = []
    for index in range(1, parts):
        offset = count * index // parts
        found = list(ordered[offset - 1 : offset]) if offset else []
        cuts.append(found[0] if found else (cuts[-1] if cuts else 0))
    starts = [0, *cuts]
    ends: list[int | None] = [*cuts, None]
    return list(zip(starts, ends, strict=True))


def page_after(
    kind: TicketKind,
    scenario: WhatIfScenario,
    after_pk: int,
    size: int = PAGE_SIZE,
    *,
    upto: int | None = None,
) -> Page | None:
    """The next page of tickets after primary key `after_pk`, up to `upto` included if given
    (None when none is left): four queries whatever its size, two on PostgreSQL."""
    tickets = scope(kind, scenario).filter(pk__gt=after_pk)
    if upto is not None:
        tickets = tickets.filter(pk__lte=upto)
    tickets = tickets.order_by("pk")
    content_type = ContentType.objects.get_for_model(kind.model)
    if connection.vendor == "postgresql":
        return page_postgres(tickets, content_type, size)
    return page_portable(tickets, content_type, size)


def page_portable(tickets: QuerySet[Any], content_type: ContentType, size: int) -> Page | None:
    """The first `size` of `tickets` (ordered) as a page, on any database: four queries."""
    rows = list(
        tickets.values("pk", "number", "created_at", "priority", "service_id", "support_group_id")[
            :size
        ]
    )
    if not rows:
        return None
    ids = [row["pk"] for row in rows]
    return Page(
        ids=ids,
        histories=histories_of(content_type, rows),
        current={row["pk"]: (int(row["priority"]), row["support_group_id"]) for row in rows},
        stored=stored_clocks(content_type, ids),
    )


def page_postgres(tickets: QuerySet[Any], content_type: ContentType, size: int) -> Page | None:
    """The same page on PostgreSQL from one query (sla.whatif.inputs_postgres), and one for
    the services its events name, if any."""
    rows, events, clocks = page_rows(tickets, content_type.pk, size)
    if not rows:
        return None
    return Page(
        ids=[row["pk"] for row in rows],
        histories=histories_from(rows, events),
        current={row["pk"]: (int(row["priority"]), row["support_group_id"]) for row in rows},
        stored={
            pk: {metric: StoredClock(*row) for metric, row in by_metric.items()}
            for pk, by_metric in clocks.items()
        },
    )


def stored_clocks(content_type: ContentType, ids: list[int]) -> dict[int, dict[str, StoredClock]]:
    """The tickets' stored clocks (one query); equal snapshot texts share one parsed dict."""
    parsed: dict[str, Snapshot] = {}
    found: dict[int, dict[str, StoredClock]] = {}
    rows = (
        SlaClock.objects.filter(ticket_type=content_type, ticket_id__in=ids)
        .annotate(snapshot_text=Cast("snapshot", TextField()))
        .values_list(
            "ticket_id", "metric", "state", "due_at", "breached_at", "stopped_at", "snapshot_text"
        )
    )
    for ticket_id, metric, state, due, breached, stopped, text in rows:
        snapshot = parsed.get(text)
        if snapshot is None:
            snapshot = parsed[text] = _snapshot(text)
        found.setdefault(ticket_id, {})[metric] = StoredClock(
            state, due, breached, stopped, snapshot
        )
    return found


def _snapshot(text: str) -> Snapshot:
    value: Any = json.loads(text)
    # SQLite hands back the JSON text itself; a driver may hand back a JSON string of it.
    if isinstance(value, str):
        value = json.loads(value)
    assert isinstance(value, Mapping)
    return dict(value)
