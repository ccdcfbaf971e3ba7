"""The SLA sweeper: warns and breaches due clocks, each exactly once (DESIGN.md §5).

A sweep takes a batch of running clocks whose next deadline has passed, oldest first, with
`select_for_update(skip_locked=True)`, so concurrent sweepers split the work instead of waiting
for each other. Each clock's stage is advanced with a conditional update on (stage, generation,
state): a sweeper holding a stale copy, or a message delivered twice, changes nothing and
notifies nobody. The effects of the whole batch (escalations, timeline events, outbox rows with
a unique dedupe key per clock, generation and stage) are then written set-wise in the same
transaction, so a sweeper killed half-way rolls everything back and the next sweep does it once.
A breach whose group's escalation policy pages on breach also asks the on-call app for a page
(core.tickets.paging_hooks), in that same transaction.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.choices import Source
from core.models import TicketBase
from core.tickets.escalation import EscalationOutcome, tickets_escalate_many
from core.tickets.events import events_record, sla_event_build
from core.tickets.kinds import TicketKind, kind_for_content_type
from core.tickets.paging_hooks import groups_paging_on_breach, page_request
from core.tickets.visibility import is_restricted
from core.webhooks.emit import WebhookEvent, ticket_data, webhook_emit_many
from sla.choices import ClockState, Metric, ThresholdAction
from sla.models import SlaClock
from sla.notifications import Audience, NotificationBatch
from sla.snapshot import threshold_instants

logger = logging.getLogger(__name__)

# The on-call app's reason for a page an SLA breach asked for (oncall PageReason.SLA_BREACH).
PAGE_REASON_SLA_BREACH = "sla_breach"


@dataclass(frozen=True)
class SweepResult:
    processed: int
    more_due: bool


@dataclass(frozen=True)
class Step:
    """What one clock reached in this sweep: a warning threshold or the breach."""

    clock: SlaClock
    stage: int
    breached: bool
    percent: int
    action: str
    next_deadline_at: datetime | None = None
    # The breach is dated at the due time the clock passed while running, not at the sweep
    # that noticed it (reports and the API read the same instant, whatever the sweep's delay).
    breached_at: datetime | None = None

    @property
    def escalates(self) -> bool:
        return self.breached or self.action == ThresholdAction.ESCALATE

    @property
    def dedupe_key(self) -> str:
        return f"sla:{self.clock.pk}:{self.clock.generation}:{self.stage}"

    @property
    def reason(self) -> str:
        label = "Response" if self.clock.metric == Metric.RESPONSE else "Resolution"
        due = self.clock.due_at.isoformat() if self.clock.due_at else "?"
        if self.breached:
            return f"{label} target breached (due {due})."
        return f"{label} target {self.percent}% used (due {due})."


def due_clocks(now: datetime, limit: int) -> QuerySet[SlaClock]:
    """Running clocks whose next deadline has passed; served by the partial index."""
    return (
        SlaClock.objects.select_for_update(skip_locked=True)
        .filter(state=ClockState.RUNNING, next_deadline_at__lte=now)
        .order_by("next_deadline_at", "id")[:limit]
    )


def sweep(*, now: datetime | None = None, batch_size: int = 500) -> SweepResult:
    """Process one batch of due clocks in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        clocks = list(due_clocks(now, batch_size))
        process_clocks(clocks, now)
    return SweepResult(processed=len(clocks), more_due=len(clocks) == batch_size)


def process_clocks(clocks: list[SlaClock], now: datetime) -> int:
    """Advance each clock and act on what it reached; returns how many acted. Call inside a
    transaction; clocks whose row moved on since they were read are skipped."""
    planned = [step for clock in clocks if (step := _plan(clock, now)) is not None]
    advanced = advance_stages(planned, now)
    steps = [step for step in planned if step.clock.pk in advanced]
    by_kind: dict[int, list[Step]] = defaultdict(list)
    for step in steps:
        by_kind[step.clock.ticket_type_id].append(step)
    for content_type_id, kind_steps in by_kind.items():
        _act(kind_for_content_type(content_type_id), kind_steps)
    return len(steps)


