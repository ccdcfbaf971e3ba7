"""Escalation between support tiers (L1 -> L2 -> L3) for every kind, by hand or by the SLA
sweeper.

A move takes the ticket to a group of the target tier (the service's owner if it works at that
tier, else the first active group of it), unassigned, bumps `version`, and appends an event with
the reason and the time spent in the tier it left. `tickets_escalate_many` does the same
set-wise for the sweeper: one lock query, one UPDATE per target, one INSERT of events.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from core.choices import EventKind, Source, Tier
from core.exceptions import TransitionError
from core.models import Service, SupportGroup, TicketBase, TimelineEvent, User
from core.roles import is_agent
from core.tickets.events import (
    event_record,
    events_record,
    sla_event_build,
    tier_moved_event_build,
)
from core.tickets.executor import refuse_missing, ticket_lock, tickets_lock
from core.tickets.kinds import TicketKind, kind_of
from core.tickets.payloads import TierMove
from core.tickets.visibility import is_restricted

T = TypeVar("T", bound=TicketBase)
_MOVES = (EventKind.ESCALATED, EventKind.DEESCALATED)


@dataclass(frozen=True)
class EscalationOutcome:
    escalated: bool
    from_tier: int
    to_tier: int
    message: str
    to_group: str = ""


class GroupFinder:
    """The group a move to a tier lands in, with one query per tier per batch (two for a batch
    with restricted tickets).

    A restricted ticket (a security incident) lands in the first active group of the tier that
    handles security, when there is one: a move unassigns the ticket, and in any other group
    nobody but managers would see it (core.tickets.visibility). Without such a group it moves
    as any ticket, and managers and the security team still see it."""

    def __init__(self) -> None:
        self._first_of_tier: dict[tuple[int, bool], SupportGroup | None] = {}

    def _first(self, tier: int, *, security: bool) -> SupportGroup | None:
        if (tier, security) not in self._first_of_tier:
            groups = SupportGroup.objects.filter(tier=tier, is_active=True)
            if security:
                groups = groups.filter(handles_security=True)
            self._first_of_tier[(tier, security)] = groups.order_by("name").first()
        return self._first_of_tier[(tier, security)]

    def for_tier(
        self, tier: int, service: Service | None, *, restricted: bool = False
    ) -> SupportGroup | None:
        if restricted:
            security_group = self._first(tier, security=True)
            if security_group is not None:
                return security_group
        owner = service.owner_group if service is not None else None
        if owner is not None and owner.tier == tier and owner.is_active:
            return owner
        return self._first(tier, security=False)


def next_tier_group(
    tier: int, service: Service | None, *, restricted: bool = False
) -> SupportGroup | None:
    return GroupFinder().for_tier(tier, service, restricted=restricted)


def _last_moves(model: type[TicketBase], ids: list[int]) -> dict[int, datetime]:
    rows = (
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(model),
            ticket_id__in=ids,
            kind__in=_MOVES,
        )
        .values("ticket_id")
        .annotate(at=Max("created_at"))
        .values_list("ticket_id", "at")
    )
    return dict(rows)


def _refusal(ticket: TicketBase, to_tier: int, group: SupportGroup | None) -> str | None:
    kind = kind_of(ticket)
    if getattr(ticket, "status", "") not in kind.lifecycle.open:
        label = ticket.get_status_display().lower()  # type: ignore[attr-defined]
        return f"{ticket.number} is {label}."
    if to_tier > Tier.L3:
        return f"{ticket.number} is already at L3, the top tier."
    if to_tier < Tier.L1:
        return f"{ticket.number} is already at L1."
    if group is None:
        return f"There is no active L{to_tier} support group."
    return None


def _apply_move(
    ticket: TicketBase, *, group: SupportGroup, to_tier: int, since: datetime, now: datetime
) -> TierMove:
    """Move the (locked) ticket in memory; return what the event records."""
    move = TierMove(
        from_tier=ticket.tier,
        to_tier=to_tier,
        from_group=ticket.support_group.name if ticket.support_group else None,
        to_group=group.name,
        time_in_tier_seconds=int((now - since).total_seconds()),
    )
    ticket.support_group = group
    ticket.tier = to_tier
    ticket.assignee = None
    ticket.version += 1
    ticket.updated_at = now
    return move


def _outcome(move: TierMove) -> EscalationOutcome:
    verb = "Escalated" if move.to_tier > move.from_tier else "De-escalated"
    return EscalationOutcome(
        True,
        move.from_tier,
        move.to_tier,
        f"{verb} from L{move.from_tier} to L{move.to_tier} ({move.to_group}).",
        move.to_group,
    )


def ticket_move_tier(
    ticket: T,
    *,
    step: int,
    actor: User | None,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> EscalationOutcome:
    """Move an open ticket one tier up (`step` 1) or down (-1), unassigned, with the reason and
    the time spent in the tier it leaves on the timeline. Refused past L3 or below L1, on a
    closed ticket, without a group of that tier, and for anyone but agents (or the system)."""
    kind = kind_of(ticket)
    reason = (reason or "").strip()
    if actor is not None and not is_agent(actor):
        raise TransitionError(f"Only agents can escalate or de-escalate {kind.noun}s.")
    refuse_missing({"reason": reason}, ("reason",))
    with transaction.atomic():
        locked = ticket_lock(ticket, expected_version)
        to_tier = locked.tier + step
        group = GroupFinder().for_tier(to_tier, locked.service, restricted=is_restricted(locked))
        refusal = _refusal(locked, to_tier, group)
        if refusal or group is None:
            raise TransitionError(refusal or "There is no group to move to.")
        now = timezone.now()
        since = _last_moves(type(locked), [locked.pk]).get(locked.pk, locked.created_at)
        move = _apply_move(locked, group=group, to_tier=to_tier, since=since, now=now)
        locked.save(update_fields=["support_group", "tier", "assignee", "version", "updated_at"])
        event_record(
            locked,
            tier_moved_event_build(locked, actor=actor, source=source, move=move, reason=reason),
        )
    return _outcome(move)


def tickets_escalate_many(
    kind: TicketKind, items: list[tuple[int, str]]
) -> list[EscalationOutcome]:
    """Escalate each (ticket id, reason) of `kind` one tier as the system; outcomes in the same
    order. Call inside a transaction (the sweeper's).

    Tickets are locked in primary-key order (no deadlock between concurrent sweepers). A refusal
    (at L3, closed, no group) is an outcome with escalated=False, recorded as an SLA event, for
    the caller to notify managers. A ticket listed twice escalates twice (two breaches).
    """
    ids = sorted({ticket_id for ticket_id, _ in items})
    locked = tickets_lock(kind.model, ids, related=("service__owner_group", "support_group"))
    original_versions = {pk: ticket.version for pk, ticket in locked.items()}
    since = _last_moves(kind.model, ids)
    groups = GroupFinder()
    now = timezone.now()
    outcomes: list[EscalationOutcome] = []
    events: list[tuple[TicketBase, TimelineEvent]] = []
    moved: dict[int, TicketBase] = {}
    for ticket_id, reason in items:
        ticket = locked[ticket_id]
        from_tier = ticket.tier
        group = groups.for_tier(from_tier + 1, ticket.service, restricted=is_restricted(ticket))
        refusal = _refusal(ticket, from_tier + 1, group)
        if refusal or group is None:
            note = f"{reason} {refusal} Managers notified."
            events.append(
                (ticket, sla_event_build(ticket, actor=None, source=Source.SYSTEM, message=note))
            )
            outcomes.append(EscalationOutcome(False, from_tier, from_tier, refusal or ""))
            continue
        started = since.get(ticket_id, ticket.created_at)
        move = _apply_move(ticket, group=group, to_tier=from_tier + 1, since=started, now=now)
        since[ticket_id] = now
        moved[ticket_id] = ticket
        events.append(
            (
                ticket,
                tier_moved_event_build(
                    ticket, actor=None, source=Source.SYSTEM, move=move, reason=reason
                ),
            )
        )
        outcomes.append(_outcome(move))
    _save_moves(kind, moved, original_versions, now)
    events_record(events)
    return outcomes


def _save_moves(
    kind: TicketKind, moved: dict[int, TicketBase], versions: dict[int, int], now: datetime
) -> None:
    # One UPDATE per target (group, tier, number of moves): a backlog escalates thousands of
    # tickets to the same L2 group, and per-row CASE updates cost more than the rest together.
    by_target: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for ticket_id, ticket in moved.items():
        steps = ticket.version - versions[ticket_id]
        assert ticket.support_group_id is not None
        by_target[(ticket.support_group_id, ticket.tier, steps)].append(ticket_id)
    for (group_id, tier, steps), target_ids in by_target.items():
        kind.model._default_manager.filter(pk__in=target_ids).update(
            support_group_id=group_id,
            tier=tier,
            assignee=None,
            version=F("version") + steps,
            updated_at=now,
        )
