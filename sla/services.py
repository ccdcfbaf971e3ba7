"""Writes of SLA clocks. Ticket services call these inside their own transaction:

create -> clocks_start; first response (leaving `identified`) -> clock_stop(response);
resolve -> clock_stop(resolution); hold -> clocks_pause; resume -> clocks_resume;
reopen -> clock_reopen(resolution); priority change -> clocks_retarget; cancel -> clocks_cancel.

Each keeps the ticket's denormalised `sla_due_at` / `sla_warn_at` (the nearest running clock) up
to date, which the queue sorts and filters on.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from core.config_memo import ConfigMemo
from core.models import Service, TicketBase
from sla.calendar import always_open, business_time_between
from sla.choices import ClockState, Metric
from sla.models import SlaClock, SlaPolicy
from sla.selectors import nearest_due
from sla.snapshot import (
    calendar_from_snapshot,
    dump_instant,
    parse_pauses,
    snapshot_of,
    threshold_instants,
)

OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.PAUSED)


def policy_for(*, kind: str, priority: int, service: Service | int | None) -> SlaPolicy | None:
    """The active policy for a kind and priority: the service's (a Service or its id) own if it
    has one, else the default (no service)."""
    candidates = (
        SlaPolicy.objects.filter(ticket_kind=kind, priority=priority, is_active=True)
        .filter(Q(service__isnull=True) | Q(service=service))
        .select_related("calendar")
        .prefetch_related("calendar__hours", "calendar__holidays", "thresholds")
    )
    best = None
    for policy in candidates:
        if policy.service_id is not None:
            return policy
        best = policy
    return best


def clocks_for(ticket: TicketBase) -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    )


def _deadlines(clock: SlaClock) -> None:
    """Recompute due_at, warn_at and next_deadline_at from the snapshot, start and pauses."""
    instants = threshold_instants(clock.snapshot, clock.started_at, clock.pauses)
    clock.due_at = instants[-1]
    clock.warn_at = instants[0] if len(instants) > 1 else None
    if clock.state != ClockState.RUNNING or clock.stage >= len(instants):
        clock.next_deadline_at = None
    else:
        clock.next_deadline_at = instants[clock.stage]


def _refresh_ticket(ticket: TicketBase) -> None:
    nearest = (
        clocks_for(ticket)
        .filter(state=ClockState.RUNNING)
        .aggregate(due=Min("due_at"), warn=Min("warn_at"))
    )
    type(ticket)._default_manager.filter(pk=ticket.pk).update(
        sla_due_at=nearest["due"], sla_warn_at=nearest["warn"]
    )
    ticket.sla_due_at = nearest["due"]
    ticket.sla_warn_at = nearest["warn"]


@dataclass(frozen=True)
class PolicyPlan:
    """What new clocks take from their policy: its id, and per metric the target and the
    snapshot (as JSON text, so each clock gets its own copy)."""

    policy_id: int
    targets: dict[str, timedelta]
    snapshots: dict[str, str]


# Policies with their calendars and thresholds, per (kind, priority, service id): creating a
# ticket reads no policy row (four queries otherwise). Connected in SlaConfig.ready().
POLICY_MEMO = ConfigMemo(
    "sla-policies",
    ["sla.SlaPolicy", "sla.SlaThreshold", "sla.Calendar", "sla.WorkingHours", "sla.Holiday"],
)


def policy_plan(*, kind: str, priority: int, service_id: int | None) -> PolicyPlan | None:
    """policy_for's policy as a PolicyPlan (None without a policy), memoised per process."""

    def load() -> PolicyPlan | None:
        policy = policy_for(kind=kind, priority=priority, service=service_id)
        if policy is None:
            return None
        metrics = (Metric.RESPONSE, Metric.RESOLUTION)
        return PolicyPlan(
            policy_id=policy.pk,
            targets={
                Metric.RESPONSE: policy.response_target,
                Metric.RESOLUTION: policy.resolution_target,
            },
            snapshots={m: json.dumps(snapshot_of(policy, m)) for m in metrics},
        )

    return POLICY_MEMO.get((kind, priority, service_id), load)


def clocks_plan(
    *,
    kind: str,
    priority: int,
    service_id: int | None,
    started_at: datetime,
    metrics: tuple[str, ...] = (Metric.RESPONSE, Metric.RESOLUTION),
) -> list[SlaClock]:
    """The clocks a ticket starts with, unsaved and without their ticket, deadlines computed
    ([] when no policy applies): a new ticket can carry its nearest deadline in its INSERT
    (nearest_deadlines) and have its clocks written by clocks_save after it."""
    plan = policy_plan(kind=kind, priority=priority, service_id=service_id)
    if plan is None:
        return []
    now = timezone.now()
    clocks = []
    for metric in metrics:
        clock = SlaClock(
            metric=metric,
            policy_id=plan.policy_id,
            snapshot=json.loads(plan.snapshots[metric]),
            started_at=started_at,
            target=plan.targets[metric],
            updated_at=now,
        )
        _deadlines(clock)
        clocks.append(clock)
    return clocks