def _plan(clock: SlaClock, now: datetime) -> Step | None:
    """The stage this clock reached by `now`, or None when nothing new is due."""
    thresholds = clock.snapshot["thresholds"]
    instants = threshold_instants(clock.snapshot, clock.started_at, clock.pauses)
    stage = clock.stage
    while stage < len(instants):
        instant = instants[stage]
        if instant is None or instant > now:
            break
        stage += 1
    if stage == clock.stage:
        # Not actually due (its deadline moved): store the right next deadline.
        SlaClock.objects.filter(pk=clock.pk, stage=clock.stage).update(
            next_deadline_at=instants[stage] if stage < len(instants) else None, updated_at=now
        )
        return None
    breached = stage == len(instants)
    # A sweep that catches up acts once, on the most severe stage reached.
    percent, action = (100, "breach") if breached else thresholds[stage - 1]
    return Step(
        clock=clock,
        stage=stage,
        breached=breached,
        percent=percent,
        action=action,
        next_deadline_at=None if breached else instants[stage],
        breached_at=instants[-1] if breached else None,
    )


def advance_stages(steps: list[Step], now: datetime, chunk: int = 1000) -> set[int]:
    """Move each clock to its planned stage with ONE conditional update per chunk: a row
    changes only if it is running and still has the stage and generation it was planned from.
    Returns the ids that moved (RETURNING); the others were taken by someone else."""
    moved: set[int] = set()
    # PostgreSQL cannot type a NULL inside CASE on its own; SQLite has no such cast syntax.
    cast = "::timestamptz" if connection.vendor == "postgresql" else ""
    table = SlaClock._meta.db_table
    for start in range(0, len(steps), chunk):
        part = steps[start : start + chunk]
        whens = " ".join(["WHEN %s THEN %s"] * len(part))
        times = " ".join([f"WHEN %s THEN %s{cast}"] * len(part))
        sql = (
            f"UPDATE {table} SET stage = CASE id {whens} END, "  # noqa: S608 — placeholders only
            f"next_deadline_at = CASE id {times} END, breached_at = CASE id {times} END, "
            f"updated_at = %s{cast} "
            f"WHERE id IN ({', '.join(['%s'] * len(part))}) AND state = %s "
            f"AND stage = CASE id {whens} END AND generation = CASE id {whens} END "
            "RETURNING id"
        )
        params: list[Any] = []
        for step in part:
            params += [step.clock.pk, step.stage]
        for step in part:
            params += [step.clock.pk, step.next_deadline_at]
        for step in part:
            params += [step.clock.pk, step.breached_at if step.breached else step.clock.breached_at]
        params.append(now)
        params += [step.clock.pk for step in part]
        params.append(ClockState.RUNNING)
        for step in part:
            params += [step.clock.pk, step.clock.stage]
        for step in part:
            params += [step.clock.pk, step.clock.generation]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            moved.update(row[0] for row in cursor.fetchall())
    return moved


def _act(kind: TicketKind, steps: list[Step]) -> None:
    escalating = [step for step in steps if step.escalates]
    outcomes: dict[int, EscalationOutcome] = {}
    if escalating and kind.escalates:
        results = tickets_escalate_many(kind, [(s.clock.ticket_id, s.reason) for s in escalating])
        outcomes = {id(step): outcome for step, outcome in zip(escalating, results, strict=True)}
    tickets: dict[int, TicketBase] = kind.model._default_manager.select_related("assignee").in_bulk(
        {step.clock.ticket_id for step in steps}
    )
    events_record(
        (
            tickets[step.clock.ticket_id],
            sla_event_build(
                tickets[step.clock.ticket_id],
                actor=None,
                source=Source.SYSTEM,
                message=step.reason,
                details={"metric": step.clock.metric, "percent": step.percent},
            ),
        )
        for step in steps
        if id(step) not in outcomes
    )
    batch = NotificationBatch()
    batch.load_groups({t.support_group_id for t in tickets.values() if t.support_group_id})
    for step in steps:
        ticket = tickets[step.clock.ticket_id]
        subject, body, audience = _message(step, ticket, outcomes.get(id(step)))
        batch.add(
            ticket=ticket,
            dedupe_key=step.dedupe_key,
            subject=subject,
            body=body,
            link=kind.agent_url(ticket.number),
            audience=audience,
            assignee=ticket.assignee,
        )
    batch.write()
    _page_breaches(steps, tickets)
    webhook_emit_many(
        _webhook_event(step, tickets[step.clock.ticket_id], outcomes.get(id(step)))
        for step in steps
    )


