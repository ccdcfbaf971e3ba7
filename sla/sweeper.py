"""The SLA sweeper: warns and breaches due clocks, each exactly once (DESIGN.md §5).

A sweep takes a batch of running clocks whose next deadline has passed, oldest first, with
`select_for_update(skip_locked=True)`, so concurrent sweepers split the work instead of waiting
for each other. Each clock's stage is advanced with a conditional update on (stage, generation,
state): a sweeper that lost a race, or a message delivered twice, changes nothing and notifies
nobody. Notifications are outbox rows with a unique dedupe key per clock, generation and stage;
an escalation happens inside the same transaction as the stage change, so a sweeper killed
half-way rolls both back and the next sweep does them once.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import TicketBase
from core.services import event_append
from sla import notifications
from sla.choices import ClockState, Metric, ThresholdAction
from sla.models import SlaClock
from sla.registry import TicketAdapter, adapter_for_content_type
from sla.snapshot import threshold_instants

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    processed: int
    more_due: bool


def due_clocks(now: datetime, limit: int) -> list[SlaClock]:
    """Running clocks whose next deadline has passed; served by the partial index."""
    return list(
        SlaClock.objects.select_for_update(skip_locked=True)
        .filter(state=ClockState.RUNNING, next_deadline_at__lte=now)
        .order_by("next_deadline_at", "id")[:limit]
    )


def sweep(*, now: datetime | None = None, batch_size: int = 500) -> SweepResult:
    """Process one batch of due clocks in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        clocks = due_clocks(now, batch_size)
        for clock in clocks:
            _process(clock, now)
    return SweepResult(processed=len(clocks), more_due=len(clocks) == batch_size)


def _process(clock: SlaClock, now: datetime) -> None:
    thresholds = clock.snapshot["thresholds"]
    instants = threshold_instants(clock.snapshot, clock.started_at, clock.pauses)
    stage = clock.stage
    while stage < len(instants):
        instant = instants[stage]
        if instant is None or instant > now:
            break
        stage += 1
    if stage == clock.stage:
        # Not actually due (deadline moved): just store the right next deadline.
        SlaClock.objects.filter(pk=clock.pk, stage=clock.stage).update(
            next_deadline_at=instants[stage] if stage < len(instants) else None, updated_at=now
        )
        return
    breached = stage == len(instants)
    updated = SlaClock.objects.filter(
        pk=clock.pk, stage=clock.stage, generation=clock.generation, state=ClockState.RUNNING
    ).update(
        stage=stage,
        next_deadline_at=None if breached else instants[stage],
        breached_at=now if breached else clock.breached_at,
        updated_at=now,
    )
    if not updated:
        return
    adapter = adapter_for_content_type(clock.ticket_type_id)
    key = f"sla:{clock.pk}:{clock.generation}:{stage}"
    # A sweep that catches up acts once, on the most severe stage reached.
    if breached:
        _breach(clock, adapter, key)
    else:
        _warn(
            clock, adapter, key, percent=thresholds[stage - 1][0], action=thresholds[stage - 1][1]
        )


def _ticket(adapter: TicketAdapter, clock: SlaClock) -> TicketBase:
    return adapter.model._default_manager.select_related(
        "assignee", "support_group", "support_group__manager"
    ).get(pk=clock.ticket_id)


def _label(clock: SlaClock) -> str:
    return "Response" if clock.metric == Metric.RESPONSE else "Resolution"


def _warn(clock: SlaClock, adapter: TicketAdapter, key: str, *, percent: int, action: str) -> None:
    ticket = _ticket(adapter, clock)
    due = clock.due_at.isoformat() if clock.due_at else "?"
    message = f"{_label(clock)} target {percent}% used (due {due})."
    if action == ThresholdAction.ESCALATE:
        outcome = adapter.escalate(ticket.pk, f"{message} Escalated by the SLA policy.")
        ticket = _ticket(adapter, clock)
        notifications.notify(
            ticket=ticket,
            dedupe_key=key,
            subject=f"SLA warning, escalated: {ticket.title}",
            body=f"{message} {outcome.message}",
            link=adapter.agent_url(ticket),
            include_manager=True,
        )
        return
    event_append(
        ticket=ticket,
        kind=EventKind.SLA,
        actor=None,
        source=Source.SYSTEM,
        message=message,
        is_public=False,
        changes={"metric": clock.metric, "percent": percent},
    )
    notifications.notify(
        ticket=ticket,
        dedupe_key=key,
        subject=f"SLA at risk: {ticket.title}",
        body=message,
        link=adapter.agent_url(ticket),
        include_manager=action == ThresholdAction.NOTIFY_MANAGER,
    )


def _breach(clock: SlaClock, adapter: TicketAdapter, key: str) -> None:
    ticket = _ticket(adapter, clock)
    due = clock.due_at.isoformat() if clock.due_at else "?"
    reason = f"{_label(clock)} target breached (due {due})."
    outcome = adapter.escalate(ticket.pk, reason)
    ticket = _ticket(adapter, clock)
    if outcome.escalated:
        notifications.notify(
            ticket=ticket,
            dedupe_key=key,
            subject=f"SLA breached, escalated to L{outcome.to_tier}: {ticket.title}",
            body=f"{reason} {outcome.message}",
            link=adapter.agent_url(ticket),
            include_assignee=False,
            include_manager=True,
        )
        return
    notifications.notify(
        ticket=ticket,
        dedupe_key=key,
        subject=f"SLA breached at L{outcome.from_tier}: {ticket.title}",
        body=f"{reason} {outcome.message}",
        link=adapter.agent_url(ticket),
        include_manager=True,
        include_all_managers=True,
    )


def overdue_unprocessed(*, now: datetime | None = None, grace_seconds: int = 300) -> int:
    """Running clocks whose deadline passed more than `grace_seconds` ago: a stuck sweeper."""
    now = now or timezone.now()
    return SlaClock.objects.filter(
        state=ClockState.RUNNING,
        next_deadline_at__lt=now - timedelta(seconds=grace_seconds),
    ).count()
