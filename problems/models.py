from django.conf import settings
from django.db import models

from core.choices import Category
from core.models import TicketBase
from problems.choices import ProblemStatus, ProposalStatus, ReviewStatus
from problems.transitions import OPEN_STATUSES


class Problem(TicketBase):
    """The underlying cause of one or more incidents, worked from new to closed.

    Status changes only through problems.services (one service per transition, checked against
    problems.transitions). A problem becomes a *known error* once its root cause and workaround
    are recorded; from then (`known_error_at`) its workaround is published to agents and to the
    requesters of matching incidents. `requester` is the person who raised the problem.
    """

    NUMBER_PREFIX = "PRB"

    status = models.CharField(
        max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.NEW
    )
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)

    symptoms = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    workaround = models.TextField(
        blank=True, help_text="Published to agents and requesters once it is a known error."
    )
    permanent_fix = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)

    investigating_at = models.DateTimeField(null=True, blank=True)
    known_error_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    incidents = models.ManyToManyField(
        "incidents.Incident", through="ProblemIncident", related_name="problems", blank=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="problem_status_created"),
            # The known-error lookups of the incident page: by service, by CI.
            models.Index(
                fields=["service"],
                name="problem_known_error_service",
                condition=models.Q(status=ProblemStatus.KNOWN_ERROR),
            ),
            models.Index(
                fields=["configuration_item"],
                name="problem_known_error_ci",
                condition=models.Q(status=ProblemStatus.KNOWN_ERROR),
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_known_error(self) -> bool:
        return self.status == ProblemStatus.KNOWN_ERROR


class ProblemIncident(models.Model):
    """An incident linked to a problem. Linking changes nothing on the incident by itself (no
    hold, no SLA pause); an agent may put it on hold "awaiting problem" separately."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="problem_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], name="problem_incident_unique")
        ]
        indexes = [
            models.Index(fields=["incident"], name="problem_link_incident"),
            # The problem page's linked incidents, a page at a time in link order (keyset on
            # linked_at, id): without it the page read and sorted every link of the problem.
            models.Index(fields=["problem", "linked_at", "id"], name="problem_link_linked_at"),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} ↔ {self.incident_id}"


class RecurrenceProposal(models.Model):
    """A cluster of recent incidents on one service and category, not linked to any problem,
    proposed as a problem by the recurrence detector.

    `cluster_key` is unique: the detector never stores the same cluster twice, and incidents that
    were part of any proposal (open, accepted or dismissed) never count towards a new one, so a
    dismissed cluster stays dismissed.
    """

    cluster_key = models.CharField(max_length=80, unique=True)
    service = models.ForeignKey("core.Service", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    incidents = models.ManyToManyField("incidents.Incident", related_name="recurrence_proposals")
    incident_count = models.PositiveIntegerField()
    first_seen_at = models.DateTimeField(help_text="When the oldest incident was reported.")
    last_seen_at = models.DateTimeField(help_text="When the newest incident was reported.")
    problem = models.ForeignKey(
        Problem, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="proposal_status_created")]

    def __str__(self) -> str:
        return f"{self.incident_count} {self.category} incidents on service {self.service_id}"


class PostIncidentReview(models.Model):
    """The blameless review of a major incident: what happened (its timeline, assembled from the
    incident's events), impact, detection, response, root cause, what went well and what to
    improve, with action items. Completing it records the completion on the incident (through
    the incident kind's `Review` in the kind registry), which a major incident needs before it
    can be closed. A completed review is read-only."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.PROTECT, related_name="post_incident_review"
    )
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    detection = models.TextField(blank=True)
    response = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    went_well = models.TextField("What went well", blank=True)
    to_improve = models.TextField("What to improve", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Review of {self.incident_id}"

    @property
    def is_completed(self) -> bool:
        return self.status == ReviewStatus.COMPLETED


class ReviewActionItem(models.Model):
    """Something the review decided to improve, with an owner and a due date."""

    review = models.ForeignKey(
        PostIncidentReview, on_delete=models.CASCADE, related_name="action_items"
    )
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    is_done = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.description


class LinkTally(models.Model):
    """How many incidents each problem links, by whether they are open and restricted, kept by
    the database itself (problems.link_tally): triggers on the links and on the linked
    incidents add a row of +1 or -1 for every link made or removed and every linked incident
    that opens, closes or changes restriction, in the same transaction; a task sums the rows
    every minute. The problem page's counts read these few rows instead of every link and its
    incident (issue 18).

    A restricted incident's row names its assignee and requester, who see it (as the linked
    kind's restriction says, core.tickets.visibility); any other row names nobody. Not foreign
    keys in the database: a row is history, summed away."""

    problem = models.ForeignKey(
        Problem, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    restricted = models.BooleanField()
    open = models.BooleanField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    n = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.problem_id}/{self.restricted}/{self.open}: {self.n:+d}"
