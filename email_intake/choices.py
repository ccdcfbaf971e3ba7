"""Choices of the email channel."""

from django.db import models


class Security(models.TextChoices):
    TLS = "tls", "TLS (port 993)"
    STARTTLS = "starttls", "STARTTLS (port 143)"


class AuthMethod(models.TextChoices):
    PASSWORD = "password", "User and password"
    XOAUTH2 = "xoauth2", "OAuth 2.0 (XOAUTH2: Microsoft 365, Google)"


class SenderPolicy(models.TextChoices):
    ANYONE = "anyone", "Anyone (unknown senders get an end-user account)"
    KNOWN = "known", "Only people with an account"
    DOMAINS = "domains", "Only the listed domains"


class InboundStatus(models.TextChoices):
    """Where a stored message is. `pending` waits for processing, `processing` is claimed by a
    worker; the rest are final except `held` and `quarantined`, which an admin may retry."""

    PENDING = "pending", "Waiting"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Processed"
    IGNORED = "ignored", "Ignored (automatic mail)"
    REFUSED = "refused", "Refused"
    HELD = "held", "Held (too many from this sender)"
    QUARANTINED = "quarantined", "Quarantined (failed)"


class InboundOutcome(models.TextChoices):
    NEW_TICKET = "new_ticket", "New ticket"
    REPLY = "reply", "Reply on a ticket"
    APPROVAL = "approval", "Approval answer"
    PAGE_ACK = "page_ack", "Page acknowledgement"
    BOUNCE = "bounce", "Bounce of a notification"
    NONE = "", "None"
