"""The queue's marker (core.web.list_marker says what a list's ETag holds and how the refresh
answers 304 from it without building a row): what the queue's rows are made from, as the page's
query reads them as values and as a loaded row gives them.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet

from core.capped_counts import CappedCount
from core.web.list_marker import ROOT, code_digest, list_marker, sorted_rows
from incidents.models import Incident
from incidents.selectors import QUEUE_ROW_FIELDS
from sla.row_clocks import ClockRow

CODE_DIGEST = code_digest(
    ROOT / "incidents" / "views" / "queue_rows.py",
    ROOT / "incidents" / "views" / "queue.py",
    ROOT / "core" / "web" / "cells.py",
    ROOT / "sla" / "badge.py",
    *sorted((ROOT / "templates" / "incidents" / "agent").glob("*.html")),
)

# What a row shows, as the page query reads it: the keys, incidents.selectors.QUEUE_ROW_FIELDS
# and the paging annotation (incidents.selectors.with_live_page).
ROW_STATE_FIELDS = ("id", "assignee_id", *QUEUE_ROW_FIELDS, "paged_tier_index")
_PATHS = tuple(tuple(field.split("__")) for field in ROW_STATE_FIELDS)


def _read(incident: Incident, path: tuple[str, ...]) -> Any:
    value: Any = incident
    for name in path:
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def row_state(incident: Incident) -> tuple[Any, ...]:
    """A loaded page row as `page_row_states` reads the same row (ROW_STATE_FIELDS)."""
    return tuple(_read(incident, path) for path in _PATHS)


def page_row_states(page_rows: QuerySet[Incident]) -> list[tuple[Any, ...]]:
    """The page's rows (its sliced page query) as values, in order; one query."""
    return list(page_rows.values_list(*ROW_STATE_FIELDS))


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
        rows,
        sorted_rows(clock_rows),
    )
