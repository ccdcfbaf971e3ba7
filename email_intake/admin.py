"""The Django admin shows mailboxes and stored mail read-mostly; mailboxes are edited on their
own pages (/email/mailboxes/), which keep secrets write-only and validate like the API."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from email_intake.models import InboundEmail, Mailbox, SenderNotice
from email_intake.services import SECRET_FIELDS


@admin.register(Mailbox)
class MailboxAdmin(ReadOnlyAdmin):
    list_display = ["name", "address", "ticket_kind", "is_active", "last_polled_at"]
    list_filter = ["is_active", "ticket_kind"]
    search_fields = ["name", "address"]
    exclude = list(SECRET_FIELDS)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "mailbox", "sender", "subject", "status", "outcome"]
    list_filter = ["status", "outcome", "mailbox"]
    search_fields = ["sender", "subject", "message_id"]
    list_select_related = ["mailbox"]
    raw_id_fields = ["comment", "released_by"]


@admin.register(SenderNotice)
class SenderNoticeAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "address", "reason", "mailbox"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
