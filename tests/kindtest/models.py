from django.db import models

from core.models import TicketBase


class ChoreStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DOING = "doing", "Doing"
    ON_HOLD = "on_hold", "On hold"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ChoreHoldReason(models.TextChoices):
    AWAITING_PARTS = "awaiting_parts", "Awaiting parts"


class ChoreCancelReason(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"


class Chore(TicketBase):
    """A small job for the desk: queued, doing, done (test-only kind)."""

    NUMBER_PREFIX = "CHR"

    status = models.CharField(max_length=20, choices=ChoreStatus.choices, default="queued")
    on_hold_reason = models.CharField(max_length=20, choices=ChoreHoldReason.choices, blank=True)
    status_before_hold = models.CharField(max_length=20, blank=True)
    cancel_reason = models.CharField(max_length=20, choices=ChoreCancelReason.choices, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
