from django.db import models


class ChangeType(models.TextChoices):
    STANDARD = "standard", "Standard"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ASSESSING = "assessing", "Assessing"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SCHEDULED = "scheduled", "Scheduled"
    IMPLEMENTING = "implementing", "Implementing"
    IMPLEMENTED = "implemented", "Implemented"
    FAILED = "failed", "Failed"
    BACKED_OUT = "backed_out", "Backed out"
    IN_REVIEW = "in_review", "In review"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ChangeImpact(models.TextChoices):
    NONE = "none", "No user-visible impact"
    DEGRADED = "degraded", "Degraded while it runs"
    OUTAGE = "outage", "Planned outage"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class PatchStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


# Still exposed on a CI: not patched yet, or the patch failed there. Skipped means the CI does
# not need it (not affected, or retired).
PATCH_EXPOSED = (PatchStatus.PENDING, PatchStatus.FAILED)
