from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.choices import EventKind, Source


class TimelineEvent(models.Model):
    """One append-only entry in a ticket's history: who (or the system), through what, what changed.

    The database refuses UPDATE and DELETE on this table (triggers in migration 0002), so the
    timeline is an audit trail the application itself cannot rewrite. `is_public` events are shown
    to the requester; internal notes and internal field changes are not.
    """

    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    ticket_id = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="timeline_events",
        help_text="Empty when the system acted.",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    is_public = models.BooleanField(default=True)
    comment = models.ForeignKey(
        "core.Comment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attachment = models.ForeignKey(
        "core.Attachment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # "What happened before this event" by id (MTBF's restoration, an incident's last
            # reopen) walks this one.
            models.Index(fields=["ticket_type", "ticket_id", "id"], name="timeline_ticket_idx"),
            # The ticket pages' newest entries (and each older page) read in this order, so a
            # page is an index range, never a sort of the ticket's whole history.
            models.Index(
                fields=["ticket_type", "ticket_id", "created_at", "id"], name="timeline_ticket_time"
            ),
            # Reporting (first-contact resolution, escalation rate) reads only tier moves.
            models.Index(
                fields=["ticket_type", "ticket_id"],
                name="timeline_tier_moves",
                condition=models.Q(kind__in=["escalated", "deescalated"]),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.from_status}->{self.to_status} at {self.created_at:%Y-%m-%d %H:%M}"
        )


class Comment(models.Model):
    """A public reply (the requester sees it) or an internal note (agents only) on a ticket."""

    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    ticket_id = models.BigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    # Through what it was written (web, api, email): the API and webhooks carry it.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket_type", "ticket_id"], name="comment_ticket_idx")]

    def __str__(self) -> str:
        return f"{'Note' if self.is_internal else 'Reply'} by {self.author_id}"


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # The stored name is random: the original name is only metadata, never a path.
    return f"attachments/{instance.created_at:%Y/%m}/{instance.token}"


class Attachment(models.Model):
    """A file attached to a ticket. Served only as a download (Content-Disposition: attachment,
    nosniff) after a scope check; never rendered inline."""

    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    ticket_id = models.BigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attachments"
    )
    token = models.CharField(max_length=40, unique=True)
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        # The ticket page lists a ticket's files a page at a time in this order.
        indexes = [
            models.Index(
                fields=["ticket_type", "ticket_id", "created_at", "id"],
                name="attachment_ticket_time",
            )
        ]

    def __str__(self) -> str:
        return self.original_name
