"""Reads of SLA clocks for the pages that show them, and what an agent or requester sees of them.

`clocks_for_tickets` loads the clocks of a whole page of tickets in one query, so a queue costs
the same number of queries for 1 row as for 50. The rest is pure: the SLA state of a ticket
(sla.choices.SlaState) and a readable status per clock, computed from the clocks and `now`.

The state here agrees with the queue's `sla_state` filter, which works on the ticket's
denormalised `sla_due_at` / `sla_warn_at` (the nearest *running* clock): running clocks decide
first, then paused ones; stopped clocks only say whether the ticket met its targets.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from django.db import connection, router
from django.utils.dateparse import parse_datetime

from core.kept_objects import kept_objects_by
from core.models import TicketBase
from sla.choices import ClockState, Metric, SlaState
from sla.models import SlaClock
from sla.snapshot import business_time_left

# Response before resolution: the order a person reads them in.
METRIC_ORDER: dict[str, int] = {Metric.RESPONSE.value: 0, Metric.RESOLUTION.value: 1}


def clocks_for_tickets(
    tickets: Sequence[TicketBase], *, fields: Sequence[str] = ()
) -> dict[int, list[SlaClock]]:
    """The clocks of these tickets (all of one kind), by ticket id, response first. One query;
    tickets without clocks map to an empty list. `fields` narrows what is read (the rest is
    deferred), for lists that show a clock's state and due time only."""
    by_ticket: dict[int, list[SlaClock]] = {ticket.pk: [] for ticket in tickets}
    if not tickets:
        return by_ticket
    content_type = ContentType.objects.get_for_model(type(tickets[0]))
    # No ORDER BY: the clocks are grouped and sorted here, per ticket.
    clocks = SlaClock.objects.filter(
        ticket_type=content_type, ticket_id__in=list(by_ticket)
    ).order_by()
    if fields:
        clocks = clocks.only("ticket_id", "metric", *fields)
    for clock in clocks:
        by_ticket.setdefault(clock.ticket_id, []).append(clock)
    for ticket_clocks in by_ticket.values():
        ticket_clocks.sort(key=lambda c: METRIC_ORDER.get(c.metric, 9))
    return by_ticket


@dataclass(frozen=True, slots=True)
class SlaSummary:
    """A ticket's SLA at a glance: sla_state and nearest_due of its clocks."""

    state: SlaState
    due_at: datetime | None


# The counts ClockCounts holds, per ticket, in one pass over the page's clocks. Written as SQL
# (FILTER works on PostgreSQL and SQLite): the same query through the ORM spent longer compiling
# seven filtered aggregates than the database spent running them, on every list request.
_SUMMARY_SQL = """
SELECT ticket_id,
       COUNT(*) FILTER (WHERE state = %(running)s),
       COUNT(*) FILTER (WHERE state = %(running)s
                          AND (breached_at IS NOT NULL OR due_at <= %(now)s)),
       COUNT(*) FILTER (WHERE state = %(running)s AND warn_at <= %(now)s),
       COUNT(*) FILTER (WHERE state = %(paused)s),
       COUNT(*) FILTER (WHERE state = %(breached)s),
       COUNT(*) FILTER (WHERE state = %(met)s),
       MIN(due_at) FILTER (WHERE state = %(running)s)
  FROM {table}
 WHERE ticket_type_id = %(ticket_type)s AND ticket_id IN ({ids})
 GROUP BY ticket_id
"""


def sla_summaries_for_tickets(
    model: type[TicketBase], ticket_ids: Iterable[int], now: datetime
) -> dict[int, SlaSummary]:
    """sla_state and nearest_due of each ticket's clocks (tickets of one kind), counted in the
    database: one aggregate query returning a row per ticket, for lists that show the state but
    not the clocks. Tickets without clocks are absent (their state is "none")."""
    ids = [int(ticket_id) for ticket_id in ticket_ids]
    if not ids:
        return {}
    ops = connection.ops
    params: dict[str, Any] = {
        "running": ClockState.RUNNING.value,
        "paused": ClockState.PAUSED.value,
        "breached": ClockState.BREACHED.value,
        "met": ClockState.MET.value,
        "now": ops.adapt_datetimefield_value(now),
        "ticket_type": ContentType.objects.get_for_model(model).pk,
    }
    params.update({f"id{n}": ticket_id for n, ticket_id in enumerate(ids)})
    sql = _SUMMARY_SQL.format(
        table=ops.quote_name(SlaClock._meta.db_table),
        ids=", ".join(f"%(id{n})s" for n in range(len(ids))),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        ticket_id: SlaSummary(_state(ClockCounts(*counts)), _instant(due))
        for ticket_id, *counts, due in rows
    }


