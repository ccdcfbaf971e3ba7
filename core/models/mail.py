from django.contrib.contenttypes.models import ContentType
from django.db import models


class SentEmail(models.Model):
    """The Message-ID of one email the desk queued about a ticket, so that a reply
    (In-Reply-To/References) finds its ticket and a bounce finds the notification it bounces.

    `purpose` says what the email asked for ("approval": an approval request, answerable by
    "approve" or "reject: reason"); `outbox_message_id` is the outbox row that sends it.
    """

    message_id = models.CharField(max_length=255, unique=True)
    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    ticket_id = models.BigIntegerField()
    purpose = models.CharField(max_length=20, default="notification")
    recipients = models.JSONField(default=list)
    outbox_message_id = models.BigIntegerField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket_type", "ticket_id"], name="sent_email_ticket")]

    def __str__(self) -> str:
        return self.message_id
