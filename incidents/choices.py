from django.db import models

# Shared with problems (core.choices); incidents modules keep naming it from here.
from core.choices import Category  # noqa: F401


class IncidentStatus(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    LOGGED = "logged", "Logged"
    CLASSIFIED = "classified", "Classified"
    CONTAINED = "contained", "Contained"
    DIAGNOSED = "diagnosed", "Diagnosed"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"


class Impact(models.TextChoices):
    HIGH = "high", "High — many users or a whole service"
    MEDIUM = "medium", "Medium — a team or part of a service"
    LOW = "low", "Low — one person"


class Urgency(models.TextChoices):
    HIGH = "high", "High — work has stopped"
    MEDIUM = "medium", "Medium — work is slowed down"
    LOW = "low", "Low — can wait"


class HoldReason(models.TextChoices):
    AWAITING_USER = "awaiting_user", "Awaiting user"
    AWAITING_VENDOR = "awaiting_vendor", "Awaiting vendor"
    AWAITING_CHANGE = "awaiting_change", "Awaiting change"
    AWAITING_PROBLEM = "awaiting_problem", "Awaiting problem"


# Whom a paused SLA waits for, by hold reason, in the requester's words.
WAITING_FOR: dict[str, str] = {
    HoldReason.AWAITING_USER.value: "you",
    HoldReason.AWAITING_VENDOR.value: "a vendor",
    HoldReason.AWAITING_CHANGE.value: "a planned change",
    HoldReason.AWAITING_PROBLEM.value: "the fix of an underlying problem",
}


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed"
    WORKAROUND = "workaround", "Workaround applied"
    CONFIGURATION = "configuration", "Configuration change"
    USER_ERROR = "user_error", "User error / training"
    NO_FAULT_FOUND = "no_fault_found", "No fault found"
    VENDOR_FIX = "vendor_fix", "Fixed by vendor"


class CancelReason(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate"
    NOT_AN_INCIDENT = "not_an_incident", "Not an incident"
    CONVERTED_TO_REQUEST = "converted_to_request", "Converted to a service request"
