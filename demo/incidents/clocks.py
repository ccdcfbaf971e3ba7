"""SLA clocks of seeded incidents, planned with the incident itself (no queries while planning),
so a million-incident load needs no second pass over its incidents.

Every incident has the clocks the SLA engine would have given it: a
response and a resolution clock under the policy sla.services.policy_for picks, deadlines as
sla.snapshot.threshold_instants computes them (looked up in a demo.worktime.WorkTable per
calendar). What happened to each clock follows the incident's history, as sla.services and the
sweeper (DESIGN.md §5) would have recorded it:

- a clock still open when the incident was cancelled is cancelled then (breached first if it
  had passed its due time, as the sweeper would have caught it);
- a clock stopped by the first response or the resolution is met when it stopped by its due
  time, else breached, and a breach is dated at the due time (when the sweeper caught it);
- a clock paused by a hold before its due time carries no breach: paused time never counts
  against a clock; one that ran past its due time before the hold was breached then;
- a running clock past its due time was breached at its due time;
- a reopened incident's resolution clock has the time it sat resolved as a pause, which moves
  its due time;
- the stages already past count as processed, so the sweeper's first tick replays no history,
  and a stopped clock records its working and paused seconds, as sla.services.clock_stop does.

The breaches come back with the clocks (PlannedClocks.breaches): the sweeper escalates a ticket
one tier per breach, and the planner writes those escalations into the timeline. The incident's
`sla_due_at` / `sla_warn_at` are the nearest running clock's, as sla.services keeps them.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.models import Service
from demo.rows import TimestampText
from demo.worktime import WorkTable
from sla.calendar import BusinessCalendar, business_time_between, due_at
from sla.choices import ClockState, Metric
from sla.services import policy_for
from sla.snapshot import Snapshot, calendar_from_snapshot, dump_instant, snapshot_of

RESPONSE = Metric.RESPONSE.value
RESOLUTION = Metric.RESOLUTION.value
RUNNING = ClockState.RUNNING.value
PAUSED = ClockState.PAUSED.value
MET = ClockState.MET.value
BREACHED = ClockState.BREACHED.value
CANCELLED = ClockState.CANCELLED.value
NO_PAUSES = "[]"
# The span the work tables cover: the demo's history and the deadlines of its newest tickets.
TABLE_PAST = timedelta(days=800)
TABLE_FUTURE = timedelta(days=120)
# A closed pause: the time a reopened incident sat resolved.
Pause = tuple[datetime, datetime]


@dataclass(frozen=True)
class ClockTerms:
    """What a clock copies from its policy for one metric; the snapshot is encoded once."""

    policy_id: int
    metric: str
    snapshot: Snapshot
    snapshot_json: str
    target: timedelta
    calendar: BusinessCalendar
    # The snapshot's warning points, then the target (threshold_instants' order).
    points: tuple[timedelta, ...]
    table: WorkTable

    @classmethod
    def of(cls, policy_id: int, metric: str, snapshot: Snapshot, *, now: datetime) -> "ClockTerms":
        target = timedelta(seconds=snapshot["target_seconds"])
        points = (*(target * percent / 100 for percent, _ in snapshot["thresholds"]), target)
        calendar = calendar_from_snapshot(snapshot)
        return cls(
            policy_id=policy_id,
            metric=metric,
            snapshot=snapshot,
            snapshot_json=json.dumps(snapshot),
            target=target,
            calendar=calendar,
            points=points,
            table=WorkTable(calendar, since=now - TABLE_PAST, until=now + TABLE_FUTURE),
        )

    def instants(self, started: datetime, pause: Pause | None = None) -> list[datetime]:
        """sla.snapshot.threshold_instants(snapshot, started, pauses) for no pause or one
        closed pause (a reopen): looked up in the work table, or (a pause, rare) from the
        engine."""
        if pause is not None:
            pauses = [pause]
            found = [due_at(started, point, self.calendar, pauses) for point in self.points]
            return [instant for instant in found if instant is not None]
        due = self.table.due
        return [due(started, point) for point in self.points]

    def worked(self, started: datetime, stopped: datetime, pause: Pause | None) -> int:
        """Whole seconds of working time from start to stop without the pause."""
        if pause is None:
            return max(int(self.table.between(started, stopped).total_seconds()), 0)
        worked = business_time_between(started, stopped, self.calendar, [pause])
        return max(int(worked.total_seconds()), 0)


@dataclass(frozen=True)
class Breach:
    """A clock that passed its due time while it ran: the sweeper escalated then."""

    at: int  # epoch seconds
    metric: str
    due: datetime


@dataclass
class PlannedClocks:
    """Clock rows in shape.CLOCK_FIELDS order, the nearest running deadlines (or None), and the
    breaches in time order."""

    rows: list[tuple[Any, ...]]
    due_at: str | None
    warn_at: str | None
    breaches: list[Breach] = field(default_factory=list)


@dataclass(frozen=True)
class ClockHistory:
    """What an incident's history did to its clocks (epoch seconds): reported, first response
    (None if not yet), resolution (the last one; None if not resolved), on hold since (None if
    not on hold), for a reopened incident when it was first resolved and when reopened, and
    for a cancelled one when it was cancelled."""

    reported: int
    responded: int | None
    resolved: int | None
    held_since: int | None
    reopen: tuple[int, int] | None = None
    cancelled: int | None = None


class ClockPlanner:
    """Clocks for incidents, from the active incident policies read once."""

    def __init__(
        self,
        terms: dict[tuple[int, int | None], tuple[ClockTerms, ...]],
        *,
        now: int,
        ticket_type_id: int,
        times: TimestampText,
    ) -> None:
        self.terms = terms
        self.now = datetime.fromtimestamp(now, UTC)
        self.ticket_type_id = ticket_type_id
        self.times = times

    @classmethod
    def for_services(
        cls, service_ids: list[int], *, now: int, ticket_type_id: int, times: TimestampText
    ) -> "ClockPlanner":
        """Read the policy of every (priority, service) pair the demo can produce."""
        moment = datetime.fromtimestamp(now, UTC)
        terms: dict[tuple[int, int | None], tuple[ClockTerms, ...]] = {}
        shared: dict[tuple[int, str], ClockTerms] = {}
        services: list[Service | None] = [None, *Service.objects.filter(pk__in=service_ids)]
        for service in services:
            for priority in range(1, 6):
                policy = policy_for(kind="incident", priority=priority, service=service)
                if policy is None:
                    continue
                found = []
                for metric in (RESPONSE, RESOLUTION):
                    key = (policy.pk, metric)
                    if key not in shared:
                        snapshot = snapshot_of(policy, metric)
                        shared[key] = ClockTerms.of(policy.pk, metric, snapshot, now=moment)
                    found.append(shared[key])
                terms[(priority, service.pk if service else None)] = tuple(found)
        return cls(terms, now=now, ticket_type_id=ticket_type_id, times=times)

    def plan(
        self, *, ticket_id: int, priority: int, service_id: int | None, history: ClockHistory
    ) -> PlannedClocks:
        """The clocks of one incident (epoch seconds in, rows with stored times out)."""
        terms = self.terms.get((priority, service_id)) or self.terms.get((priority, None))
        if not terms:
            return PlannedClocks([], None, None)
        started = _instant(history.reported)
        paused_at = _instant(history.held_since) if history.held_since is not None else None
        cancelled_at = _instant(history.cancelled) if history.cancelled is not None else None
        rows: list[tuple[Any, ...]] = []
        breaches: list[Breach] = []
        nearest_due: datetime | None = None
        nearest_warn: datetime | None = None
        for term in terms:
            if term.metric == RESPONSE:
                stopped, pause = history.responded, None
            else:
                stopped = history.resolved
                pause = None
                if history.reopen is not None:
                    pause = (_instant(history.reopen[0]), _instant(history.reopen[1]))
            stopped_at = _instant(stopped) if stopped is not None else None
            row, instants, breach = self._clock(
                term,
                ticket_id,
                started,
                stopped=stopped_at,
                paused_at=paused_at,
                pause=pause,
                cancelled_at=cancelled_at,
            )
            rows.append(row)
            if breach is not None:
                breaches.append(Breach(int(breach.timestamp()), term.metric, breach))
            if row[5] != RUNNING:
                continue
            due, warn = instants[-1], instants[0] if len(instants) > 1 else None
            if nearest_due is None or due < nearest_due:
                nearest_due = due
            if warn is not None and (nearest_warn is None or warn < nearest_warn):
                nearest_warn = warn
        breaches.sort(key=lambda breach: breach.at)
        times = self.times
        return PlannedClocks(
            rows,
            times(nearest_due) if nearest_due else None,
            times(nearest_warn) if nearest_warn else None,
            breaches,
        )

    def _clock(
        self,
        term: ClockTerms,
        ticket_id: int,
        started: datetime,
        *,
        stopped: datetime | None,
        paused_at: datetime | None,
        pause: Pause | None,
        cancelled_at: datetime | None = None,
    ) -> tuple[tuple[Any, ...], list[datetime], datetime | None]:
        """One clock row, its threshold instants, and its breach instant (None if none). A
        clock still open when its incident was cancelled is cancelled then, as
        sla.services.clocks_cancel leaves it: no stop time, and a breach only if the sweeper
        caught one before the cancellation."""
        times = self.times
        instants = term.instants(started, pause)
        due = instants[-1]
        pauses = NO_PAUSES
        elapsed = paused = None
        if stopped is not None:
            state = MET if stopped <= due else BREACHED
            until = stopped
            elapsed = term.worked(started, stopped, pause)
            paused = int((pause[1] - pause[0]).total_seconds()) if pause else 0
            if pause is not None:
                pauses = json.dumps([[dump_instant(pause[0]), dump_instant(pause[1])]])
        elif cancelled_at is not None:
            state, until = CANCELLED, cancelled_at
        elif paused_at is not None:
            state, until = PAUSED, paused_at
            pauses = json.dumps([[paused_at.isoformat(), None]])
        else:
            state, until = RUNNING, self.now
        # Breached only if it ran past its due time: before it stopped, before the hold, by now.
        breached = due if due < until or (state in (RUNNING, CANCELLED) and due <= until) else None
        stage = sum(1 for instant in instants if instant <= until)
        if breached is not None:
            stage = len(instants)
        next_deadline = instants[stage] if state == RUNNING and stage < len(instants) else None
        row = (
            self.ticket_type_id,
            ticket_id,
            term.metric,
            term.policy_id,
            term.snapshot_json,
            state,
            times(started),
            term.target,
            times(due),
            times(instants[0]) if len(instants) > 1 else None,
            times(next_deadline) if next_deadline else None,
            stage,
            pauses,
            times(paused_at) if state == PAUSED and paused_at else None,
            times(breached) if breached else None,
            times(stopped) if stopped else None,
            elapsed,
            paused,
            1,
            times(self.now),
        )
        return row, instants, breached


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
