"""Emails about a ticket of any kind, written to the outbox inside the change's transaction.

Each email is sent once per (kind, ticket, `key`): a retried or repeated change cannot mail
twice. Links point to where the reader follows the ticket (the portal for the requester, the
agent page for agents).
"""

from datetime import tzinfo

from core.models import TicketBase, User
from core.outbox import outbox_enqueue
from core.single_line import single_line_normalise
from core.tickets.kinds import kind_of
from core.tickets.visibility import can_see
from core.time_zones import instants_localised, site_zone, zone_of


def notify(
    ticket: TicketBase,
    to: list[str],
    *,
    subject: str,
    body: str,
    key: str,
    key_is_new: bool = False,
    zone: tzinfo | None = None,
) -> None:
    """Email `to` about the ticket; `key_is_new` when the ticket was created in this
    transaction, so the key cannot have been used (no dedupe savepoint). Instants written in
    ISO 8601 are shown in `zone`, the recipients' (default: the site's TIME_ZONE)."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    kind = kind_of(ticket)
    # The subject carries the title: a row stored before control characters were refused must
    # still make a one-line header (Django refuses CR/LF in headers with BadHeaderError).
    zone = zone or site_zone()
    header = single_line_normalise(instants_localised(f"[{ticket.number}] {subject}", zone))
    outbox_enqueue(
        task_name="core.send_email",
        payload={"to": recipients, "subject": header, "body": instants_localised(body, zone)},
        dedupe_key=f"{kind.name}:{ticket.pk}:{key}",
        key_is_new=key_is_new,
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
