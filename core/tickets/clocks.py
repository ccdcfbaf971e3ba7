"""Where the kernel meets the SLA engine without importing it.

`core` sits below `sla` (sla imports core), so the executor cannot call sla's services directly.
The SLA app installs its `ClockKeeper` here from `SlaConfig.ready()`; without one (an install
without the sla app) tickets simply have no clocks. Kinds declare how their clocks follow the
lifecycle as data (`core.tickets.kinds.ClockRules`); the keeper applies it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.models import TicketBase, User
from core.tickets.kinds import TicketKind


@dataclass
class ClockPlan:
    """The clocks a ticket about to be created starts with (unsaved), and the nearest
    deadlines its INSERT carries (so queues sort by time to breach without a join)."""

    clocks: list[Any] = field(default_factory=list)
    due_at: datetime | None = None
    warn_at: datetime | None = None


class ClockKeeper(Protocol):
    def plan(
        self, kind: TicketKind, *, priority: int, service_id: int | None, started_at: datetime
    ) -> ClockPlan: ...

    def start(self, ticket: TicketBase, kind: TicketKind, plan: ClockPlan) -> list[Any]: ...

    def follow(
        self,
        ticket: TicketBase,
        kind: TicketKind,
        *,
        from_status: str,
        to_status: str,
        changed: Mapping[str, Any],
        actor: User | None,
        source: str,
    ) -> None: ...

    def retarget(
        self, ticket: TicketBase, kind: TicketKind, *, actor: User | None, source: str
    ) -> None: ...

    def panel(self, ticket: TicketBase, kind: TicketKind, now: datetime) -> dict[str, Any]: ...

    def promises(self, ticket: TicketBase, kind: TicketKind, now: datetime) -> list[Any]: ...


_KEEPER: list[ClockKeeper] = []


def install(keeper: ClockKeeper) -> None:
    _KEEPER[:] = [keeper]


def plan(
    kind: TicketKind, *, priority: int, service_id: int | None, started_at: datetime
) -> ClockPlan:
    """The clocks a new ticket of `kind` would start now (none for kinds without SLA)."""
    if not _KEEPER or kind.clock_rules is None:
        return ClockPlan()
    return _KEEPER[0].plan(kind, priority=priority, service_id=service_id, started_at=started_at)


def start(ticket: TicketBase, kind: TicketKind, planned: ClockPlan) -> list[Any]:
    """Write the planned clocks of a ticket just inserted; returns them."""
    if not _KEEPER or not planned.clocks:
        return []
    return _KEEPER[0].start(ticket, kind, planned)


def follow(
    ticket: TicketBase,
    kind: TicketKind,
    *,
    from_status: str,
    to_status: str,
    changed: Mapping[str, Any],
    actor: User | None,
    source: str,
) -> None:
    """Move the ticket's clocks after a transition (inside its transaction)."""
    if _KEEPER and kind.clock_rules is not None:
        _KEEPER[0].follow(
            ticket,
            kind,
            from_status=from_status,
            to_status=to_status,
            changed=changed,
            actor=actor,
            source=source,
        )


def page_context(ticket: TicketBase, kind: TicketKind, now: datetime) -> dict[str, Any]:
    """What the agent page shows of the ticket's clocks: `sla_clocks` (each clock's status,
    warning instant and the kind's name for its target) and `sla` (the ticket's summary)."""
    if not _KEEPER or kind.clock_rules is None:
        return {}
    return _KEEPER[0].panel(ticket, kind, now)


def promises(ticket: TicketBase, kind: TicketKind, now: datetime) -> list[Any]:
    """What the requester is promised on the ticket's portal page, in the kind's words
    (core.tickets.portal_spec.Expectation lines): each running target, or that they pause."""
    if not _KEEPER or kind.clock_rules is None or kind.portal is None:
        return []
    return _KEEPER[0].promises(ticket, kind, now)


def retarget(ticket: TicketBase, kind: TicketKind, *, actor: User | None, source: str) -> None:
    """Move running clocks to the policy the ticket now falls under (priority or service
    changed outside a transition)."""
    if _KEEPER and kind.clock_rules is not None:
        _KEEPER[0].retarget(ticket, kind, actor=actor, source=source)