def _page_breaches(steps: list[Step], tickets: dict[int, TicketBase]) -> None:
    """Ask the on-call app to page for the tickets that breached in this batch, where their
    group's escalation policy pages on a breach (the kernel's paging registry decides and
    joins a page already under way). One query for the whole batch finds the groups whose
    policy pages on breach, so a desk where none does pays that one query and nothing more."""
    breached = sorted({step.clock.ticket_id for step in steps if step.breached})
    if not breached:
        return
    groups = {
        group for group in (tickets[pk].support_group_id for pk in breached) if group is not None
    }
    paging = groups_paging_on_breach(groups)
    for pk in breached:
        if tickets[pk].support_group_id in paging:
            _page_breach(tickets[pk])


def _page_breach(ticket: TicketBase) -> None:
    try:
        with transaction.atomic():
            page_request(ticket, reason=PAGE_REASON_SLA_BREACH)
    except Exception:
        # A page that cannot start must not hold back the batch's breaches (the batch would
        # roll back and fail again on every sweep): the breach stands, the failure is logged.
        logger.exception("Paging for the SLA breach of %s failed.", ticket.number)


def _webhook_event(
    step: Step, ticket: TicketBase, outcome: EscalationOutcome | None
) -> WebhookEvent:
    """sla.warning / sla.breached, keyed like the notification so it goes out exactly once."""

    def data() -> dict[str, Any]:
        sla = {
            "metric": step.clock.metric,
            "percent": step.percent,
            "due_at": step.clock.due_at.isoformat() if step.clock.due_at else None,
            "message": step.reason,
            "escalated": bool(outcome and outcome.escalated),
            "from_tier": outcome.from_tier if outcome else ticket.tier,
            "to_tier": outcome.to_tier if outcome else ticket.tier,
        }
        return {**ticket_data(ticket), "sla": sla}

    return WebhookEvent(
        "sla.breached" if step.breached else "sla.warning",
        step.dedupe_key,
        data,
        restricted=is_restricted(ticket),
    )


def _message(
    step: Step, ticket: TicketBase, outcome: EscalationOutcome | None
) -> tuple[str, str, Audience]:
    if outcome is None:
        manager = step.action == ThresholdAction.NOTIFY_MANAGER
        return f"SLA at risk: {ticket.title}", step.reason, Audience(manager=manager)
    if not step.breached:
        return (
            f"SLA warning, escalated: {ticket.title}",
            f"{step.reason} {outcome.message}",
            Audience(manager=True),
        )
    if outcome.escalated:
        return (
            f"SLA breached, escalated to L{outcome.to_tier}: {ticket.title}",
            f"{step.reason} {outcome.message}",
            Audience(assignee=False, manager=True),
        )
    return (
        f"SLA breached at L{outcome.from_tier}: {ticket.title}",
        f"{step.reason} {outcome.message}",
        Audience(manager=True, all_managers=True),
    )


def overdue_unprocessed(*, now: datetime | None = None, grace_seconds: int = 300) -> int:
    """Running clocks due for the sweeper for more than `grace_seconds`: a stuck sweeper.

    A clock is due for the sweeper since the later of its deadline and its last change: a
    re-target, resume or reopen can hand it a deadline that passed long ago, and the sweeper
    cannot have missed it before it was written (without this, a priority change on an overdue
    ticket logged "sweeper looks stuck" until the next sweep)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=grace_seconds)
    return SlaClock.objects.filter(
        state=ClockState.RUNNING, next_deadline_at__lt=cutoff, updated_at__lt=cutoff
    ).count()