def nearest_deadlines(clocks: list[SlaClock]) -> tuple[datetime | None, datetime | None]:
    """The ticket's sla_due_at and sla_warn_at for these clocks (the earliest running ones)."""
    warns = [c.warn_at for c in clocks if c.state == ClockState.RUNNING and c.warn_at is not None]
    return nearest_due(clocks), min(warns) if warns else None


def clocks_save(ticket: TicketBase, clocks: list[SlaClock]) -> list[SlaClock]:
    """Write planned clocks for `ticket`."""
    content_type = ContentType.objects.get_for_model(ticket)
    for clock in clocks:
        clock.ticket_type = content_type
        clock.ticket_id = ticket.pk
    # One row per INSERT: for several rows Django's PostgreSQL backend sends arrays (UNNEST),
    # and psycopg escapes the JSON snapshots inside them character by character: twice the
    # CPU of two plain INSERTs for a ticket's two clocks.
    return SlaClock.objects.bulk_create(clocks, batch_size=1)


def clocks_start(
    ticket: TicketBase,
    *,
    kind: str,
    metrics: tuple[str, ...] = (Metric.RESPONSE, Metric.RESOLUTION),
) -> list[SlaClock]:
    """Start the ticket's clocks under the policy for its kind, priority and service (none when
    no policy applies). Idempotent: an existing clock for a metric is left alone. (A ticket
    being created plans its clocks instead: clocks_plan, nearest_deadlines, clocks_save.)"""
    if policy_plan(kind=kind, priority=ticket.priority, service_id=ticket.service_id) is None:
        return []
    existing = set(clocks_for(ticket).values_list("metric", flat=True))
    started = clocks_plan(
        kind=kind,
        priority=ticket.priority,
        service_id=ticket.service_id,
        started_at=ticket.created_at,
        metrics=tuple(m for m in metrics if m not in existing),
    )
    clocks_save(ticket, started)
    _refresh_ticket(ticket)
    return started


def clock_stop(ticket: TicketBase, *, metric: str) -> SlaClock | None:
    """The target is reached (first response, resolution): met if in time, else breached and
    dated at its due time. A paused clock is judged by the due time its pauses gave it."""
    clock = clocks_for(ticket).filter(metric=metric, state__in=OPEN_CLOCK_STATES).first()
    if clock is None:
        return None
    now = timezone.now()
    if clock.state == ClockState.PAUSED:
        # Stopped while paused: the pause that ends now moves the due time (a clock paused
        # before its due time can only breach after it resumes), so recompute it first.
        _close_pause(clock, now)
        _deadlines(clock)
    # Late means the clock ran past its due time; that instant dates the breach.
    late = clock.due_at is not None and now > clock.due_at
    clock.state = ClockState.BREACHED if late else ClockState.MET
    if late and clock.breached_at is None:
        clock.breached_at = clock.due_at
    clock.stopped_at = now
    clock.elapsed_business_seconds, clock.paused_seconds = clock_elapsed(
        clock.snapshot, clock.started_at, now, clock.pauses
    )
    clock.next_deadline_at = None
    clock.updated_at = now
    clock.save()
    _refresh_ticket(ticket)
    return clock


def clock_elapsed(
    snapshot: dict[str, Any], started_at: datetime, stopped_at: datetime, pauses: list[Any]
) -> tuple[int, int]:
    """(business seconds, paused seconds) of a clock stopped at `stopped_at`: working time on
    the snapshot's calendar without the pauses, and the wall-clock time the pauses covered
    within [start, stop]. Pure; whole seconds, rounded down."""
    parsed = parse_pauses(pauses)
    business = business_time_between(
        started_at, stopped_at, calendar_from_snapshot(snapshot), parsed
    )
    unpaused = business_time_between(started_at, stopped_at, always_open(), parsed)
    paused = (stopped_at - started_at) - unpaused
    return max(int(business.total_seconds()), 0), max(int(paused.total_seconds()), 0)


def _close_pause(clock: SlaClock, now: datetime) -> None:
    if clock.pauses and clock.pauses[-1][1] is None:
        clock.pauses[-1][1] = dump_instant(now)
    clock.paused_at = None


