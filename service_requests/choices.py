from django.db import models


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"
    FULFILLED = "fulfilled", "Fulfilled"
    CLOSED = "closed", "Closed"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"


class ApprovalMode(models.TextChoices):
    """Who approves a catalog item's requests before fulfilment."""

    NONE = "none", "No approval"
    MANAGER = "manager", "The requester's manager"
    GROUP = "group", "A named approver group"


class FieldType(models.TextChoices):
    TEXT = "text", "Text (one line)"
    LONG_TEXT = "long_text", "Text (several lines)"
    NUMBER = "number", "Number"
    CHOICE = "choice", "Choice"
    DATE = "date", "Date"
    YES_NO = "yes_no", "Yes / no"
    USER = "user", "User picker"


class HoldReason(models.TextChoices):
    AWAITING_USER = "awaiting_user", "Awaiting user"
    AWAITING_VENDOR = "awaiting_vendor", "Awaiting vendor"
    AWAITING_DELIVERY = "awaiting_delivery", "Awaiting delivery"


class CancelReason(models.TextChoices):
    WITHDRAWN = "withdrawn", "Withdrawn by the requester"
    DUPLICATE = "duplicate", "Duplicate"
    NOT_FEASIBLE = "not_feasible", "Cannot be fulfilled"
    CONVERTED_TO_INCIDENT = "converted_to_incident", "Converted to an incident"
