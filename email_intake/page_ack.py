"""Page acknowledgements by email: an agent who was paged for a ticket replies on the ticket's
thread (to the page email, or any mail naming the ticket) with "ack" or "acknowledge" as the
first word, case-insensitive. The on-call app acknowledges the ticket's live page for them
through the kernel's paging registry (core.tickets.paging_hooks), with the same refusals as
the web (not paged, already acknowledged, the page ended); a refusal is answered to the
sender as refused approvals are, and nothing changes.

Only agents' replies are read this way: a requester writing "Ack, thanks" is replying."""

import re

from django.db import transaction

from core.models import User
from core.roles import is_agent
from core.tickets.paging_hooks import page_acknowledge_by_email
from email_intake.threading import ThreadMatch

_ACK = re.compile(r"^(ack|acknowledge)\b", re.IGNORECASE)


def is_page_ack(reply: str) -> bool:
    """Whether the reply's first word is "ack" or "acknowledge" (punctuation may follow)."""
    return bool(_ACK.match(reply.strip()))


def wants_page_ack(user: User, reply: str) -> bool:
    return is_agent(user) and is_page_ack(reply)


def answer_page_ack(match: ThreadMatch, user: User) -> str | None:
    """Acknowledge the ticket's live page for `user`; None when done, else the refusal (in
    which case nothing changed)."""
    with transaction.atomic():
        return page_acknowledge_by_email(match.ticket, user)
