"""Closing a change, and closing the loop: an implemented change is the permanent fix of the
problems linked to it, so closing it (close, or close_review) can resolve each open one through
the closed loop the problem kind declares in the kind registry (which then resolves the
problem's open incidents), all or nothing per problem. A problem that cannot be resolved yet
is reported with the reason; the others still go through.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from changes.models import Change
from changes.services.creation import clean_text
from core.choices import Source
from core.exceptions import DomainError, ValidationFailed
from core.models import User
from core.tickets.events import linked_resolved_event
from core.tickets.executor import transition_run
from core.tickets.kinds import ClosedLoop, TicketKind, kind_named

FIXED_KIND = "problem"


@dataclass(frozen=True)
class ProblemOutcome:
    """What closing the loop did to one linked problem (and, through it, its incidents)."""

    number: str
    resolved: bool
    reason: str = ""
    # The problem's own closed loop: each incident's outcome (number, resolved, reason).
    incidents: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class ChangeClosure:
    change: Change
    outcomes: list[ProblemOutcome]


def fixed_kind() -> TicketKind:
    return kind_named(FIXED_KIND)


def _loop() -> ClosedLoop:
    loop = fixed_kind().closed_loop
    if loop is None:
        raise LookupError(f"the {FIXED_KIND} kind declares no closed loop")
    return loop


def was_implemented(change: Change) -> bool:
    """Whether the change went in and stayed (not failed, not backed out): only then does it
    fix anything."""
    return (
        change.implemented_at is not None
        and change.failed_at is None
        and change.backed_out_at is None
    )


def open_fixed_problems(change: Change) -> Any:
    """The problems the change fixes that are still being worked on, by number."""
    kind = fixed_kind()
    # Typed loosely: the problem model is reached through the registry, not imported.
    manager: Any = kind.model._default_manager
    return manager.filter(
        change_links__change=change, status__in=sorted(kind.lifecycle.open)
    ).order_by("number")


def change_close(
    change: Change,
    *,
    actor: User,
    resolve_problems: bool | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ChangeClosure:
    """implemented -> closed (final); with `resolve_problems` (by default for an implemented
    change), each open problem it fixes is resolved with it."""
    return _close(
        change,
        "close",
        actor=actor,
        resolve_problems=resolve_problems,
        source=source,
        expected_version=expected_version,
        values={},
    )


def change_close_review(
    change: Change,
    *,
    actor: User,
    review_notes: str,
    resolve_problems: bool | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ChangeClosure:
    """in review -> closed (final) with what the review found; an implemented change may
    resolve the problems it fixes as it closes (by default it does)."""
    notes = clean_text(review_notes, "review_notes")
    return _close(
        change,
        "close_review",
        actor=actor,
        resolve_problems=resolve_problems,
        source=source,
        expected_version=expected_version,
        values={"review_notes": notes},
        message=notes,
    )


def _close(
    change: Change,
    action: str,
    *,
    actor: User,
    resolve_problems: bool | None,
    source: str,
    expected_version: int | None,
    values: dict[str, Any],
    message: str = "",
) -> ChangeClosure:
    if resolve_problems is None:
        resolve_problems = was_implemented(change)
    if resolve_problems and not was_implemented(change):
        raise ValidationFailed(
            {"resolve_problems": "Only an implemented change fixes the problems linked to it."}
        )
    closed = transition_run(
        change,
        action=action,
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=values,
        message=message,
        is_public=False,
    )
    outcomes = (
        change_resolve_problems(closed, actor=actor, source=source) if (resolve_problems) else []
    )
    return ChangeClosure(closed, outcomes)


def _reason(error: DomainError) -> str:
    if isinstance(error, ValidationFailed):
        return " ".join(error.errors.values())
    return str(error)


def change_resolve_problems(
    change: Change, *, actor: User, source: str = Source.WEB
) -> list[ProblemOutcome]:
    """Resolve each open problem the (implemented) change fixes with the change's number and
    implementation as its permanent fix, then the problem's open incidents. Each problem on its
    own, all or nothing; one that refuses (no root cause recorded yet...) is reported."""
    notes = f"Fixed by change {change.number}: {change.title}\n\n{change.implementation_plan}"
    loop = _loop()
    outcomes: list[ProblemOutcome] = []
    for problem in open_fixed_problems(change):
        try:
            with transaction.atomic():
                result = loop.resolve_with_fix(
                    problem,
                    actor=actor,
                    resolution_code=loop.resolution_codes[0][0],
                    notes=notes,
                    source=source,
                )
        except DomainError as exc:
            outcomes.append(ProblemOutcome(problem.number, resolved=False, reason=_reason(exc)))
        else:
            incidents = list(getattr(result, "outcomes", []))
            outcomes.append(ProblemOutcome(problem.number, resolved=True, incidents=incidents))
    if outcomes:
        with transaction.atomic():
            linked_resolved_event(
                change,
                actor=actor,
                source=source,
                noun="problems",
                resolved_with="Resolved with this change",
                resolved=[o.number for o in outcomes if o.resolved],
                refused=[f"{o.number} ({o.reason})" for o in outcomes if not o.resolved],
            )
    return outcomes
