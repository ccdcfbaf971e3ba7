"""Ticket lifecycles as tables (DESIGN.md §4). Pure: no database, no settings reads.

Each ticket kind declares its transitions — action, sources, targets, required fields, guards —
and wraps them in a `Lifecycle`, which answers the three questions every kind asks: is this
action legal now (`check`, raising TransitionError with a sentence a person can read), which
actions are legal now (`legal_actions`, what the pages offer), and which status pairs the table
allows at all (`is_legal_pair`, what the exhaustive tests compare against a hand-written table).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import TextChoices

from core.exceptions import TransitionError

# guard(ticket, context) -> None when allowed, else the reason it is refused.
Guard = Callable[[Any, Any], str | None]


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    targets: frozenset[str]
    required: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = field(default=())

    def target_for(self, ticket: Any) -> str:
        if len(self.targets) == 1:
            return next(iter(self.targets))
        # resume: back to where the ticket was before it was put on hold
        return str(ticket.status_before_hold)


@dataclass(frozen=True)
class Lifecycle:
    """A kind's transition table. `noun` names the ticket in messages ("an incident").

    `initial` is the status a new ticket starts in, `open` the statuses in which it is still
    being worked (queues, SLA, reporting backlog), `final` those it can never leave, and
    `milestones` the timestamp field each status sets the first time a pass through the
    lifecycle reaches it (a reopen starts a new pass by clearing what it undoes).
    """

    noun: str
    statuses: type[TextChoices]
    transitions: tuple[Transition, ...]
    final: frozenset[str]
    initial: str = ""
    open: frozenset[str] = frozenset()
    milestones: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def table(self) -> dict[str, Transition]:
        return {transition.action: transition for transition in self.transitions}

    @cached_property
    def cancelled(self) -> frozenset[str]:
        """The statuses the `cancel` action leads to (none when the kind cannot be cancelled):
        a ticket that was never real, unlike one that is closed after it was done."""
        transition = self.table.get("cancel")
        return transition.targets if transition is not None else frozenset()

    def is_legal_pair(self, source: str, target: str) -> bool:
        """Whether any action moves a ticket from `source` to `target` (ignoring guards)."""
        return any(source in t.sources and target in t.targets for t in self.transitions)

    def _status_label(self, status: str) -> str:
        return (
            str(self.statuses(status).label).lower() if status in self.statuses.values else status
        )

    def check(self, ticket: Any, action: str, ctx: Any = None) -> Transition:
        """Return the transition for `action` now, or raise TransitionError saying why not."""
        transition = self.table.get(action)
        if transition is None:
            raise TransitionError(f"Unknown action '{action}'.")
        # Labels are built only to explain a refusal: legal_actions calls this for every action
        # of every row of a list.
        if ticket.status in self.final:
            kind = self.noun.partition(" ")[2]
            status = self._status_label(ticket.status)
            raise TransitionError(f"The {kind} is {status}; it cannot change anymore.")
        if ticket.status not in transition.sources:
            status = self._status_label(ticket.status)
            raise TransitionError(
                f"Cannot {transition.label.lower()} {self.noun} that is {status}."
            )
        for guard in transition.guards:
            reason = guard(ticket, ctx)
            if reason:
                raise TransitionError(reason)
        return transition

    def legal_actions(self, ticket: Any, ctx: Any = None) -> list[Transition]:
        """The actions that `check` would accept right now, in table order."""
        legal = []
        for transition in self.transitions:
            if ticket.status in self.final or ticket.status not in transition.sources:
                continue
            try:
                self.check(ticket, transition.action, ctx)
            except TransitionError:
                continue
            legal.append(transition)
        return legal


def hold_resume_cancel(
    *, holdable: frozenset[str], on_hold: str, cancellable: frozenset[str], cancelled: str
) -> tuple[Transition, Transition, Transition]:
    """The side states every kind with holds shares: `hold` (from a holdable status, with a
    reason), `resume` (back to the status it had before, which must be holdable) and `cancel`
    (with a reason)."""

    def resume_target_known(ticket: Any, ctx: Any) -> str | None:
        if ticket.status_before_hold not in holdable:
            return "The status before the hold is unknown."
        return None

    return (
        Transition(
            "hold", "Put on hold", holdable, frozenset({on_hold}), required=("on_hold_reason",)
        ),
        Transition(
            "resume", "Resume", frozenset({on_hold}), holdable, guards=(resume_target_known,)
        ),
        Transition(
            "cancel", "Cancel", cancellable, frozenset({cancelled}), required=("cancel_reason",)
        ),
    )


def milestone_fields(
    statuses: type[TextChoices],
    *,
    without: frozenset[str] = frozenset(),
    named: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Each status's milestone timestamp: `<status>_at`, unless `named` gives another field;
    statuses in `without` (a hold, a status set at creation) stamp nothing."""
    named = named or {}
    return {
        str(status): named.get(status, f"{status}_at")
        for status in statuses.values
        if status not in without
    }
