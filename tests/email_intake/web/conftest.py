"""Fixtures of the email channel's pages and API tests: mailboxes and stored messages in any
status, on a ticket or not."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.choices import Role
from core.models import Comment, TicketBase, User
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.models import InboundEmail, Mailbox
from email_intake.store import store_message
from service_requests.models import CatalogCategory, CatalogItem
from tests.factories import UserFactory

SECRET = "hunter2-very-secret"


def raw_message(n: int = 0, *, sender: str = "alice@example.com") -> bytes:
    return (
        f"From: Alice <{sender}>\r\n"
        "To: help@desk.example\r\n"
        "Cc: bob@example.com\r\n"
        "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n"
        f"Subject: =?utf-8?q?Caf=C3=A9_printer_{n}?=\r\n"
        f"Message-ID: <msg-{n}@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "<script>alert(1)</script> The printer is broken.\r\n"
    ).encode()


@pytest.fixture
def group_admin(db: None) -> User:
    """An admin by role (not a superuser)."""
    return UserFactory(username="group-admin", role=Role.ADMIN)


@pytest.fixture
def mailbox(db: None) -> Mailbox:
    return Mailbox.objects.create(
        name="helpdesk",
        address="help@desk.example",
        host="imap.desk.example",
        username="help",
        password=SECRET,
        oauth_client_secret=SECRET + "-client",
        oauth_refresh_token=SECRET + "-refresh",
    )


@pytest.fixture
def catalog_item(l1_group: Any) -> CatalogItem:
    category = CatalogCategory.objects.create(name="Hardware", slug="hardware")
    return CatalogItem.objects.create(
        category=category, slug="laptop", name="Laptop", summary="A laptop", support_group=l1_group
    )


@pytest.fixture
def make_inbound(mailbox: Mailbox) -> Callable[..., InboundEmail]:
    counter = iter(range(10_000))

    def make(
        status: str = InboundStatus.REFUSED,
        *,
        box: Mailbox | None = None,
        ticket: TicketBase | None = None,
        comment: Comment | None = None,
        outcome: str = "",
        reason: str = "Unknown sender",
    ) -> InboundEmail:
        inbound, _ = store_message(box or mailbox, raw_message(next(counter)))
        inbound.status = status
        inbound.reason = reason
        inbound.attempts = 1
        inbound.outcome = outcome or (InboundOutcome.NEW_TICKET if ticket and not comment else "")
        if ticket is not None:
            inbound.ticket_type = ContentType.objects.get_for_model(type(ticket))
            inbound.ticket_id = ticket.pk
            inbound.outcome = outcome or (
                InboundOutcome.REPLY if comment else InboundOutcome.NEW_TICKET
            )
        inbound.comment = comment
        inbound.processed_at = timezone.now()
        inbound.save()
        return inbound

    return make
