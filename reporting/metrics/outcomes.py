"""What an SLA clock's outcome is, and when it was decided: the one definition that SLA
compliance, the dashboard's compliance trend and the CSV export all read (docs/reporting.md).

A clock is **breached** when it was still running at its due time: running now with the due
time past, paused only after its due time, or stopped after it. The breach is dated at the due
time. This is read from the clock's due time, state, pause and stop instants, never from the
sweeper's mark, so:

- a clock paused before its due time is not breached, whatever was stored on it (its due time
  moves by the pause; it can only breach once it runs again past the new due time);
- a running clock past its due time counts as breached before any sweep marked it;
- a breach counts in the period of its due time, however late the sweeper ran.

A clock is **met** when it stopped at or before its due time (or has none), dated at its stop.
Cancelled clocks, and running or paused clocks not past due, are not decided yet.

The due time of a running or stopped clock is exact (recomputed at every resume and at the
stop); that of a paused clock is the one it had when it was paused, which is what decides
whether it was paused before or after it.
"""

from datetime import datetime
from typing import Any

from reporting.sql import instant
from sla.choices import ClockState

_RUNNING, _PAUSED, _CANCELLED = (
    f"'{state.value}'" for state in (ClockState.RUNNING, ClockState.PAUSED, ClockState.CANCELLED)
)
_STOPPED = f"('{ClockState.MET.value}', '{ClockState.BREACHED.value}')"


def breached_sql(alias: str) -> str:
    """SQL that is true when the clock `alias` ran past its due time (one %s: now)."""
    c = alias
    return (
        f"({c}.due_at IS NOT NULL AND {c}.state <> {_CANCELLED} AND ("
        f"({c}.state = {_RUNNING} AND {c}.due_at < %s)"
        f" OR ({c}.state = {_PAUSED} AND {c}.paused_at > {c}.due_at)"
        f" OR ({c}.state IN {_STOPPED} AND {c}.stopped_at > {c}.due_at)))"
    )


def outcome_sql(alias: str) -> str:
    """SQL naming the clock's outcome: breached, met, or its state while undecided (running,
    paused, cancelled); NULL without a clock (one %s: now)."""
    return (
        f"CASE WHEN {breached_sql(alias)} THEN '{ClockState.BREACHED.value}' "
        f"WHEN {alias}.state IN {_STOPPED} THEN '{ClockState.MET.value}' "
        f"ELSE {alias}.state END"
    )


def decided_clocks_sql(
    content_type_id: int, start: datetime, end: datetime, now: datetime
) -> tuple[str, tuple[Any, ...]]:
    """The kind's clocks decided in [start, end): (ticket_id, metric, decided, met, breached).

    Two branches, each served by a partial covering index of sla_slaclock (index-only on
    PostgreSQL): clocks stopped in the period in time (sla_clock_stopped_due_idx), and clocks
    due in the period that were still running at their due time (sla_clock_due_at_idx)."""
    sql = f"""
        SELECT c.ticket_id, c.metric, c.stopped_at AS decided, 1 AS met, 0 AS breached
        FROM sla_slaclock c
        WHERE c.ticket_type_id = %s AND c.stopped_at >= %s AND c.stopped_at < %s
          AND c.state IN {_STOPPED} AND (c.due_at IS NULL OR c.stopped_at <= c.due_at)
        UNION ALL
        SELECT c.ticket_id, c.metric, c.due_at, 0, 1
        FROM sla_slaclock c
        WHERE c.ticket_type_id = %s AND c.due_at >= %s AND c.due_at < %s
          AND {breached_sql("c")}
    """  # noqa: S608 — only state literals are interpolated
    first, last = instant(start), instant(end)
    return sql, (content_type_id, first, last, content_type_id, first, last, instant(now))
