"""What the queue's refresh answers 304 from without building a row (issue 18).

A queue answer's ETag is `"<shown>.<marker>.<until>"`:

- `shown` fingerprints the answer as shown (incidents.views.queue.queue_etag: the rows' HTML
  digests, the tab bar, the summary);
- `marker` fingerprints what that HTML was made from: the code and templates that make it
  (CODE_DIGEST), the viewer, the time zone, the query string, the tab counts, the page's rows
  as the database gives them (every column and annotation a row shows, joined names included)
  and their SLA clocks' columns;
- `until` is the Unix second before which no text of the page moves on by itself where the
  browser cannot follow: the time left of a running business-hours clock (static/js/queue.js
  moves the ages, the 24x7 badges' time left and every badge's state on by itself).

A refresh carrying such a tag before `until` re-reads only the counts, the page's rows as values
and their clocks as values (the same statements as a page, no model instance, no JSON decoding,
no HTML) and answers 304 when the marker is the same. Any change to a shown row, its clocks or
a count changes the marker; a business-hours time left that moves makes `until` pass. A page of
24x7 clocks keeps answering 304 for as long as its data stays the same.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from hashlib import blake2b
from math import floor
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.capped_counts import CappedCount
from incidents.models import Incident
from sla.badge import BadgeHtml
from sla.row_clocks import ClockRow


def _code_digest() -> str:
    """A digest of the code and templates that turn the marker's values into the queue's HTML,
    read once per process: after a deploy that changes them, an open queue's tag no longer
    matches and its next refresh gets the new HTML instead of a 304."""
    root = Path(__file__).resolve().parents[2]
    sources = [
        root / "incidents" / "views" / "queue_rows.py",
        root / "incidents" / "views" / "queue.py",
        root / "core" / "web" / "cells.py",
        root / "sla" / "badge.py",
        *sorted((root / "templates" / "incidents" / "agent").glob("*.html")),
    ]
    digest = blake2b(digest_size=8)
    for source in sources:
        if source.exists():
            digest.update(source.read_bytes())
    return digest.hexdigest()


CODE_DIGEST = _code_digest()

# What a row shows, as the page query reads it (incidents.selectors.QUEUE_ROW_FIELDS plus the
# keys and the paging annotation), in the order row_state gives it from a loaded Incident.
ROW_STATE_FIELDS = (
    "id",
    "number",
    "title",
    "status",
    "priority",
    "tier",
    "is_major",
    "created_at",
    "version",
    "assignee_id",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
    "support_group__name",
    "service__name",
    "paged_tier_index",
)


def row_state(incident: Incident) -> tuple[Any, ...]:
    """A loaded page row as `page_row_states` reads the same row."""
    assignee, group, service = incident.assignee, incident.support_group, incident.service
    return (
        incident.pk,
        incident.number,
        incident.title,
        incident.status,
        incident.priority,
        incident.tier,
        incident.is_major,
        incident.created_at,
        incident.version,
        incident.assignee_id,
        assignee.first_name if assignee else None,
        assignee.last_name if assignee else None,
        assignee.username if assignee else None,
        group.name if group else None,
        service.name if service else None,
        getattr(incident, "paged_tier_index", None),
    )


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
    state = [
        CODE_DIGEST,
        user_id,
        timezone.get_current_timezone_name(),
        refresh_url,
        refresh_seconds,
        sorted((key, count.label) for key, count in counts.items()),
        rows,
        # The clocks come in no particular order.
        sorted(repr(row) for row in clock_rows),
    ]
    return blake2b(repr(state).encode(), digest_size=12).hexdigest()


def text_valid_until(badges: Iterable[BadgeHtml], now: datetime) -> int:
    """The Unix second before which no badge's text moves on where the browser cannot follow
    (rounded down)."""
    changes = [badge.moves_at for badge in badges if badge.moves_at is not None]
    if not changes:
        # Nothing the server alone moves on: valid until the next refresh compares again.
        return floor(now.timestamp()) + 24 * 3600
    return floor(min(changes).timestamp())


def queue_etag_of(shown: str, marker: str, until: int) -> str:
    return f'"{shown}.{marker}.{until}"'


def split_etag(tag: str) -> tuple[str, str, int] | None:
    """(shown, marker, until) of a queue ETag (without its quotes); None for anything else."""
    shown, _, rest = tag.partition(".")
    marker, _, until = rest.partition(".")
    if not (shown and marker and until.isdigit()):
        return None
    return shown, marker, int(until)
