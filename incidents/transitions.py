"""The incident lifecycle as one table (DESIGN.md §4). Pure: no database, no settings reads.

Every status change goes through `check`, called by the one service per action in
incidents.services; the HTML shows exactly the actions `legal_actions` returns.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.lifecycle import Lifecycle, Transition, hold_resume_cancel, milestone_fields
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
    # What another app holds against closing (a major incident's open review action items),
    # read only when closing is being checked.
    close_refusal: str | None = None


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
    return ctx.close_refusal


WORKING = frozenset({S.LOGGED, S.CLASSIFIED, S.CONTAINED, S.DIAGNOSED})
HOLDABLE = WORKING
CANCELLABLE = frozenset({S.IDENTIFIED, *WORKING, S.ON_HOLD})
# Still being worked: queues, SLA sweeps and the backlog count these.
OPEN_STATUSES = frozenset(S) - {S.RESOLVED, S.CLOSED, S.CANCELLED}

LIFECYCLE = Lifecycle(
    noun="an incident",
    statuses=S,
    final=frozenset({S.CLOSED, S.CANCELLED}),
    initial=S.IDENTIFIED,
    open=OPEN_STATUSES,
    milestones=milestone_fields(S, without=frozenset({S.ON_HOLD})),
    transitions=(
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
        *hold_resume_cancel(
            holdable=HOLDABLE, on_hold=S.ON_HOLD, cancellable=CANCELLABLE, cancelled=S.CANCELLED
        ),
    ),
)
