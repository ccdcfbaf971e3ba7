"""The shape of generated demo incidents: status mix, pace of work, ages, forced coverage, and
the row layouts the planner and the loader share. Tune the data here; the mechanics are in
demo.incidents.planner.

Statuses and choices are plain strings here: the planner runs once per incident (a million
times for the largest loads) and enum members cost more to compare and hash.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from core.choices import EventKind, Source
from incidents.choices import CancelReason, Category, HoldReason, Impact, IncidentStatus

IDENTIFIED = IncidentStatus.IDENTIFIED.value
LOGGED = IncidentStatus.LOGGED.value
CLASSIFIED = IncidentStatus.CLASSIFIED.value
CONTAINED = IncidentStatus.CONTAINED.value
DIAGNOSED = IncidentStatus.DIAGNOSED.value
RESOLVED = IncidentStatus.RESOLVED.value
CLOSED = IncidentStatus.CLOSED.value
ON_HOLD = IncidentStatus.ON_HOLD.value
CANCELLED = IncidentStatus.CANCELLED.value
STATUS_CHANGED = EventKind.STATUS_CHANGED.value
WEB = Source.WEB.value
EMAIL = Source.EMAIL.value
SYSTEM = Source.SYSTEM.value
SECURITY = Category.SECURITY.value
HIGH = Impact.HIGH.value
LEVELS = ("low", "medium", "high")  # Impact and Urgency share these values

DAY = 86_400.0
HOUR = 3_600.0
MINUTE = 60.0
HISTORY_DAYS = 730
# Report ages are drawn as youngest + span * u ** HISTORY_SKEW (u uniform): a desk that grew, with
# more recent history than old (demo.incidents.timing).
HISTORY_SKEW = 2.0

# Share of each status in generated data (per mille): one incident in ten still open, so a
# million incidents leave the 100,000 open ones of the benchmark data set (DESIGN.md §7).
STATUS_WEIGHTS: dict[str, int] = {
    IDENTIFIED: 15,
    LOGGED: 15,
    CLASSIFIED: 20,
    CONTAINED: 10,
    DIAGNOSED: 15,
    ON_HOLD: 25,
    RESOLVED: 10,
    CLOSED: 850,
    CANCELLED: 40,
}

# What the walks look like. Which statuses an incident passes on its way to where it ends, in
# which order, by which action, and what each stamps, comes from incidents.transitions.LIFECYCLE
# (demo.walks); here is only what the table leaves open. Where a hold or a cancellation came
# from, weighted:
ENTERED_FROM: dict[str, tuple[tuple[str, int], ...]] = {
    ON_HOLD: ((LOGGED, 2), (CLASSIFIED, 4), (CONTAINED, 1), (DIAGNOSED, 3)),
    CANCELLED: ((IDENTIFIED, 5), (LOGGED, 3), (CLASSIFIED, 2)),
}
# Optional stops, in walk order, and how often a walk that can pass one on its way does.
DETOURS: tuple[tuple[str, float], ...] = ((CONTAINED, 0.15), (DIAGNOSED, 0.6))
# The stop security and major incidents never skip (the table's guard on diagnose and resolve).
CONTAIN_FIRST = CONTAINED

# The actions of the table the demo writes something for (their timeline events, the fields
# they fill); tests check they are the table's.
ACCEPT, CLASSIFY, CLOSE, REOPEN = "accept", "classify", "close", "reopen"
# Minutes an action takes after the previous one for a P3 incident (low, high, mode); PACE
# makes other priorities faster or slower. A hold or a cancellation takes as long whatever
# the priority; closing is the requester's confirmation or, after the auto-close delay, the
# system's.
STEP_MINUTES: dict[str, tuple[float, float, float]] = {
    ACCEPT: (3, 165, 15),
    CLASSIFY: (2, 60, 8),
    "contain": (10, 240, 40),
    "diagnose": (30, 1_440, 180),
    "resolve": (20, 2_880, 240),
}
PACE: dict[int, float] = {1: 0.12, 2: 0.35, 3: 1.0, 4: 1.8, 5: 3.0}
UNPACED_MINUTES: dict[str, tuple[float, float, float]] = {
    "hold": (10, 600, 60),
    "cancel": (5, 240, 30),
}
CONFIRM_CLOSE_HOURS = (1, 72, 8)
AUTO_CLOSE_SHARE = 0.6
# Local hours at which people report problems, weighted (a working day with a lunch dip).
BUSINESS_HOURS = (8, 9, 10, 11, 12, 13, 14, 15, 16, 17)
BUSINESS_HOUR_CUM = tuple(accumulate((5, 12, 14, 12, 6, 10, 12, 11, 9, 6)))
OFF_HOURS_SHARE = 0.08
COMMENT_SHARE = 0.35
# Of the incidents that were resolved: how many were reopened once (and resolved again), and
# how many the requester rated; scores 1-5 weighted, lower when the resolution came late.
REOPEN_SHARE = 0.08
RATED_SHARE = 0.3
RATING_COMMENT_SHARE = 0.3
SCORES = (1, 2, 3, 4, 5)
SCORE_CUM = tuple(accumulate((3, 4, 11, 37, 45)))
SCORE_CUM_AFTER_BREACH = tuple(accumulate((12, 18, 30, 25, 15)))


@dataclass(frozen=True)
class Coverage:
    """A forced shape for the first incidents of a run, so every status and reason appears:
    `service` picks a failure of that service, `recent` a report within RECENT_DAYS."""

    status: str
    hold_reason: str = ""
    cancel_reason: str = ""
    security: bool = False
    major: bool = False
    service: str = ""
    recent: bool = False


# A cluster of recent incidents of one service and category, so recurrence detection
# (problems.recurrence: PROBLEM_RECURRENCE_MIN_INCIDENTS in PROBLEM_RECURRENCE_WINDOW_DAYS, by
# default 3 in 7 days) has something to propose; no demo problem links this service's incidents.
RECURRING_SERVICE = "Wi-Fi"
RECENT_DAYS = 4


COVERAGE: tuple[Coverage, ...] = (
    Coverage(IDENTIFIED),
    Coverage(LOGGED),
    Coverage(CLASSIFIED),
    Coverage(CONTAINED, security=True),
    Coverage(DIAGNOSED, major=True),
    Coverage(RESOLVED, security=True),
    Coverage(CLOSED, major=True),
    Coverage(CLOSED, security=True),
    *(Coverage(ON_HOLD, hold_reason=reason) for reason in HoldReason.values),
    *(Coverage(CANCELLED, cancel_reason=reason) for reason in CancelReason.values),
    *(
        Coverage(status, service=RECURRING_SERVICE, recent=True)
        for status in (CLASSIFIED, DIAGNOSED, RESOLVED, CLASSIFIED)
    ),
)

Row = dict[str, Any]
# Field order of the rows the planner produces (see demo.rows.RowWriter). Ids are
# reserved before planning (incidents) or right after (comments), so rows refer to each other
# without reading anything back. An incident row continues with the lifecycle's milestone
# fields (incident_fields).
INCIDENT_FIELDS = (
    "id",
    "number",
    "title",
    "description",
    "requester_id",
    "assignee_id",
    "support_group_id",
    "tier",
    "priority",
    "service_id",
    "configuration_item_id",
    "source",
    "status",
    "category",
    "impact",
    "urgency",
    "is_major",
    "on_hold_reason",
    "status_before_hold",
    "containment_notes",
    "diagnosis_notes",
    "resolution_code",
    "resolution_notes",
    "cancel_reason",
    "reopen_count",
    "created_at",
    "updated_at",
    "version",
    "sla_due_at",
    "sla_warn_at",
    "review_completed_at",
    "satisfaction_score",
    "satisfaction_comment",
    "satisfaction_at",
    "service_restored_at",
)


def incident_fields(milestones: Iterable[str]) -> tuple[str, ...]:
    """INCIDENT_FIELDS followed by the milestone fields (each once, in the given order)."""
    return (*INCIDENT_FIELDS, *dict.fromkeys(milestones))


EVENT_FIELDS = (
    "ticket_id",
    "comment_id",
    "ticket_type_id",
    "actor_id",
    "source",
    "kind",
    "from_status",
    "to_status",
    "changes",
    "message",
    "is_public",
    "created_at",
    "attachment_id",
)
EVENT_COMMENT = EVENT_FIELDS.index("comment_id")
EVENT_AT = EVENT_FIELDS.index("created_at")
COMMENT_FIELDS = (
    "id",
    "ticket_id",
    "ticket_type_id",
    "author_id",
    "body",
    "is_internal",
    "created_at",
)
COMMENT_ID, COMMENT_AT = 0, COMMENT_FIELDS.index("created_at")
CLOCK_FIELDS = (
    "ticket_type_id",
    "ticket_id",
    "metric",
    "policy_id",
    "snapshot",
    "state",
    "started_at",
    "target",
    "due_at",
    "warn_at",
    "next_deadline_at",
    "stage",
    "pauses",
    "paused_at",
    "breached_at",
    "stopped_at",
    "elapsed_business_seconds",
    "paused_seconds",
    "generation",
    "updated_at",
)
