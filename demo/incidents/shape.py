"""The shape of generated demo incidents: status mix, pace of work, ages, forced coverage, and
the row layouts the planner and the loader share. Tune the data here; the mechanics are in
demo.incidents.planner.

Statuses and choices are plain strings here: the planner runs once per incident (a million
times for the largest loads) and enum members cost more to compare and hash.
"""

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
OPEN = frozenset((IDENTIFIED, LOGGED, CLASSIFIED, CONTAINED, DIAGNOSED, ON_HOLD))

# Minutes from one milestone to the next for a P3 incident (low, high, mode); PACE makes other
# priorities faster or slower.
STEP_MINUTES: dict[str, tuple[float, float, float]] = {
    LOGGED: (3, 120, 15),
    CLASSIFIED: (2, 60, 8),
    CONTAINED: (10, 240, 40),
    DIAGNOSED: (30, 1_440, 180),
    RESOLVED: (20, 2_880, 240),
}
PACE: dict[int, float] = {1: 0.12, 2: 0.35, 3: 1.0, 4: 1.8, 5: 3.0}
HOLD_AFTER_MINUTES = (10, 600, 60)
CANCEL_AFTER_MINUTES = (5, 240, 30)
CONFIRM_CLOSE_HOURS = (1, 72, 8)
AUTO_CLOSE_SHARE = 0.6
# Local hours at which people report problems, weighted (a working day with a lunch dip).
BUSINESS_HOURS = (8, 9, 10, 11, 12, 13, 14, 15, 16, 17)
BUSINESS_HOUR_CUM = tuple(accumulate((5, 12, 14, 12, 6, 10, 12, 11, 9, 6)))
OFF_HOURS_SHARE = 0.08
HOLD_FROM = (LOGGED, CLASSIFIED, CONTAINED, DIAGNOSED)
HOLD_FROM_CUM = tuple(accumulate((2, 4, 1, 3)))
CANCEL_FROM = (IDENTIFIED, LOGGED, CLASSIFIED)
CANCEL_FROM_CUM = tuple(accumulate((5, 3, 2)))
COMMENT_SHARE = 0.35

MILESTONE_FIELD: dict[str, str] = {
    LOGGED: "logged_at",
    CLASSIFIED: "classified_at",
    CONTAINED: "contained_at",
    DIAGNOSED: "diagnosed_at",
    RESOLVED: "resolved_at",
    CLOSED: "closed_at",
    CANCELLED: "cancelled_at",
}


@dataclass(frozen=True)
class Coverage:
    """A forced shape for the first incidents of a run, so every status and reason appears."""

    status: str
    hold_reason: str = ""
    cancel_reason: str = ""
    security: bool = False
    major: bool = False


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
)

Row = dict[str, Any]
# Field order of the rows the planner produces (see demo.rows.RowWriter). Ids are
# reserved before planning (incidents) or right after (comments), so rows refer to each other
# without reading anything back.
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
    "identified_at",
    "created_at",
    "updated_at",
    "version",
    "logged_at",
    "classified_at",
    "contained_at",
    "diagnosed_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
    "sla_due_at",
    "sla_warn_at",
    "review_completed_at",
)
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
