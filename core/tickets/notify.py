"""Emails about a ticket of any kind, written to the outbox inside the change's transaction.

Each email is sent once per (kind, ticket, `key`): a retried or repeated change cannot mail
twice. Links point to where the reader follows the ticket (the portal for the requester, the
agent page for agents).

Each email threads (core.tickets.email_thread): its Message-ID is decided here, stored in the
outbox payload (a retried send keeps it) and recorded as a TicketEmail in the same transaction;
`In-Reply-To`/`References` join the ticket's thread; `Reply-To` is the address of a mailbox that
reads replies (`reply_to_for`); a plain-text part and an HTML part (the same text, escaped, with
paragraphs and links).

`Reply-To` comes from a registry, not from the mailbox model: core may not import the email
channel (import-linter), and a lookup through `apps.get_model("email_intake", ...)` would hide
that dependency from the linter and break without the app. The email channel registers its
finder in its AppConfig.ready(); without it, mail has no Reply-To and replies go to From.
"""

from collections.abc import Callable
from datetime import tzinfo

from django.template.loader import render_to_string

from core.models import TicketBase, User
from core.outbox import outbox_enqueue
from core.outgoing_mail import email_payload
from core.single_line import single_line_normalise
from core.tickets.email_thread import (
    EmailPurpose,
    message_id_new,
    thread_of,
    ticket_email_record,
)
from core.tickets.kinds import kind_of
from core.tickets.visibility import can_see
from core.time_zones import instants_localised, site_zone, zone_of

# RFC 3834: what the desk sends is automatic, so auto-responders (out of office) stay quiet and
# no mail loop starts. Exchange's suppression names only out-of-office and auto-replies: "All"
# would suppress non-delivery reports too, and bounces are how a dead address gets noticed.
NOTIFICATION_HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "OOF, AutoReply",
}

ReplyToFinder = Callable[[TicketBase], str | None]
_REPLY_TO_FINDERS: list[ReplyToFinder] = []


def reply_to_register(finder: ReplyToFinder) -> None:
    """Register a function giving the address replies about a ticket should go to (or None).
    Registering the same function twice keeps one."""
    if finder not in _REPLY_TO_FINDERS:
        _REPLY_TO_FINDERS.append(finder)


def reply_to_for(ticket: TicketBase) -> str:
    """The Reply-To of mail about `ticket`: the first address a registered finder gives, else
    "" (no Reply-To)."""
    for finder in _REPLY_TO_FINDERS:
        address = finder(ticket)
        if address:
            return single_line_normalise(address)
    return ""


def email_html(*, subject: str, body: str) -> str:
    """The HTML part of an email whose text part is `body`: escaped, paragraphs and line breaks
    kept, web addresses made links. Nothing in it is unescaped user text."""
    return render_to_string("email/notification.html", {"subject": subject, "body": body})


def notify(
    ticket: TicketBase,
    to: list[str],
    *,
    subject: str,
    body: str,
    key: str,
    key_is_new: bool = False,
    zone: tzinfo | None = None,
    purpose: str = EmailPurpose.NOTIFICATION,
) -> None:
    """Email `to` about the ticket; `key_is_new` when the ticket was created in this
    transaction, so the key cannot have been used (no dedupe savepoint). Instants written in
    ISO 8601 are shown in `zone`, the recipients' (default: the site's TIME_ZONE). `purpose`
    is recorded with the email's Message-ID ("approval": a reply may approve or reject)."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    kind = kind_of(ticket)
    # The subject carries the title: a row stored before control characters were refused must
    # still make a one-line header (Django refuses CR/LF in headers with BadHeaderError).
    zone = zone or site_zone()
    header = single_line_normalise(instants_localised(f"[{ticket.number}] {subject}", zone))
    text = instants_localised(body, zone)
    message_id = message_id_new(ticket)
    thread = thread_of(ticket, is_new=key_is_new)
    reply_to = reply_to_for(ticket)
    payload = email_payload(
        to=recipients,
        subject=header,
        body=text,
        html=email_html(subject=header, body=text),
        message_id=message_id,
        in_reply_to=thread.in_reply_to,
        references=thread.references,
        reply_to=[reply_to] if reply_to else [],
        headers=NOTIFICATION_HEADERS,
    )
    message = outbox_enqueue(
        task_name="core.send_email",
        payload=payload,
        dedupe_key=f"{kind.name}:{ticket.pk}:{key}",
        key_is_new=key_is_new,
    )
    if message is None:
        return  # this email was already written: it keeps its own Message-ID
    ticket_email_record(
        ticket,
        message_id=message_id,
        purpose=purpose,
        recipients=recipients,
        outbox_message_id=message.pk,
    )


def notify_requester(
    ticket: TicketBase, *, subject: str, body: str, key: str, key_is_new: bool = False
) -> None:
    link = kind_of(ticket).portal_url(ticket.number)
    notify(
        ticket,
        [ticket.requester.email],
        subject=subject,
        body=f"{body}\n\nFollow it here: {link}\n",
        key=key,
        key_is_new=key_is_new,
        zone=zone_of(ticket.requester),
    )


def notify_agent(ticket: TicketBase, agent: User, *, subject: str, body: str, key: str) -> None:
    """Email an agent about the ticket, unless they may not see it (a security incident that is
    not theirs: core.tickets.visibility)."""
    if not can_see(agent, ticket):
        return
    link = kind_of(ticket).agent_url(ticket.number)
    notify(
        ticket,
        [agent.email],
        subject=subject,
        body=f"{body}\n\n{link}\n",
        key=key,
        zone=zone_of(agent),
    )
