"""SLA clocks of seeded open incidents, planned with the incident itself (no queries while
planning), so a million-incident load needs no second pass over its open incidents.

The clocks are the ones demo.sla.backfill_clocks gives a demo ticket, as if it had lived: a
response and a resolution clock under the policy sla.services.policy_for picks, deadlines from
sla.snapshot.threshold_instants; a response already given is met or breached, an incident on
hold has its clocks paused since the hold, and the stages already past count as processed, so
the sweeper's first tick replays no history; a stopped clock records its working and paused
seconds, as sla.services.clock_stop does. The incident's `sla_due_at` / `sla_warn_at` are the
nearest running clock's, as sla.services keeps them.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.models import Service
from demo.rows import TimestampText
from sla.calendar import BusinessCalendar, business_time_between, due_at
from sla.choices import ClockState, Metric
from sla.services import policy_for
from sla.snapshot import Snapshot, calendar_from_snapshot, snapshot_of

RESPONSE = Metric.RESPONSE.value
RESOLUTION = Metric.RESOLUTION.value
RUNNING = ClockState.RUNNING.value
PAUSED = ClockState.PAUSED.value
MET = ClockState.MET.value
BREACHED = ClockState.BREACHED.value
NO_PAUSES = "[]"


@dataclass(frozen=True)
class ClockTerms:
    """What a clock copies from its policy for one metric; the snapshot is encoded once."""

    policy_id: int
    metric: str
    snapshot: Snapshot
    snapshot_json: str
    target: timedelta
    calendar: BusinessCalendar
    # The snapshot's warning points, then the target (threshold_instants' order), and the
    # same without repeats in time order.
    points: tuple[timedelta, ...]
    walk: tuple[timedelta, ...]

    @classmethod
    def of(cls, policy_id: int, metric: str, snapshot: Snapshot) -> "ClockTerms":
        target = timedelta(seconds=snapshot["target_seconds"])
        points = (*(target * percent / 100 for percent, _ in snapshot["thresholds"]), target)
        return cls(
            policy_id=policy_id,
            metric=metric,
            snapshot=snapshot,
            snapshot_json=json.dumps(snapshot),
            target=target,
            calendar=calendar_from_snapshot(snapshot),
            points=points,
            walk=tuple(sorted(set(points))),
        )

    def instants(self, started: datetime) -> list[datetime | None]:
        """sla.snapshot.threshold_instants(snapshot, started, []), walking the calendar once
        instead of once per threshold: the working time from `started` to one point's
        instant is that point, so the next point is due its difference later on the same
        calendar (the tests compare both on every demo policy)."""
        found: dict[timedelta, datetime | None] = {}
        at: datetime | None = started
        done = timedelta(0)
        for point in self.walk:
            if at is not None and (point > done or not found):
                at = due_at(at, point - done, self.calendar)
                done = point
            found[point] = at
        return [found[point] for point in self.points]


@dataclass
class PlannedClocks:
    """Clock rows in shape.CLOCK_FIELDS order, and the nearest running deadlines (or None)."""

    rows: list[tuple[Any, ...]]
    due_at: str | None
    warn_at: str | None


class ClockPlanner:
    """Clocks for open incidents, from the active incident policies read once."""

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
        terms: dict[tuple[int, int | None], tuple[ClockTerms, ...]] = {}
        services: list[Service | None] = [None, *Service.objects.filter(pk__in=service_ids)]
        for service in services:
            for priority in range(1, 6):
                policy = policy_for(kind="incident", priority=priority, service=service)
                if policy is None:
                    continue
                terms[(priority, service.pk if service else None)] = tuple(
                    ClockTerms.of(policy.pk, metric, snapshot_of(policy, metric))
                    for metric in (RESPONSE, RESOLUTION)
                )
        return cls(terms, now=now, ticket_type_id=ticket_type_id, times=times)

    def plan(
        self,
        *,
        ticket_id: int,
        priority: int,
        service_id: int | None,
        reported: int,
        responded: int | None,
        held_since: int | None,
    ) -> PlannedClocks:
        """The clocks of one open incident (epoch seconds in, rows with stored times out)."""
        terms = self.terms.get((priority, service_id)) or self.terms.get((priority, None))
        if not terms:
            return PlannedClocks([], None, None)
        started = datetime.fromtimestamp(reported, UTC)
        stopped_at = datetime.fromtimestamp(responded, UTC) if responded is not None else None
        paused_at = datetime.fromtimestamp(held_since, UTC) if held_since is not None else None
        rows: list[tuple[Any, ...]] = []
        nearest_due: datetime | None = None
        nearest_warn: datetime | None = None
        for term in terms:
            stopped = stopped_at if term.metric == RESPONSE else None
            row, due, warn = self._clock(term, ticket_id, started, stopped, paused_at)
            rows.append(row)
            if due is not None and (nearest_due is None or due < nearest_due):
                nearest_due = due
            if warn is not None and (nearest_warn is None or warn < nearest_warn):
                nearest_warn = warn
        times = self.times
        return PlannedClocks(
            rows,
            times(nearest_due) if nearest_due else None,
            times(nearest_warn) if nearest_warn else None,
        )

    def _clock(
        self,
        term: ClockTerms,
        ticket_id: int,
        started: datetime,
        stopped: datetime | None,
        paused_at: datetime | None,
    ) -> tuple[tuple[Any, ...], datetime | None, datetime | None]:
        """One clock row, and its due and warning instants if it is running (else None)."""
        times, now = self.times, self.now
        instants = term.instants(started)
        due = instants[-1]
        warn = instants[0] if len(instants) > 1 else None
        stage = sum(1 for instant in instants if instant is not None and instant <= now)
        pauses = NO_PAUSES
        if stopped is not None:
            state = MET if due and stopped <= due else BREACHED
        elif paused_at is not None:
            state = PAUSED
            pauses = json.dumps([[paused_at.isoformat(), None]])
        else:
            state = RUNNING
        running = state == RUNNING
        next_deadline = instants[stage] if running and stage < len(instants) else None
        breached = due if due and due <= now and state != MET else None
        elapsed = paused = None
        if stopped is not None:
            # No pause can come before the first response: the paused time is zero.
            worked = business_time_between(started, stopped, term.calendar)
            elapsed, paused = max(int(worked.total_seconds()), 0), 0
        row = (
            self.ticket_type_id,
            ticket_id,
            term.metric,
            term.policy_id,
            term.snapshot_json,
            state,
            times(started),
            term.target,
            times(due) if due else None,
            times(warn) if warn else None,
            times(next_deadline) if next_deadline else None,
            stage,
            pauses,
            times(paused_at) if state == PAUSED and paused_at else None,
            times(breached) if breached else None,
            times(stopped) if stopped else None,
            elapsed,
            paused,
            1,
            times(now),
        )
        return row, (due if running else None), (warn if running else None)
