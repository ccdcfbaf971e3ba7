"""Paging: who is woken up for a ticket, through what, and whether they answered.

- An **escalation policy** belongs to a support group (optionally narrowed to one service): ordered
  steps, each paging a schedule's on-call, named people or the whole group and then waiting for
  an acknowledgement; the policy repeats up to `repeat` times, then the page hands over to the
  next tier's policy (L1 -> L2 -> L3, moving the ticket like the SLA escalation does).
- A person's **contact methods** (email, a Slack-compatible webhook, a signed webhook for an
  SMS or voice gateway) and **notification rules** ("email at once, the webhook after 2
  minutes") say how a page reaches them.
- A **page** is one paging of one ticket: it carries a snapshot of every tier's policy taken
  when it started (`policy_snapshot`, oncall.paging.snapshot), so editing a policy never changes
  a page under way. Its deadline `next_at` lives here and the paging sweeper works it
  (oncall.paging.sweeper): never a long Celery ETA.
- A **page notification** is one message to one person through one method for one step of the
  page, due at `due_at` (the rule's delay); unique per (page, step, person, method), so a step
  notifies once even when two sweepers race. Its outbox row sends it.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from core.models import Service, SupportGroup
from oncall.models.schedules import Schedule


class StepTarget(models.TextChoices):
    SCHEDULE = "schedule", "The on-call of a schedule"
    PEOPLE = "people", "Specific people"
    GROUP = "group", "The whole group"


class EscalationPolicy(models.Model):
    """How a support group's tickets page people. `page_priorities` lists the priorities (1-5)
    whose tickets page as soon as they are opened or raised to them ("page for P1 and P2");
    `page_on_breach` pages when a ticket of the group breaches an SLA target. The policy with
    the ticket's service wins over the group's general one (`service` empty)."""

    support_group = models.ForeignKey(
        SupportGroup, on_delete=models.PROTECT, related_name="escalation_policies"
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalation_policies",
        help_text="Only for this service's tickets; empty: every ticket of the group.",
    )
    name = models.CharField(max_length=100)
    repeat = models.PositiveSmallIntegerField(
        default=0, help_text="Run the steps again this many times before handing over."
    )
    page_priorities = models.JSONField(default=list, blank=True)
    page_on_breach = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["support_group__tier", "support_group__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["support_group"],
                condition=Q(service__isnull=True),
                name="oncall_policy_one_per_group",
            ),
            models.UniqueConstraint(
                fields=["support_group", "service"],
                condition=Q(service__isnull=False),
                name="oncall_policy_one_per_service",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """One step: notify its targets, then wait `wait_minutes` for an acknowledgement."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    target = models.CharField(max_length=10, choices=StepTarget.choices)
    schedule = models.ForeignKey(
        Schedule, on_delete=models.PROTECT, null=True, blank=True, related_name="policy_steps"
    )
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="policy_steps"
    )
    wait_minutes = models.PositiveIntegerField(default=5)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="oncall_step_position"),
            models.CheckConstraint(condition=Q(wait_minutes__gt=0), name="oncall_step_wait_gt_0"),
        ]

    def __str__(self) -> str:
        return f"Step {self.position} of {self.policy_id}"


