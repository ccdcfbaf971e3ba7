"""The what-if CSV downloads, streamed line by line: the flipped clocks (in keyset chunks of
FLIP_CHUNK_SIZE, one query each, never all in memory and no server-side cursor:
core.keyset_chunks) and the before/after totals."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from core.keyset_chunks import queryset_chunks
from core.tickets.kinds import kind_named
from core.web.csv_download import csv_stream
from sla.models_whatif import WhatIfAggregate, WhatIfFlip, WhatIfScenario

FLIP_CHUNK_SIZE = 2000

# The flip's columns, for the CSV and the API (sla.api.whatif) alike.
FLIP_FIELDS = (
    "kind",
    "number",
    "metric",
    "priority",
    "group_id",
    "direction",
    "due_before",
    "due_after",
)
# The CSV names the group column for the reader, and adds the ticket's page.
FLIP_HEADER = [
    *("support_group_id" if name == "group_id" else name for name in FLIP_FIELDS),
    "agent_url",
]
TOTAL_HEADER = [
    "kind",
    "dimension",
    "key",
    "label",
    "metric",
    "before_met",
    "before_breached",
    "before_compliance_percent",
    "before_escalations",
    "after_met",
    "after_breached",
    "after_compliance_percent",
    "after_escalations",
]


def _percent(met: int, breached: int) -> str:
    counted = met + breached
    return f"{100 * met / counted:.1f}" if counted else ""


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


def _flip_row(values: tuple[Any, ...]) -> tuple[object, ...]:
    """A flip's FLIP_FIELDS with its instants in ISO text, and its page."""
    kind, number, metric, priority, group_id, direction, before, after = values
    url = kind_named(kind).agent_url(number)
    return (kind, number, metric, priority, group_id, direction, _iso(before), _iso(after), url)


def flips_csv_rows(scenario: WhatIfScenario) -> Iterator[str]:
    rows = WhatIfFlip.objects.filter(scenario=scenario).values_list("pk", *FLIP_FIELDS)
    chunks = queryset_chunks(rows, key="pk", key_of=lambda row: row[0], chunk_size=FLIP_CHUNK_SIZE)
    return csv_stream(FLIP_HEADER, (_flip_row(row[1:]) for chunk in chunks for row in chunk))


def totals_csv_rows(scenario: WhatIfScenario) -> Iterator[str]:
    rows = WhatIfAggregate.objects.filter(scenario=scenario).order_by(
        "kind", "dimension", "key", "metric"
    )
    return csv_stream(
        TOTAL_HEADER,
        (
            (
                row.kind,
                row.dimension,
                row.key,
                row.label,
                row.metric,
                row.before_met,
                row.before_breached,
                _percent(row.before_met, row.before_breached),
                row.before_escalations,
                row.after_met,
                row.after_breached,
                _percent(row.after_met, row.after_breached),
                row.after_escalations,
            )
            for row in rows
        ),
    )
