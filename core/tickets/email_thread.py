"""The email thread of a ticket: the Message-IDs the desk writes and how its mail threads.

Every email about a ticket gets a Message-ID decided when its outbox row is written (a retried
send keeps it) and is recorded as a `TicketEmail`. Mail clients thread by `In-Reply-To` and
`References` (RFC 5322 §3.6.4): every notification replies to the ticket's first message — the
first email it received when it came by email, else a stable per-ticket root id that is never
sent itself but which every notification references — and lists the root plus the most recent
earlier ids, so a client that only kept part of the thread still joins it.
"""

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet, Subquery
from django.utils import timezone

from core.models import TicketBase, TicketEmail

# References grows with every message; mail servers and clients cap header lengths, so only the
# root(s) and the latest earlier messages are listed (RFC 5322 allows trimming the middle).
REFERENCES_RECENT = 10

_DOMAIN_UNSAFE = re.compile(r"[^A-Za-z0-9.-]")


class EmailDirection:
    OUT = "out"
    IN = "in"


class EmailPurpose:
    NOTIFICATION = "notification"
    APPROVAL = "approval"
    # A page of the on-call (oncall.paging.delivery): a reply "ack" acknowledges the page.
    PAGE = "page"
    INBOUND = "inbound"


def message_id_domain() -> str:
    """EMAIL_MESSAGE_ID_DOMAIN, else DEFAULT_FROM_EMAIL's domain, else "localhost"; only the
    characters a domain may hold, so the id can never carry a header of its own."""
    domain = settings.EMAIL_MESSAGE_ID_DOMAIN.strip()
    if not domain:
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return _DOMAIN_UNSAFE.sub("", domain) or "localhost"


def message_id_new(ticket: TicketBase) -> str:
    """A fresh, unguessable Message-ID naming the ticket: `<INC-000123.<80 random bits>@d>`.
    Short, so that the header usually fits on one line (a folded Message-ID is legal, but some
    parsers keep the fold's space)."""
    number = _DOMAIN_UNSAFE.sub("", ticket.number)
    return f"<{number}.{secrets.token_hex(10)}@{message_id_domain()}>"


def thread_root_id(ticket: TicketBase) -> str:
    """The ticket's stable root id, `<INC-000123.42@domain>`: what notifications reply to when
    the ticket did not come by email."""
    number = _DOMAIN_UNSAFE.sub("", ticket.number)
    return f"<{number}.{ticket.pk}@{message_id_domain()}>"


@dataclass(frozen=True)
class EmailThread:
    in_reply_to: str
    references: list[str]


_STARTED_BY: ContextVar[str] = ContextVar("email_thread_started_by", default="")
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


@contextmanager
def thread_started_by(message_id: str) -> Iterator[None]:
    """Tickets created inside the block came from the email `message_id`: their first
    notification ("we received your report") replies to it, so it threads under the mail the
    requester sent. The email channel wraps its `open_ticket` call in this, then records the
    message as the ticket's first "in" TicketEmail (which every later notification replies to).
    A value that is not a Message-ID is ignored."""
    match = _MESSAGE_ID.fullmatch(message_id.strip())
    token = _STARTED_BY.set(match.group(0) if match else "")
    try:
        yield
    finally:
        _STARTED_BY.reset(token)


def thread_of(ticket: TicketBase, *, is_new: bool = False) -> EmailThread:
    """Where the next email about `ticket` goes in its thread. `is_new`: the ticket was created
    in this transaction, so it has no earlier email yet (no query)."""
    root = thread_root_id(ticket)
    if is_new:
        started_by = _STARTED_BY.get()
        if started_by:
            return EmailThread(in_reply_to=started_by, references=[started_by, root])
        return EmailThread(in_reply_to=root, references=[root])
    emails = ticket_emails(ticket)
    # One round trip: the latest ids, each row carrying the first received id (an uncorrelated
    # subquery, which PostgreSQL and SQLite evaluate once).
    first_received = (
        emails.filter(direction=EmailDirection.IN).order_by("created_at", "id").values("message_id")
    )
    rows = list(
        emails.annotate(first_in=Subquery(first_received[:1]))
        .order_by("-created_at", "-id")
        .values_list("message_id", "first_in")[:REFERENCES_RECENT]
    )
    first_in = rows[0][1] if rows else None
    recent = [message_id for message_id, _ in rows]
    roots = [first_in, root] if first_in else [root]
    earlier = [message_id for message_id in reversed(recent) if message_id not in roots]
    return EmailThread(in_reply_to=roots[0], references=[*roots, *earlier])


def ticket_emails(ticket: TicketBase) -> QuerySet[TicketEmail]:
    """Every TicketEmail of the ticket (a queryset)."""
    return TicketEmail.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    )


def ticket_email_record(
    ticket: TicketBase,
    *,
    message_id: str,
    purpose: str,
    recipients: list[str],
    outbox_message_id: int | None,
    direction: str = EmailDirection.OUT,
) -> TicketEmail:
    """Remember that `message_id` belongs to the ticket's thread. Call inside the transaction
    that writes the email's outbox row."""
    return TicketEmail.objects.create(
        message_id=message_id,
        direction=direction,
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        purpose=purpose,
        recipients=recipients,
        outbox_message_id=outbox_message_id,
        created_at=timezone.now(),
    )