class ContactMethodKind(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack-compatible webhook"
    WEBHOOK = "webhook", "Signed webhook (SMS or voice gateway)"


class ContactMethod(models.Model):
    """One way to reach a person. `address` is an email address or an https URL; a signed
    webhook's `secret` signs its bodies like the outbound webhooks (shown once). A method that
    keeps failing is marked (`failing_since`, `last_error`); an inactive or failing method is
    not a working one, and a person without a working method is skipped."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=10, choices=ContactMethodKind.choices)
    label = models.CharField(max_length=100)
    address = models.CharField(max_length=500)
    secret = models.CharField(max_length=128, blank=True)
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "address"], name="oncall_contact_method_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_kind_display()})"

    @property
    def is_working(self) -> bool:
        return self.is_active and self.failing_since is None


class NotificationRule(models.Model):
    """Notify through `contact_method` this many minutes after the person is paged."""

    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.CASCADE, related_name="rules"
    )
    delay_minutes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["contact_method", "delay_minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact_method", "delay_minutes"], name="oncall_rule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_method_id} after {self.delay_minutes} min"


class PageStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    EXHAUSTED = "exhausted", "Nobody answered"
    CANCELLED = "cancelled", "Cancelled"


class PageReason(models.TextChoices):
    MANUAL = "manual", "Paged by hand"
    PRIORITY = "priority", "Priority"
    ALERT = "alert", "Alert integration"
    SLA_BREACH = "sla_breach", "SLA breach"


class Page(models.Model):
    """One paging of one ticket (any kind, through the kernel's registry).

    `policy_snapshot` is the escalation taken when the page started (oncall.paging.snapshot):
    a list of tiers, each with its group, policy, repeat count and steps. The position is
    (`tier_index`, `round`, `step_index`); `next_at` is when the current step's wait ends, and
    the sweeper moves a triggered page on once it passes. `version` is bumped by every move, so
    a stale copy of the page can never move it twice.
    """

    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    ticket_id = models.BigIntegerField()
    ticket_number = models.CharField(max_length=20)
    ticket_title = models.CharField(max_length=200)
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    support_group = models.ForeignKey(
        SupportGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="pages"
    )
    status = models.CharField(
        max_length=12, choices=PageStatus.choices, default=PageStatus.TRIGGERED
    )
    reason = models.CharField(max_length=12, choices=PageReason.choices)
    message = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pages_triggered",
    )
    policy_snapshot = models.JSONField(default=list)
    tier_index = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=0)
    step_index = models.PositiveSmallIntegerField(default=0)
    step_started_at = models.DateTimeField()
    next_at = models.DateTimeField(null=True, blank=True)
    # The step whose notifications were written ("tier.round.step", oncall.paging.steps).
    notified_key = models.CharField(max_length=20, blank=True)
    version = models.PositiveIntegerField(default=1)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pages_acknowledged",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_via = models.CharField(max_length=10, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweeper's work list: triggered pages by deadline (small: only live pages).
            models.Index(
                fields=["next_at"],
                condition=Q(status="triggered"),
                name="oncall_page_due",
            ),
            models.Index(fields=["ticket_type", "ticket_id"], name="oncall_page_ticket"),
            models.Index(fields=["created_at"], name="oncall_page_created"),
            models.Index(fields=["support_group", "created_at"], name="oncall_page_group"),
        ]
        constraints = [
            # One live page per ticket: paging a ticket already paged joins that page.
            models.UniqueConstraint(
                fields=["ticket_type", "ticket_id"],
                condition=Q(status="triggered"),
                name="oncall_page_one_live_per_ticket",
            )
        ]

    def __str__(self) -> str:
        return f"Page {self.pk} of {self.ticket_number}"


class PageNotificationStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class PageNotification(models.Model):
    """One message of a page to one person through one contact method, for one step (`step_key`
    "tier.round.step") and rule (`delay_minutes`), due at `due_at`. The sweeper queues due
    ones (status queued, with their outbox row); delivery marks them sent or failed. An
    acknowledgement cancels those still scheduled. A person paged without any working method
    gets one row with `contact_method` empty and status skipped (the page moved on; managers
    were told)."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="notifications")
    step_key = models.CharField(max_length=20)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="page_notifications"
    )
    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method_kind = models.CharField(max_length=10, blank=True)
    method_label = models.CharField(max_length=100, blank=True)
    delay_minutes = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=10,
        choices=PageNotificationStatus.choices,
        default=PageNotificationStatus.SCHEDULED,
    )
    due_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    outbox_message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status="scheduled"),
                name="oncall_notification_due",
            ),
            models.Index(fields=["person", "due_at"], name="oncall_notification_person"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "step_key", "person", "contact_method", "delay_minutes"],
                name="oncall_notification_once",
            ),
            models.UniqueConstraint(
                fields=["page", "step_key", "person"],
                condition=Q(contact_method__isnull=True),
                name="oncall_notification_skip_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.page_id}/{self.step_key} to {self.person_id}"
