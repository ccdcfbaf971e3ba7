"""Which ticket a message answers: by In-Reply-To/References against every Message-ID of a
ticket's thread (`TicketEmail`, both directions), else by a ticket number in the subject
(`[INC-000123]`, any registered kind's prefix). Scoping (may the sender see it?) is the
caller's: `sender_may_see`.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import TicketBase, TicketEmail, User
from core.tickets.kinds import TicketKind, kind_for_content_type, kind_for_number, kind_of

_NUMBER = re.compile(r"\[([A-Z]{2,6}-\d{3,})\]")


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Any
    kind: TicketKind
    # The purpose of the thread message referenced ("approval", "notification", "inbound"), or
    # "subject" when the number in the subject found it.
    purpose: str


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


def by_references(ids: list[str]) -> ThreadMatch | None:
    """The ticket of the most recent referenced Message-ID that is known."""
    if not ids:
        return None
    wanted = set(ids) | {_bare(i) for i in ids}
    rows = {_bare(row.message_id): row for row in TicketEmail.objects.filter(message_id__in=wanted)}
    for message_id in reversed(ids):  # In-Reply-To first, then References newest first
        row = rows.get(_bare(message_id))
        if row is None:
            continue
        try:
            kind = kind_for_content_type(row.ticket_type_id)
        except LookupError:
            continue
        ticket = kind.model._default_manager.filter(pk=row.ticket_id).first()
        if ticket is not None:
            return ThreadMatch(ticket, kind, row.purpose)
    return None


def by_subject(subject: str) -> ThreadMatch | None:
    for number in _NUMBER.findall(subject.upper()):
        kind = kind_for_number(number)
        if kind is None:
            continue
        ticket = kind.model._default_manager.filter(number=number).first()
        if ticket is not None:
            return ThreadMatch(ticket, kind, "subject")
    return None


def find_thread(in_reply_to: list[str], references: list[str], subject: str) -> ThreadMatch | None:
    """The ticket this message belongs to, unscoped (None: a new conversation)."""
    ordered = [*references, *in_reply_to]  # the last one is tried first
    return by_references(ordered) or by_subject(subject)


def sender_may_see(user: User, match: ThreadMatch) -> bool:
    """Whether `user` sees the ticket through the kind's own scoped selector."""
    return match.kind.list_for_user(user).filter(pk=match.ticket.pk).exists()


def remember_message(ticket: TicketBase, message_id: str, sender: str) -> None:
    """Record an inbound Message-ID on the ticket's thread, so further replies thread (a
    Message-ID already known is left as it is)."""
    if not message_id:
        return
    bare = _bare(message_id)
    if TicketEmail.objects.filter(message_id__in=[message_id, bare]).exists():
        return
    try:
        with transaction.atomic():
            TicketEmail.objects.create(
                message_id=message_id,
                direction="in",
                purpose="inbound",
                ticket_type=ContentType.objects.get_for_model(kind_of(ticket).model),
                ticket_id=ticket.pk,
                recipients=[sender] if sender else [],
                created_at=timezone.now(),
            )
    except IntegrityError:
        pass  # the same Message-ID recorded by a concurrent worker: the thread knows it already
