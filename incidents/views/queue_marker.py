"""The queue's marker (core.web.list_marker says what a list's ETag holds and how the refresh
answers 304 from it without building a row): what the queue's rows are made from, as the
refresh's narrow query reads them and as the page's own rows (incidents.selectors.QueueItem)
begin.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet

from core.capped_counts import CappedCount
from core.web.list_marker import ROOT, code_digest, list_marker, rows_digest
from incidents.models import Incident
from incidents.queue_statements import StatementKey
from incidents.selectors import QUEUE_STATE_FIELDS, QueueItem, incident_queue_states
from sla.row_clocks import ClockRow

CODE_DIGEST = code_digest(
    ROOT / "incidents" / "views" / "queue_rows.py",
    ROOT / "incidents" / "views" / "queue.py",
    ROOT / "incidents" / "views" / "queue_row_memo.py",
    ROOT / "incidents" / "views" / "queue_head.py",
    ROOT / "core" / "web" / "cells.py",
    ROOT / "sla" / "badge.py",
    ROOT / "sla" / "row_memo.py",
    *sorted((ROOT / "templates" / "incidents" / "agent").glob("*.html")),
)

_STATE_WIDTH = len(QUEUE_STATE_FIELDS)


def row_state(item: QueueItem) -> tuple[Any, ...]:
    """A page row as `page_row_states` reads the same row (QUEUE_STATE_FIELDS come first in
    QueueItem)."""
    return tuple(item[:_STATE_WIDTH])


def page_row_states(
    page_rows: QuerySet[Incident], statements: StatementKey | None = None
) -> list[tuple[Any, ...]]:
    """The page's rows (its sliced page query) as values, in order; one query (its statement
    kept under `statements`, incidents.queue_statements)."""
    return incident_queue_states(page_rows, statements)


def queue_marker(
    *,
    user_id: int,
    refresh_url: str,
    refresh_seconds: int,
    counts: dict[str, CappedCount],
    rows: Sequence[tuple[Any, ...]],
    clock_rows: Iterable[ClockRow],
) -> str:
    return list_marker(
        CODE_DIGEST,
        user_id,
        refresh_url,
        refresh_seconds,
        sorted((key, count.label) for key, count in counts.items()),
        rows_digest(rows, clock_rows),
    )
