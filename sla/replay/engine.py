"""The pure replay: a ticket's clocks rebuilt from its timeline. No database.

It applies the same rules, in the same order, as the stored engine (sla.keeper.SlaClockKeeper.follow
and sla.services): creation starts a response and a resolution clock under the policy for the kind,
priority and service; a kind's ClockRules cancel, pause, resume, meet and reopen them on status
changes; a change to a `retarget_on` field moves open clocks to the policy the ticket now falls
under, counted from their original start with their pauses. Due times come from the same pure
arithmetic (sla.calendar.due_instants: due_at for every threshold in one walk). The sweeper is
modelled as punctual: a running clock whose due time has passed is breached at its due time, and
the thresholds it passed are counted as crossed.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.process_memos import process_memo
from core.tickets.kinds import ClockRules
from sla.calendar import BusinessCalendar, always_open, business_time_between, due_instants
from sla.snapshot import Snapshot, calendar_from_snapshot

METRICS = ("response", "resolution")
ESCALATE = "escalate"

# (priority, service id, metric) -> the snapshot a clock would take, or None without a policy.
PolicyLookup = Callable[[int, int | None, str], Snapshot | None]


@dataclass(frozen=True)
class Change:
    """One timeline event the SLA engine reacts to: the creation, a status change (with the
    fields it set) or fields changed outside the lifecycle. `priority` and `service_id` are set
    only when the event changed them (service_id 0 when the service was cleared)."""

    at: datetime
    to_status: str
    from_status: str = ""
    priority: int | None = None
    service_id: int | None = None
    is_creation: bool = False
    is_status_change: bool = False


@dataclass(frozen=True)
class TicketHistory:
    """What a replay needs of one ticket: its identity, its creation instant and its changes in
    timeline order (the first is the creation)."""

    ticket_id: int
    number: str
    created_at: datetime
    priority: int
    service_id: int | None
    changes: Sequence[Change]


@dataclass
class ReplayedClock:
    """A clock as the replay left it, in the stored clock's vocabulary (sla.models.SlaClock)."""

    metric: str
    state: str
    started_at: datetime
    snapshot: Snapshot
    due_at: datetime | None = None
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    pauses: list[list[datetime | None]] = field(default_factory=list)
    elapsed_business_seconds: int | None = None
    paused_seconds: int | None = None
    thresholds_crossed: tuple[int, ...] = ()
    escalations: int = 0
    # The threshold instants and what they were computed from (engine-internal).
    cached: tuple[Any, list[datetime | None]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def is_open(self) -> bool:
        return self.state in ("running", "paused")

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None


# Parsed calendars by the identity of a snapshot's calendar part: snapshots are shared between
# clocks (one per policy and metric, or one per distinct stored text), so a replay parses each
# calendar once. The part itself is kept in the entry, so its id cannot be reused while cached.
_CALENDARS: dict[int, tuple[object, BusinessCalendar]] = process_memo({})
_CALENDARS_KEPT = 4096


def _calendar(snapshot: Snapshot) -> BusinessCalendar:
    part = snapshot["calendar"]
    found = _CALENDARS.get(id(part))
    if found is not None and found[0] is part:
        return found[1]
    if len(_CALENDARS) >= _CALENDARS_KEPT:
        _CALENDARS.clear()
    calendar = calendar_from_snapshot(snapshot)
    _CALENDARS[id(part)] = (part, calendar)
    return calendar


def _pauses(clock: ReplayedClock) -> tuple[tuple[datetime, datetime | None], ...]:
    """The clock's pauses as the calendar reads them (a pause always has a start)."""
    return tuple((start, end) for start, end in clock.pauses if start is not None)


def _instants(clock: ReplayedClock) -> list[datetime | None]:
    """sla.snapshot.threshold_instants without its text round trip of the pauses, from one walk
    through the calendar for all thresholds (sla.calendar.due_instants), remembered on the clock
    until its snapshot or pauses change (the sweep asks at every event)."""
    snapshot = clock.snapshot
    # The engine changes pauses only by appending one or by ending the last: their number and
    # the last end tell whether they changed (cheaper than comparing them all at every event).
    key = (id(snapshot), len(clock.pauses), clock.pauses[-1][1] if clock.pauses else None)
    if clock.cached is not None and clock.cached[0] == key:
        return clock.cached[1]
    pauses = _pauses(clock)
    calendar = _calendar(snapshot)
    target = timedelta(seconds=snapshot["target_seconds"])
    points = [target * percent / 100 for percent, _ in snapshot["thresholds"]]
    found = due_instants(clock.started_at, [*points, target], calendar, pauses)
    clock.cached = (key, found)
    return found


def _recompute(clock: ReplayedClock) -> None:
    clock.due_at = _instants(clock)[-1]


def _sweep(clock: ReplayedClock, until: datetime) -> None:
    """What a punctual sweeper has done to a running clock by `until`: the thresholds passed and
    the breach, dated at the due time."""
    if clock.state != "running":
        return
    instants = _instants(clock)
    crossed = clock.thresholds_crossed
    passed = [
        int(percent)
        for (percent, _action), instant in zip(clock.snapshot["thresholds"], instants, strict=False)
        if instant is not None and instant <= until and int(percent) not in crossed
    ]
    if passed:
        clock.thresholds_crossed = tuple(sorted({*crossed, *passed}))
    if clock.breached_at is None and instants[-1] is not None and instants[-1] <= until:
        clock.breached_at = instants[-1]


def _elapsed(clock: ReplayedClock, stopped_at: datetime) -> tuple[int, int]:
    """As sla.services.clock_elapsed: business seconds without the pauses, paused seconds."""
    parsed = _pauses(clock)
    business = business_time_between(
        clock.started_at, stopped_at, _calendar(clock.snapshot), parsed
    )
    unpaused = business_time_between(clock.started_at, stopped_at, always_open(), parsed)
    paused = (stopped_at - clock.started_at) - unpaused
    return max(int(business.total_seconds()), 0), max(int(paused.total_seconds()), 0)


def _stop(clock: ReplayedClock, at: datetime) -> None:
    if clock.state == "paused":
        clock.pauses[-1][1] = at
        _recompute(clock)
    late = clock.due_at is not None and at > clock.due_at
    clock.state = "breached" if late else "met"
    if late and clock.breached_at is None:
        clock.breached_at = clock.due_at
    clock.stopped_at = at
    clock.elapsed_business_seconds, clock.paused_seconds = _elapsed(clock, at)


def _retarget(clock: ReplayedClock, snapshot: Snapshot | None, at: datetime) -> None:
    """As sla.services.clocks_retarget and _stage_kept: a breach already processed stays when the
    new due time has passed too; otherwise the new target decides."""
    if snapshot is None:
        clock.state = "cancelled"
        return
    clock.snapshot = snapshot
    instants = _instants(clock)
    passed = sum(1 for instant in instants if instant is not None and instant <= at)
    if not (clock.breached_at is not None and passed == len(instants)):
        clock.breached_at = None
    clock.due_at = instants[-1]


def replay(
    history: TicketHistory,
    *,
    rules: ClockRules,
    final_statuses: frozenset[str],
    lookup: PolicyLookup,
    now: datetime,
    pinned: Mapping[str, Snapshot] | None = None,
) -> list[ReplayedClock]:
    """The ticket's clocks as of `now`, replayed from its history under `lookup`.

    `pinned` gives a metric the snapshot it must run under whatever `lookup` says (the compare
    passes the snapshot stored on the clock, so a policy edited since keeps the clock on the
    version it started under); `lookup` still decides whether any policy applies.
    """
    pinned = pinned or {}
    priority, service_id = history.priority, history.service_id
    clocks: dict[str, ReplayedClock] = {}

    def snapshot_for(metric: str) -> Snapshot | None:
        found = lookup(priority, service_id, metric)
        if found is None:
            return None
        return pinned.get(metric, found)

    for change in history.changes:
        for clock in clocks.values():
            _sweep(clock, change.at)
        if change.is_creation:
            for metric in METRICS:
                snapshot = snapshot_for(metric)
                if snapshot is None:
                    continue
                clock = ReplayedClock(metric, "running", history.created_at, snapshot)
                _recompute(clock)
                clocks[metric] = clock
            continue
        retarget = False
        if change.priority is not None:
            priority, retarget = change.priority, retarget or "priority" in rules.retarget_on
        if change.service_id is not None:
            service_id = change.service_id or None
            retarget = retarget or "service" in rules.retarget_on
        if change.is_status_change and _follow(clocks, rules, final_statuses, change):
            continue
        if retarget:
            for clock in clocks.values():
                if clock.is_open:
                    _retarget(clock, snapshot_for(clock.metric), change.at)
    for clock in clocks.values():
        _sweep(clock, now)
        clock.escalations = _escalations(clock)
    return [clocks[m] for m in METRICS if m in clocks]


def _follow(
    clocks: dict[str, ReplayedClock],
    rules: ClockRules,
    final_statuses: frozenset[str],
    change: Change,
) -> bool:
    """As sla.keeper.SlaClockKeeper.follow; True when the change cancelled the clocks (nothing
    else applies then)."""
    at, before, after = change.at, change.from_status, change.to_status
    if after in rules.cancel_on:
        for clock in clocks.values():
            if clock.is_open:
                clock.state = "cancelled"
        return True
    if after in rules.pause_in and before not in rules.pause_in:
        for clock in clocks.values():
            if clock.state == "running":
                clock.state = "paused"
                clock.pauses.append([at, None])
    elif before in rules.pause_in and after not in rules.pause_in:
        for clock in clocks.values():
            if clock.state == "paused":
                clock.pauses[-1][1] = at
                clock.state = "running"
                _recompute(clock)
    response, resolution = clocks.get("response"), clocks.get("resolution")
    if after in rules.response_met_on and response is not None and response.is_open:
        _stop(response, at)
    if after in rules.resolution_met_on:
        if resolution is not None and resolution.is_open:
            _stop(resolution, at)
    elif before in rules.resolution_met_on and after not in final_statuses and resolution:
        _reopen(resolution, at)
    return False


def _reopen(clock: ReplayedClock, at: datetime) -> None:
    """As sla.services.clock_reopen: the time the ticket spent resolved becomes a pause; a
    breach already dated stays."""
    if clock.state not in ("met", "breached") or clock.stopped_at is None:
        return
    clock.pauses.append([clock.stopped_at, at])
    clock.state = "running"
    clock.stopped_at = None
    clock.elapsed_business_seconds = clock.paused_seconds = None
    _recompute(clock)


def _escalations(clock: ReplayedClock) -> int:
    """Tier moves the clock caused: one per crossed threshold whose action escalates, and one for
    the breach (a breach always escalates one tier)."""
    actions = {int(percent): action for percent, action in clock.snapshot["thresholds"]}
    moves = sum(1 for percent in clock.thresholds_crossed if actions.get(percent) == ESCALATE)
    return moves + (1 if clock.is_breached else 0)