def _instant(value: datetime | str | None) -> datetime | None:
    """A timestamp from a raw query: PostgreSQL gives aware datetimes, SQLite text in UTC."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"Not a timestamp: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clocks_for_ticket(ticket: TicketBase) -> list[SlaClock]:
    """One ticket's clocks, response first (the ticket itself was read through a scoped
    selector by the caller). Its statement is kept (core.kept_objects.kept_objects_by) under
    the database and the ticket's kind, the ticket's id filled in: every agent ticket page reads
    them, and building and compiling the query cost more CPU than running it (issue 18)."""
    content_type = ContentType.objects.get_for_model(type(ticket))
    key = ("sla clocks", router.db_for_read(SlaClock), content_type.pk)
    clocks: list[SlaClock] = kept_objects_by(
        key,
        lambda ticket_id: SlaClock.objects.filter(
            ticket_type_id=content_type.pk, ticket_id=ticket_id
        ).order_by(),
        ticket.pk,
    )
    clocks.sort(key=lambda c: METRIC_ORDER.get(c.metric, 9))
    return clocks


# --- Pure: state and wording ------------------------------------------------------------------


class ClockLike(Protocol):
    """What sla_state and nearest_due read of a clock (an SlaClock, a list row's
    sla.row_clocks.RowClock, or a stand-in in tests)."""

    @property
    def state(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def warn_at(self) -> datetime | None: ...
    @property
    def breached_at(self) -> datetime | None: ...


class StatusClock(ClockLike, Protocol):
    """What clock_status and ticket_sla read of a clock (an SlaClock or a RowClock)."""

    @property
    def metric(self) -> str: ...
    @property
    def policy_id(self) -> int: ...
    @property
    def snapshot(self) -> dict[str, Any]: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def stopped_at(self) -> datetime | None: ...


def _is_breached(clock: ClockLike, now: datetime) -> bool:
    return clock.breached_at is not None or (clock.due_at is not None and clock.due_at <= now)


def _is_at_risk(clock: ClockLike, now: datetime) -> bool:
    return clock.warn_at is not None and clock.warn_at <= now


def nearest_due(clocks: Iterable[ClockLike]) -> datetime | None:
    """The earliest due time among the running clocks (the ticket's "time to breach")."""
    running = [c.due_at for c in clocks if c.state == ClockState.RUNNING and c.due_at is not None]
    return min(running) if running else None


@dataclass(frozen=True, slots=True)
class ClockCounts:
    """How many of a ticket's clocks are in each situation that decides its SLA state."""

    running: int
    running_breached: int
    running_at_risk: int
    paused: int
    missed: int
    met: int


def sla_state(clocks: Iterable[ClockLike], now: datetime) -> SlaState:
    """A ticket's SLA state at `now`.

    Breached if a running clock is past its due time or was already marked breached; at risk if
    a running clock is past its first warning; on track while clocks run; paused when the open
    clocks are paused (on hold); none without clocks. Once every clock has stopped, breached if
    a target was missed and on track if all were met (cancelled clocks do not count).
    sla_summaries_for_tickets counts the same in SQL.
    """
    clocks = list(clocks)
    running = [c for c in clocks if c.state == ClockState.RUNNING]
    return _state(
        ClockCounts(
            running=len(running),
            running_breached=sum(_is_breached(c, now) for c in running),
            running_at_risk=sum(_is_at_risk(c, now) for c in running),
            paused=sum(c.state == ClockState.PAUSED for c in clocks),
            missed=sum(c.state == ClockState.BREACHED for c in clocks),
            met=sum(c.state == ClockState.MET for c in clocks),
        )
    )


def _state(counts: ClockCounts) -> SlaState:
    if counts.running:
        if counts.running_breached:
            return SlaState.BREACHED
        if counts.running_at_risk:
            return SlaState.AT_RISK
        return SlaState.ON_TRACK
    if counts.paused:
        return SlaState.PAUSED
    if counts.missed:
        return SlaState.BREACHED
    if counts.met:
        return SlaState.ON_TRACK
    return SlaState.NONE


def format_span(value: timedelta) -> str:
    """A length of time for people: "45m", "3h 20m", "1h 05m", "27h 00m", "<1m".
    Business time is shown in hours, never days: a business "day" is not 24 hours."""
    minutes = int(abs(value).total_seconds() // 60)
    if minutes < 1:
        return "<1m"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes}m"
    return f"{hours}h {minutes:02d}m"


def relative(value: timedelta, *, suffix: str = "") -> str:
    """ "in 3h 20m" while time is left, "overdue by 1h 05m" after (with an optional suffix)."""
    span = format_span(value)
    text = f"in {span}" if value > timedelta(0) else f"overdue by {span}"
    return f"{text} {suffix}".rstrip()


@dataclass(frozen=True)
class ClockStatus:
    """One clock as a person sees it. `tone` picks the badge colour (on_track, at_risk,
    breached, paused, met, none); `label` says the same in words."""

    metric: str
    metric_label: str
    state: SlaState
    tone: str
    label: str
    policy_name: str
    calendar_name: str
    always_open: bool
    due_at: datetime | None
    moment_label: str
    moment: datetime | None
    business_left: timedelta | None
    wall_left: timedelta | None
    detail: str
    stopped_at: datetime | None

    @property
    def is_running(self) -> bool:
        return self.business_left is not None

    @property
    def wall_text(self) -> str:
        return relative(self.wall_left) if self.wall_left is not None else ""


def _label(metric: str) -> str:
    return "Response" if metric == Metric.RESPONSE else "Resolution"


def clock_status(clock: StatusClock, now: datetime) -> ClockStatus:
    """What one clock says at `now`: state, the instant that matters and the time left."""
    snapshot = clock.snapshot
    calendar = snapshot.get("calendar", {})
    # A 24x7 calendar with holidays counts business time: its "time left" skips them.
    always_open = bool(calendar.get("always_open")) and not calendar.get("holidays")
    common: dict[str, Any] = {
        "metric": clock.metric,
        "metric_label": _label(clock.metric),
        "policy_name": snapshot.get("policy_name") or str(clock.policy_id),
        "calendar_name": calendar.get("name", ""),
        "always_open": always_open,
        "due_at": clock.due_at,
        "stopped_at": clock.stopped_at,
    }
    if clock.state == ClockState.RUNNING and clock.due_at is not None:
        left = business_time_left(snapshot, now, clock.due_at)
        if _is_breached(clock, now):
            state, label = SlaState.BREACHED, "Breached"
        elif _is_at_risk(clock, now):
            state, label = SlaState.AT_RISK, "At risk"
        else:
            state, label = SlaState.ON_TRACK, "On track"
        return ClockStatus(
            **common,
            state=state,
            tone=state.value,
            label=label,
            moment_label="Due",
            moment=clock.due_at,
            business_left=left,
            wall_left=clock.due_at - now,
            detail=relative(left, suffix="" if always_open else "business time"),
        )
    state, tone, label, moment_label, moment, detail = _stopped_reading(clock)
    return ClockStatus(
        **common,
        state=state,
        tone=tone,
        label=label,
        moment_label=moment_label,
        moment=moment,
        business_left=None,
        wall_left=None,
        detail=detail,
    )


def _stopped_reading(
    clock: StatusClock,
) -> tuple[SlaState, str, str, str, datetime | None, str]:
    """How a clock that does not run reads: (state, tone, label, moment label, moment,
    detail)."""
    if clock.state == ClockState.PAUSED:
        return (
            SlaState.PAUSED,
            "paused",
            "Paused",
            "Paused since",
            clock.paused_at,
            "on hold: the clock does not run",
        )
    if clock.state == ClockState.MET:
        return SlaState.ON_TRACK, "met", "Met", "Met at", clock.stopped_at, ""
    if clock.state == ClockState.BREACHED:
        moment = clock.breached_at or clock.due_at
        return SlaState.BREACHED, "breached", "Breached", "Breached at", moment, ""
    return SlaState.NONE, "none", "Cancelled", "", None, "no longer counted"


def _left_or_over(value: timedelta) -> str:
    return "left" if value > timedelta(0) else "over"


@dataclass(frozen=True)
class TicketSla:
    """A ticket's SLA for a queue row: the state, and the nearest running clock's time left."""

    state: SlaState
    tone: str
    label: str
    detail: str
    nearest: ClockStatus | None


def ticket_sla(clocks: Sequence[StatusClock], now: datetime) -> TicketSla:
    """The row badge: the ticket's state in words, and for running clocks the business time
    left (or overdue) on the one due first."""
    state = sla_state(clocks, now)
    running = [c for c in clocks if c.state == ClockState.RUNNING and c.due_at is not None]
    nearest_clock = min(running, key=lambda c: c.due_at or now) if running else None
    nearest = clock_status(nearest_clock, now) if nearest_clock is not None else None
    if nearest is not None:
        left = nearest.business_left or timedelta(0)
        detail = f"{nearest.metric_label}: {format_span(left)} {_left_or_over(left)}"
        return TicketSla(state, state.value, state.label, detail, nearest)
    if state == SlaState.PAUSED:
        return TicketSla(state, "paused", "Paused", "on hold", None)
    if state == SlaState.ON_TRACK:
        return TicketSla(state, "met", "Met", "targets met", None)
    if state == SlaState.BREACHED:
        return TicketSla(state, "breached", "Breached", "target missed", None)
    return TicketSla(state, "none", "No SLA", "", None)
