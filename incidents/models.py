from django.db import models

from core.models import RatedTicket
from incidents.choices import (
    CancelReason,
    Category,
    HoldReason,
    Impact,
    IncidentStatus,
    ResolutionCode,
    Urgency,
)
from incidents.transitions import OPEN_STATUSES


class Incident(RatedTicket):
    """An unplanned interruption or degradation of a service, worked through the ITIL lifecycle.

    Status changes only through incidents.services (one service per transition, checked against
    incidents.transitions). Each milestone timestamp is set once per pass through the lifecycle;
    a reopen starts a new pass and clears resolved_at.
    """

    NUMBER_PREFIX = "INC"

    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.IDENTIFIED
    )
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.LOW)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.MEDIUM)
    is_major = models.BooleanField(default=False)

    on_hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)
    status_before_hold = models.CharField(max_length=20, choices=IncidentStatus.choices, blank=True)
    containment_notes = models.TextField(blank=True)
    diagnosis_notes = models.TextField(blank=True)
    resolution_code = models.CharField(max_length=20, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=25, choices=CancelReason.choices, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # Set once the post-incident review (problems app) is completed; a major incident cannot be
    # closed before (incidents.transitions).
    review_completed_at = models.DateTimeField(null=True, blank=True)
    # When the service was back for its users, which MTBF ends the outage at: set to the
    # resolution time on resolve unless an agent recorded it before; agents correct it (a
    # workaround restored service hours before the resolution). Cleared by a reopen (the
    # service is down again); the timeline keeps each pass's value.
    service_restored_at = models.DateTimeField("service restored at", null=True, blank=True)

    identified_at = models.DateTimeField()
    logged_at = models.DateTimeField(null=True, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)
    contained_at = models.DateTimeField(null=True, blank=True)
    diagnosed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Agent lists: open work by priority, by group, by assignee.
            models.Index(
                fields=["priority", "created_at"],
                name="incident_open_priority",
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # The triage queue's default order: time to breach, open incidents only.
            models.Index(
                fields=["sla_due_at", "id"],
                name="incident_open_sla_due",
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # The queue's tab counts (core.capped_counts): a window of at most LIST_COUNT_CAP + 1
            # open incidents with what the tabs, the visibility rule and the common filters
            # test, read from the index alone (PostgreSQL) instead of a sequential scan that
            # starts wherever another scan is and may read most of the table.
            models.Index(
                fields=["id"],
                include=[
                    "assignee",
                    "support_group",
                    "category",
                    "requester",
                    "priority",
                    "service",
                    "tier",
                ],
                name="incident_open_window",
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # The queue's tab counts from the tally (incidents.open_tally): the open restricted
            # incidents an agent sees as their requester.
            models.Index(
                fields=["requester"],
                name="incident_open_restricted",
                condition=models.Q(status__in=sorted(OPEN_STATUSES), category=Category.SECURITY),
            ),
            models.Index(fields=["support_group", "status"], name="incident_group_status"),
            models.Index(fields=["assignee", "status"], name="incident_assignee_status"),
            # End users' "my incidents".
            models.Index(fields=["requester", "-created_at"], name="incident_requester_created"),
            # The portal's "My tickets": keyset pages by last update (core.keyset); what its
            # filters read is in the index, so a filtered page or count reads no table rows.
            models.Index(
                fields=["requester", "-updated_at", "-id"],
                include=["status", "on_hold_reason"],
                name="incident_requester_updated",
            ),
            # Auto-close sweep and reporting by resolution time.
            models.Index(fields=["status", "resolved_at"], name="incident_status_resolved"),
            models.Index(fields=["service", "created_at"], name="incident_service_created"),
            # DORA: the incidents in each change's blame interval (changes.dora_sql), read from
            # the index alone: what the blame and the restore time need is included.
            models.Index(
                fields=["service", "identified_at"],
                include=["id", "service_restored_at", "resolved_at", "cancel_reason"],
                name="incident_service_identified",
            ),
            # Reporting: MTTA over the period, satisfaction over rated incidents.
            models.Index(fields=["logged_at"], name="incident_logged"),
            models.Index(
                fields=["satisfaction_at"],
                name="incident_rated",
                condition=models.Q(satisfaction_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction_score__isnull=True)
                | models.Q(satisfaction_score__gte=1, satisfaction_score__lte=5),
                name="incident_satisfaction_1_to_5",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def needs_containment(self) -> bool:
        """Security and major incidents must be contained before diagnosis or resolution."""
        return self.is_major or self.category == Category.SECURITY


class OpenTally(models.Model):
    """How many open incidents each support group, assignee and restriction holds, kept by the
    database itself (incidents.open_tally): triggers on the incidents' table add a row of +1 or
    -1 for every incident that becomes, stops being or moves while open, in the same
    transaction as the change; a task sums the rows every minute. The triage queue's tab counts
    read these few rows instead of counting the open incidents (issue 18).

    `restricted`: the incident is one its kind restricts (incidents.visibility). Not foreign
    keys in the database: a row is history, summed away; a deleted group or user moves its
    incidents first (their own foreign keys), which the triggers count."""

    support_group = models.ForeignKey(
        "core.SupportGroup",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    assignee = models.ForeignKey(
        "core.User",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    restricted = models.BooleanField()
    n = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.support_group_id}/{self.assignee_id}/{self.restricted}: {self.n:+d}"
