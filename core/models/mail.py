from django.contrib.contenttypes.models import ContentType
from django.db import models


class TicketEmail(models.Model):
    """A Message-ID known to belong to a ticket's email thread: one the desk wrote (`direction`
    "out": a notification, an approval request) or one it received and turned into the ticket or
    a reply ("in"). A reply's In-Reply-To/References find the ticket here, a bounce finds the
    notification it bounces, and outgoing mail threads on the ticket's earlier messages.

    `purpose` says what an outgoing email asked for ("approval": an approval request, answerable
    by "approve" or "reject: reason"); `outbox_message_id` is the outbox row that sends it.
    """

    message_id = models.CharField(max_length=255, unique=True)
    direction = models.CharField(max_length=3, default="out")
    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    ticket_id = models.BigIntegerField()
    purpose = models.CharField(max_length=20, default="notification")
    recipients = models.JSONField(default=list, blank=True)
    outbox_message_id = models.BigIntegerField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket_type", "ticket_id"], name="ticket_email_ticket")]

    def __str__(self) -> str:
        return self.message_id
