import re

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models

from core.choices import Priority
from core.models import RatedTicket
from service_requests.choices import (
    ApprovalMode,
    CancelReason,
    FieldType,
    HoldReason,
    RequestStatus,
)
from service_requests.transitions import OPEN_STATUSES

# Form field keys become HTML names and JSON keys: short identifiers, never the fixed fields.
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED_KEYS = frozenset({"details", "version", "csrfmiddlewaretoken"})


class CatalogCategory(models.Model):
    """A shelf of the service catalog ("Hardware", "Access"), shown in `order`."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "catalog categories"

    def __str__(self) -> str:
        return self.name


class CatalogItem(models.Model):
    """Something people can ask for ("New laptop"): who fulfils it, whether someone approves it
    first, the questions its form asks (CatalogField) and the checklist each request gets
    (CatalogTask).

    Approval: `manager` asks the requester's manager (core.User.manager); `group` asks any
    member of `approver_group`, a Django auth group kept apart from the support groups (approvers
    are often not agents: a security officer, a budget owner). A request snapshots the approver
    when it is submitted, so editing the item later never moves a pending approval.
    """

    category = models.ForeignKey(CatalogCategory, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.CharField(max_length=200, help_text="One line shown on the catalog card.")
    description = models.TextField(blank=True, help_text="Markdown, shown on the item's page.")
    support_group = models.ForeignKey(
        "core.SupportGroup",
        on_delete=models.PROTECT,
        related_name="catalog_items",
        help_text="The group that fulfils these requests.",
    )
    service = models.ForeignKey(
        "core.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="catalog_items",
        help_text="Optional: the service the request is about (SLA policies may depend on it).",
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P3)
    approval_mode = models.CharField(
        max_length=10, choices=ApprovalMode.choices, default=ApprovalMode.NONE
    )
    approver_group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="catalog_items_to_approve",
        help_text="Required when a named approver group approves.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category__order", "order", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.approval_mode == ApprovalMode.GROUP and self.approver_group_id is None:
            raise ValidationError({"approver_group": "Choose the group that approves."})
        if self.approval_mode != ApprovalMode.GROUP and self.approver_group_id is not None:
            raise ValidationError(
                {"approver_group": "Only used when a named approver group approves."}
            )

    @property
    def needs_approval(self) -> bool:
        return self.approval_mode != ApprovalMode.NONE


class CatalogField(models.Model):
    """One question on a catalog item's form. `key` names the answer in ServiceRequest.answers;
    `choices` (one per line) is used by choice fields, `min_value`/`max_value` by numbers."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="fields")
    key = models.CharField(
        max_length=40, help_text="Lowercase identifier, e.g. needed_by. Names the stored answer."
    )
    label = models.CharField(max_length=120)
    field_type = models.CharField(max_length=10, choices=FieldType.choices)
    required = models.BooleanField(default=True)
    help_text = models.CharField(max_length=300, blank=True)
    choices = models.TextField(blank=True, help_text="Choice fields: one option per line.")
    min_value = models.DecimalField(max_digits=15, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(max_digits=15, decimal_places=4, null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "key"], name="catalogfield_unique_key")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not FIELD_KEY.match(self.key or ""):
            errors["key"] = "Use lowercase letters, digits and _ (start with a letter)."
        elif self.key in RESERVED_KEYS:
            errors["key"] = f"'{self.key}' is reserved; choose another key."
        if self.field_type == FieldType.CHOICE and len(self.choice_list) < 2:
            errors["choices"] = "A choice field needs at least two options, one per line."
        if self.field_type != FieldType.CHOICE and self.choices.strip():
            errors["choices"] = "Only choice fields have options."
        numeric = self.field_type == FieldType.NUMBER
        if not numeric and (self.min_value is not None or self.max_value is not None):
            errors["min_value"] = "Only number fields have limits."
        if (
            numeric
            and self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            errors["max_value"] = "The maximum is below the minimum."
        if errors:
            raise ValidationError(errors)


class CatalogTask(models.Model):
    """One step of a catalog item's fulfilment checklist, copied onto every new request."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "fulfilment task"

    def __str__(self) -> str:
        return self.title


class ServiceRequest(RatedTicket):
    """A request for something from the catalog, worked through submitted -> (awaiting approval
    -> approved | rejected) -> in fulfilment -> fulfilled -> closed, with on_hold and cancelled.

    Status changes only through service_requests.services (one service per transition, checked
    against service_requests.transitions). `answers` holds the validated form answers keyed by
    CatalogField.key, as JSON values (text, number, ISO date, bool, user id). The approver is
    snapshotted at submission: `approver` (the requester's manager) or `approver_group`.
    """

    NUMBER_PREFIX = "REQ"

    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    catalog_item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="requests")
    answers = models.JSONField(default=dict, blank=True)

    approval_mode = models.CharField(
        max_length=10, choices=ApprovalMode.choices, default=ApprovalMode.NONE
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests_to_approve",
    )
    approver_group = models.ForeignKey(
        Group, on_delete=models.PROTECT, null=True, blank=True, related_name="requests_to_approve"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests_decided",
    )
    decision_comment = models.TextField(blank=True)

    on_hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)
    status_before_hold = models.CharField(max_length=20, choices=RequestStatus.choices, blank=True)
    fulfilment_notes = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=25, choices=CancelReason.choices, blank=True)

    submitted_at = models.DateTimeField()
    approval_requested_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    fulfilment_started_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "service request"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["sla_due_at", "id"],
                name="request_open_sla_due",
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(fields=["support_group", "status"], name="request_group_status"),
            models.Index(fields=["assignee", "status"], name="request_assignee_status"),
            models.Index(fields=["requester", "-created_at"], name="request_requester_created"),
            # The portal's "My tickets": keyset pages by last update (core.keyset); what its
            # filters read is in the index, so a filtered page or count reads no table rows.
            models.Index(
                fields=["requester", "-updated_at", "-id"],
                include=["status", "on_hold_reason"],
                name="request_requester_updated",
            ),
            # Approvers' "waiting for me": pending requests by approver or approver group.
            models.Index(
                fields=["approver", "created_at"],
                name="request_pending_approver",
                condition=models.Q(status=RequestStatus.AWAITING_APPROVAL),
            ),
            models.Index(
                fields=["approver_group", "created_at"],
                name="request_pending_group",
                condition=models.Q(status=RequestStatus.AWAITING_APPROVAL),
            ),
            # The auto-close sweep reads only fulfilled requests, oldest first.
            models.Index(
                fields=["fulfilled_at"],
                name="request_fulfilled_autoclose",
                condition=models.Q(status=RequestStatus.FULFILLED),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction_score__isnull=True)
                | models.Q(satisfaction_score__gte=1, satisfaction_score__lte=5),
                name="request_satisfaction_1_to_5",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestTask(models.Model):
    """One fulfilment step of a request (copied from CatalogTask); the request cannot be
    fulfilled while one is open. Ticked only through service_requests.services."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    is_done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="request_tasks_done",
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title
