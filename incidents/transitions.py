"""The incident lifecycle as one table (DESIGN.md §4). Pure: no database, no settings reads.

Every status change goes through `check`, called by the one service per action in
incidents.services; the HTML shows exactly the actions `legal_actions` returns.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from core.exceptions import TransitionError
from incidents.choices import IncidentStatus as S


class IncidentState(Protocol):
    status: str
    status_before_hold: str
    resolved_at: datetime | None
    contained_at: datetime | None
    is_major: bool
    review_completed_at: datetime | None

    @property
    def needs_containment(self) -> bool: ...


@dataclass(frozen=True)
class Context:
    now: datetime
    reopen_window: timedelta


Guard = Callable[[IncidentState, Context], str | None]


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    targets: frozenset[str]
    required: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = field(default=())

    def target_for(self, incident: IncidentState) -> str:
        if len(self.targets) == 1:
            return next(iter(self.targets))
        # resume: back to where the incident was before it was put on hold
        return incident.status_before_hold


def _containment_first(incident: IncidentState, ctx: Context) -> str | None:
    if incident.needs_containment and incident.contained_at is None:
        return "Security and major incidents must be contained first."
    return None


def _within_reopen_window(incident: IncidentState, ctx: Context) -> str | None:
    if incident.resolved_at is None:
        return "The incident has no resolution time."
    if ctx.now - incident.resolved_at > ctx.reopen_window:
        days = ctx.reopen_window.days
        return (
            f"The reopen window ({days} days after resolution) has passed; report a new incident."
        )
    return None


def _review_completed_if_major(incident: IncidentState, ctx: Context) -> str | None:
    if incident.is_major and incident.review_completed_at is None:
        return "A major incident can be closed only after its post-incident review is completed."
    return None


def _resume_target_known(incident: IncidentState, ctx: Context) -> str | None:
    if incident.status_before_hold not in HOLDABLE:
        return "The status before the hold is unknown."
    return None


WORKING = frozenset({S.LOGGED, S.CLASSIFIED, S.CONTAINED, S.DIAGNOSED})
HOLDABLE = WORKING
CANCELLABLE = frozenset({S.IDENTIFIED, *WORKING, S.ON_HOLD})

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", "Accept (log)", frozenset({S.IDENTIFIED}), frozenset({S.LOGGED})),
        Transition(
            "classify",
            "Classify",
            frozenset({S.LOGGED}),
            frozenset({S.CLASSIFIED}),
            required=("category", "impact", "urgency", "service"),
        ),
        Transition(
            "contain",
            "Contain",
            frozenset({S.CLASSIFIED}),
            frozenset({S.CONTAINED}),
            required=("containment_notes",),
        ),
        Transition(
            "diagnose",
            "Record diagnosis",
            frozenset({S.CLASSIFIED, S.CONTAINED}),
            frozenset({S.DIAGNOSED}),
            required=("diagnosis_notes",),
            guards=(_containment_first,),
        ),
        Transition(
            "resolve",
            "Resolve",
            frozenset({S.CLASSIFIED, S.CONTAINED, S.DIAGNOSED}),
            frozenset({S.RESOLVED}),
            required=("resolution_code", "resolution_notes"),
            guards=(_containment_first,),
        ),
        Transition(
            "close",
            "Close",
            frozenset({S.RESOLVED}),
            frozenset({S.CLOSED}),
            guards=(_review_completed_if_major,),
        ),
        Transition(
            "reopen",
            "Reopen",
            frozenset({S.RESOLVED}),
            frozenset({S.CLASSIFIED}),
            required=("reason",),
            guards=(_within_reopen_window,),
        ),
        Transition(
            "hold",
            "Put on hold",
            HOLDABLE,
            frozenset({S.ON_HOLD}),
            required=("on_hold_reason",),
        ),
        Transition(
            "resume",
            "Resume",
            frozenset({S.ON_HOLD}),
            HOLDABLE,
            guards=(_resume_target_known,),
        ),
        Transition(
            "cancel",
            "Cancel",
            CANCELLABLE,
            frozenset({S.CANCELLED}),
            required=("cancel_reason",),
        ),
    )
}

FINAL = frozenset({S.CLOSED, S.CANCELLED})


def is_legal_pair(source: str, target: str) -> bool:
    """Whether any action moves an incident from `source` to `target` (ignoring guards)."""
    return any(source in t.sources and target in t.targets for t in TRANSITIONS.values())


def check(incident: IncidentState, action: str, ctx: Context) -> Transition:
    """Return the transition for `action` now, or raise TransitionError saying why not."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionError(f"Unknown action '{action}'.")
    status_label = S(incident.status).label if incident.status in S.values else incident.status
    if incident.status in FINAL:
        raise TransitionError(f"The incident is {status_label.lower()}; it cannot change anymore.")
    if incident.status not in transition.sources:
        raise TransitionError(
            f"Cannot {transition.label.lower()} an incident that is {status_label.lower()}."
        )
    for guard in transition.guards:
        reason = guard(incident, ctx)
        if reason:
            raise TransitionError(reason)
    return transition


def legal_actions(incident: IncidentState, ctx: Context) -> list[Transition]:
    """The actions that `check` would accept right now, in table order."""
    legal = []
    for action, transition in TRANSITIONS.items():
        try:
            check(incident, action, ctx)
        except TransitionError:
            continue
        legal.append(transition)
    return legal
