"""The what-if CSV downloads, streamed line by line: the flipped clocks (in keyset chunks of
FLIP_CHUNK_SIZE, one query each, never all in memory and no server-side cursor: core.keyset) and
the before/after totals."""

import csv
import io
from collections.abc import Iterator

from core.keyset import queryset_chunks
from core.tickets.kinds import kind_named
from sla.models_whatif import WhatIfAggregate, WhatIfFlip, WhatIfScenario

FLIP_CHUNK_SIZE = 2000

FLIP_HEADER = [
    "kind",
    "number",
    "metric",
    "priority",
    "support_group_id",
    "direction",
    "due_before",
    "due_after",
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


def _line(values: list[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else v for v in values])
    return buffer.getvalue()


def _percent(met: int, breached: int) -> str:
    counted = met + breached
    return f"{100 * met / counted:.1f}" if counted else ""


def flips_csv_rows(scenario: WhatIfScenario) -> Iterator[str]:
    yield _line(list(FLIP_HEADER))
    rows = WhatIfFlip.objects.filter(scenario=scenario).values_list(
        "pk",
        "kind",
        "number",
        "metric",
        "priority",
        "group_id",
        "direction",
        "due_before",
        "due_after",
    )
    for chunk in queryset_chunks(
        rows, key="pk", key_of=lambda row: row[0], chunk_size=FLIP_CHUNK_SIZE
    ):
        for _pk, kind, number, metric, priority, group_id, direction, before, after in chunk:
            yield _line(
                [
                    kind,
                    number,
                    metric,
                    priority,
                    group_id,
                    direction,
                    before.isoformat() if before else None,
                    after.isoformat() if after else None,
                    kind_named(kind).agent_url(number),
                ]
            )


def totals_csv_rows(scenario: WhatIfScenario) -> Iterator[str]:
    yield _line(list(TOTAL_HEADER))
    for row in WhatIfAggregate.objects.filter(scenario=scenario).order_by(
        "kind", "dimension", "key", "metric"
    ):
        yield _line(
            [
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
            ]
        )
