"""Mailboxes, every message they delivered (stored before anything else happens to it), and
the polite notices sent to refused senders."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from email_intake.choices import (
    AuthMethod,
    InboundOutcome,
    InboundStatus,
    Security,
    SenderPolicy,
)


class Mailbox(models.Model):
    """One address the desk reads over IMAP. New mail opens a ticket of `ticket_kind` (a kind
    name of the registry: "incident", "request") with the defaults below; replies thread onto
    their tickets whatever the mailbox. A mailbox without a host is fed only by
    `manage.py mail_import` (the embedded default)."""

    name = models.SlugField(max_length=60, unique=True, help_text="Used by mail_check NAME.")
    address = models.EmailField(unique=True, help_text="What people write to; Reply-To of mail.")
    is_active = models.BooleanField(default=True)
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    verify_certificate = models.BooleanField(
        default=True,
        help_text=(
            "Off accepts a self-signed or otherwise untrusted certificate: the connection is "
            "still encrypted, but anyone on the way could pose as the server."
        ),
    )
    auth_method = models.CharField(
        max_length=10, choices=AuthMethod.choices, default=AuthMethod.PASSWORD
    )
    username = models.CharField(max_length=255, blank=True)
    # Secrets: written by admins, never shown back (forms and the API take them write-only).
    password = models.CharField(max_length=255, blank=True)
    oauth_token_url = models.URLField(max_length=500, blank=True)
    oauth_client_id = models.CharField(max_length=255, blank=True)
    oauth_client_secret = models.CharField(max_length=500, blank=True)
    oauth_refresh_token = models.TextField(blank=True)
    oauth_scope = models.CharField(max_length=500, blank=True)
    folder = models.CharField(max_length=200, default="INBOX")
    processed_folder = models.CharField(
        max_length=200, blank=True, help_text="Empty: processed mail is flagged and stays."
    )
    ticket_kind = models.CharField(max_length=20, default="incident")
    support_group = models.ForeignKey(
        "core.SupportGroup", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        "core.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    catalog_item = models.ForeignKey(
        "requests.CatalogItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="What new mail requests (service-request mailboxes only).",
    )
    sender_policy = models.CharField(
        max_length=10, choices=SenderPolicy.choices, default=SenderPolicy.ANYONE
    )
    allowed_domains = models.TextField(blank=True, help_text="One domain per line.")
    poll_interval_seconds = models.PositiveIntegerField(default=60)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def domains(self) -> list[str]:
        return [
            line.strip().lower().lstrip("@")
            for line in self.allowed_domains.splitlines()
            if line.strip()
        ]


def inbound_raw_upload_to(instance: "InboundEmail", filename: str) -> str:
    return f"email/{instance.received_at:%Y/%m}/{filename}"


class InboundEmail(models.Model):
    """One message a mailbox delivered, stored (raw source included) before it is processed,
    exactly once per (mailbox, message_key): the Message-ID, or "sha256:<hex>" of the source
    when it has none. Never deleted by the application."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    message_key = models.CharField(max_length=255)
    message_id = models.CharField(max_length=255, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    raw = models.FileField(upload_to=inbound_raw_upload_to, max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=12, choices=InboundStatus.choices, default=InboundStatus.PENDING
    )
    outcome = models.CharField(
        max_length=12, choices=InboundOutcome.choices, default=InboundOutcome.NONE, blank=True
    )
    reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    ticket_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ticket_id = models.BigIntegerField(null=True, blank=True)
    comment = models.ForeignKey(
        "core.Comment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    # An admin who let a held or quarantined message through again (the sender's rate limit
    # no longer holds it).
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_key"], name="inbound_email_once_per_mailbox"
            )
        ]
        indexes = [
            # The processing sweep: what waits, oldest first.
            models.Index(
                fields=["status", "id"],
                name="inbound_email_waiting",
                condition=models.Q(status__in=["pending", "processing"]),
            ),
            # The refused-mail log.
            models.Index(
                fields=["status", "-received_at"],
                name="inbound_email_refused",
                condition=models.Q(status__in=["refused", "held", "quarantined", "ignored"]),
            ),
            # A sender's rate (held past N a minute).
            models.Index(fields=["sender", "received_at"], name="inbound_email_sender"),
            models.Index(fields=["ticket_type", "ticket_id"], name="inbound_email_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.message_key} ({self.status})"


class SenderNotice(models.Model):
    """A polite auto-reply sent to a refused sender: at most one per (address, reason) in
    EMAIL_INTAKE_NOTICE_HOURS, so a sender is told once, not once per message."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=254)
    reason = models.CharField(max_length=30)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["address", "reason", "sent_at"], name="sender_notice")]

    def __str__(self) -> str:
        return f"{self.reason} to {self.address}"


__all__ = ["InboundEmail", "Mailbox", "SenderNotice"]
