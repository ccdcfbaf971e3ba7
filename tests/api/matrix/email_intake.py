"""Permission matrix: /api/v1/mailboxes/ and /api/v1/inbound-emails/ (admins only; format in
tests/api/matrix/__init__.py)."""

from typing import Any

from email_intake.choices import InboundStatus
from email_intake.models import InboundEmail, Mailbox
from email_intake.store import store_message
from tests.api.matrix import Case, MatrixContext, statuses

ADMINS = statuses(end_user=403, agent=403, manager=403, admin=200)


def mailbox(ctx: MatrixContext) -> dict[str, Any]:
    found = Mailbox.objects.create(name="matrix", address="matrix@desk.example")
    return {"pk": found.pk}


def inbound(ctx: MatrixContext) -> dict[str, Any]:
    box = Mailbox.objects.create(name="matrix", address="matrix@desk.example")
    raw = b"From: someone@example.com\r\nSubject: Hi\r\nMessage-ID: <m@x>\r\n\r\nHello\r\n"
    stored, _ = store_message(box, raw)
    InboundEmail.objects.filter(pk=stored.pk).update(status=InboundStatus.IGNORED)
    return {"pk": stored.pk}


def new_mailbox(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"name": "new-box", "address": "new@desk.example", "ticket_kind": "incident"}


CASES = [
    Case("mailboxes-list", "get", ADMINS),
    Case(
        "mailboxes-list",
        "post",
        statuses(end_user=403, agent=403, manager=403, admin=201),
        body=new_mailbox,
    ),
    Case("mailboxes-detail", "get", ADMINS, setup=mailbox),
    Case("mailboxes-detail", "patch", ADMINS, setup=mailbox, body=lambda c, k: {"folder": "X"}),
    Case("mailboxes-detail", "put", ADMINS, setup=mailbox, body=new_mailbox),
    Case(
        "mailboxes-detail",
        "delete",
        statuses(end_user=403, agent=403, manager=403, admin=204),
        setup=mailbox,
        note="a mailbox without mail is deleted",
    ),
    Case("inbound-emails-list", "get", ADMINS),
    Case("inbound-emails-detail", "get", ADMINS, setup=inbound),
    Case(
        "inbound-emails-retry",
        "post",
        statuses(end_user=403, agent=403, manager=403, admin=409),
        setup=inbound,
        note="an ignored message cannot be retried",
    ),
]