def clocks_pause(ticket: TicketBase) -> int:
    """On hold: running clocks stop counting until clocks_resume."""
    now = timezone.now()
    paused = 0
    for clock in clocks_for(ticket).filter(state=ClockState.RUNNING):
        clock.state = ClockState.PAUSED
        clock.paused_at = now
        clock.pauses = [*clock.pauses, [dump_instant(now), None]]
        clock.next_deadline_at = None
        clock.updated_at = now
        clock.save()
        paused += 1
    _refresh_ticket(ticket)
    return paused


def clocks_resume(ticket: TicketBase) -> int:
    """Off hold: paused clocks run again; the paused time is excluded from their deadlines."""
    now = timezone.now()
    resumed = 0
    for clock in clocks_for(ticket).filter(state=ClockState.PAUSED):
        _close_pause(clock, now)
        clock.state = ClockState.RUNNING
        _deadlines(clock)
        clock.updated_at = now
        clock.save()
        resumed += 1
    _refresh_ticket(ticket)
    return resumed


def clock_reopen(ticket: TicketBase, *, metric: str = Metric.RESOLUTION) -> SlaClock | None:
    """A reopened ticket resumes its resolution clock; the time it spent resolved is excluded.
    Warnings and a breach already processed are not repeated."""
    clock = (
        clocks_for(ticket)
        .filter(metric=metric, state__in=[ClockState.MET, ClockState.BREACHED])
        .first()
    )
    if clock is None or clock.stopped_at is None:
        return None
    now = timezone.now()
    clock.pauses = [*clock.pauses, [dump_instant(clock.stopped_at), dump_instant(now)]]
    clock.state = ClockState.RUNNING
    clock.stopped_at = None
    clock.elapsed_business_seconds = clock.paused_seconds = None
    _deadlines(clock)
    clock.updated_at = now
    clock.save()
    _refresh_ticket(ticket)
    return clock


def clocks_retarget(ticket: TicketBase, *, kind: str) -> list[dict[str, Any]]:
    """The priority (or service) changed: open clocks take the new policy's targets, counted
    from their original start with their pauses. Returns what changed, for the timeline."""
    policy = policy_for(kind=kind, priority=ticket.priority, service=ticket.service)
    now = timezone.now()
    changes = []
    for clock in clocks_for(ticket).filter(state__in=OPEN_CLOCK_STATES):
        if policy is None:
            clock.state = ClockState.CANCELLED
            clock.next_deadline_at = None
            clock.updated_at = now
            clock.save()
            changes.append({"metric": clock.metric, "old_due": _iso(clock.due_at), "new_due": None})
            continue
        old_due = clock.due_at
        clock.policy = policy
        clock.snapshot = snapshot_of(policy, clock.metric)
        clock.target = (
            policy.response_target if clock.metric == Metric.RESPONSE else policy.resolution_target
        )
        clock.generation += 1
        instants = threshold_instants(clock.snapshot, clock.started_at, clock.pauses)
        clock.stage, clock.breached_at = _stage_kept(
            instants, stage=clock.stage, breached_at=clock.breached_at, now=now
        )
        _deadlines(clock)
        clock.updated_at = now
        clock.save()
        changes.append(
            {
                "metric": clock.metric,
                "old_due": _iso(old_due),
                "new_due": _iso(clock.due_at),
                "policy": policy.name,
            }
        )
    _refresh_ticket(ticket)
    return changes


def _stage_kept(
    instants: list[datetime | None], *, stage: int, breached_at: datetime | None, now: datetime
) -> tuple[int, datetime | None]:
    """The stage and breach a re-targeted clock keeps, so the sweeper acts only on what is new.

    A clock already breached whose new due time has passed too stays breached: the lateness
    was escalated once, and starting it over from stage 0 made the sweeper escalate the ticket
    a second time seconds after a priority change. Warnings it already sent are not sent again
    for thresholds the new target has passed as well. A breach the new target brings
    (priority raised on a clock not yet breached) is left to the sweeper: that one is new.
    """
    passed = sum(1 for instant in instants if instant is not None and instant <= now)
    if breached_at is not None and passed == len(instants):
        return len(instants), breached_at
    return min(stage, passed, len(instants) - 1), None


def clocks_cancel(ticket: TicketBase) -> int:
    """The ticket was cancelled: its open clocks no longer count for or against the SLA."""
    now = timezone.now()
    cancelled = (
        clocks_for(ticket)
        .filter(state__in=OPEN_CLOCK_STATES)
        .update(state=ClockState.CANCELLED, next_deadline_at=None, updated_at=now)
    )
    _refresh_ticket(ticket)
    return cancelled


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
