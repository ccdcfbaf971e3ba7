from django.conf import settings
from django.db import models

from changes.choices import ChangeImpact, ChangeStatus, ChangeType, Decision, Risk
from changes.transitions import ACTIVE_STATUSES, OPEN_STATUSES
from core.models import TicketBase


class ChangeTemplate(models.Model):
    """A pre-approved standard change ("monthly OS patch rollout"): a standard change is opened
    from one, with its plans and risk filled in, and is scheduled without an approval step.
    Managers keep the templates; a retired one (`is_active` False) opens no new change."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    service = models.ForeignKey(
        "core.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.LOW)
    impact = models.CharField(
        max_length=10, choices=ChangeImpact.choices, default=ChangeImpact.NONE
    )
    implementation_plan = models.TextField()
    test_plan = models.TextField()
    backout_plan = models.TextField()
    # A patch rollout template: changes from it carry patch identifiers and per-CI statuses.
    is_patch = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Change(TicketBase):
    """A change to a service: standard (from a template), normal (assessed and approved by a
    change advisory group) or emergency (approved after the fact), worked from draft to closed.

    Status changes only through changes.services, checked against changes.transitions. The base
    `service` and `configuration_item` are the main ones; `services` and `configuration_items`
    name every one the change touches (the calendar's conflicts read them). `requester` is the
    person who raised the change. `approvals_required` is how many approvals of the advisory
    group it needs: one, or two while a service it touches has spent its error budget.
    """

    NUMBER_PREFIX = "CHG"

    status = models.CharField(
        max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT
    )
    change_type = models.CharField(
        max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    template = models.ForeignKey(
        ChangeTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    impact = models.CharField(max_length=10, choices=ChangeImpact.choices, blank=True)
    implementation_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    approval_group = models.ForeignKey(
        "core.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The change advisory group that approves it (normal and emergency changes).",
    )
    approvals_required = models.PositiveSmallIntegerField(default=1)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    outcome_notes = models.TextField(blank=True)
    review_notes = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)

    services = models.ManyToManyField("core.Service", blank=True, related_name="changes")
    configuration_items = models.ManyToManyField(
        "core.ConfigurationItem", blank=True, related_name="changes"
    )

    assessing_at = models.DateTimeField(null=True, blank=True)
    awaiting_approval_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    implementing_at = models.DateTimeField(null=True, blank=True)
    implemented_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    backed_out_at = models.DateTimeField(null=True, blank=True)
    in_review_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When the managers were told this emergency change is overdue for its approval (once).
    emergency_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="change_status_created"),
            # The calendar: planned or running changes by window.
            models.Index(
                fields=["planned_start", "planned_end"],
                name="change_active_window",
                condition=models.Q(status__in=sorted(ACTIVE_STATUSES)),
            ),
            models.Index(fields=["planned_start"], name="change_planned_start"),
            # DORA: implemented changes per service over time.
            models.Index(fields=["service", "implemented_at"], name="change_service_implemented"),
            # The emergency sweep: emergency changes still waiting for their approval.
            models.Index(
                fields=["implementing_at"],
                name="change_emergency_unapproved",
                condition=models.Q(change_type=ChangeType.EMERGENCY, approved_at__isnull=True),
            ),
            # The reminder sweep: those nobody was told about yet.
            models.Index(
                fields=["implementing_at"],
                name="change_emergency_unreminded",
                condition=models.Q(
                    change_type=ChangeType.EMERGENCY,
                    approved_at__isnull=True,
                    emergency_reminded_at__isnull=True,
                ),
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ChangeApproval(models.Model):
    """One member of the change advisory group's decision on a change (one per person). For an
    emergency change it is given after the fact."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "approver"], name="change_approval_once")
        ]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.decision} by {self.approver_id}"
