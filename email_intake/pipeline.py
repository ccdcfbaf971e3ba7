"""Turn one stored message into its outcome: a bounce, ignored noise, a held burst, a refusal,
a page acknowledgement, a reply or approval answer on its ticket, or a new ticket.

Order: size, parse, bounce, noise (automatic mail, our own addresses), the sender's rate, the
thread, then the reply or new ticket. Choices made here:

- A reply from the requester on a ticket they can no longer reply on (closed, cancelled) opens
  a new ticket that names the old number in its description, rather than a refusal: nothing the
  requester wrote is lost and they need not be told to write again.
- A reference to a ticket the sender may not see is never attached: the message is treated as
  new (a new ticket, if the mailbox accepts the sender), and the reason says so.
- An approver's answer that is no decision ("approve" / "reject: reason") is handled as any
  other reply when the approver may write on the request (an agent: a public comment), else
  refused with how to answer, and the approver told once.
- A mailbox's sender policy decides who may open tickets; a reply on a ticket its sender sees
  is taken whatever the policy (they have an account already).
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.choices import Source
from core.exceptions import DomainError, TransitionError
from core.models import Comment, User
from core.roles import is_agent
from core.single_line import single_line_normalise
from core.tickets.actions import actions_of
from core.tickets.email_thread import thread_started_by
from core.tickets.kinds import kind_named
from core.tickets.work import ticket_comment
from email_intake import bounces
from email_intake.approvals import (
    HOW_TO_ANSWER,
    answer_approval,
    domain_message,
    is_approval_thread,
    is_approver,
    parse_answer,
)
from email_intake.attachments import inline_names, store_parts
from email_intake.choices import InboundOutcome, InboundStatus
from email_intake.content import body_text, first_line, reply_text, within_limit
from email_intake.models import InboundEmail
from email_intake.noise import noise_reason
from email_intake.notices import tell_sender
from email_intake.page_ack import answer_page_ack, wants_page_ack
from email_intake.parsing import ParsedMessage, parse_message
from email_intake.senders import refusal_of, sender_account, user_for_address
from email_intake.threading import ThreadMatch, find_thread, remember_message, sender_may_see

TITLE_LIMIT = 200


@dataclass
class _Result:
    status: str
    outcome: str = InboundOutcome.NONE
    reason: str = ""
    ticket: Any = None
    comment: Comment | None = None


def _finish(inbound: InboundEmail, result: _Result) -> None:
    inbound.status = result.status
    inbound.outcome = result.outcome
    inbound.reason = result.reason
    inbound.processed_at = timezone.now()
    if result.ticket is not None:
        inbound.ticket_type = ContentType.objects.get_for_model(type(result.ticket))
        inbound.ticket_id = result.ticket.pk
    inbound.comment = result.comment
    inbound.save()


def is_over_rate(inbound: InboundEmail) -> bool:
    """Whether the sender sent EMAIL_INTAKE_SENDER_PER_MINUTE or more messages to this mailbox
    in the minute before this one (an admin's release lifts it)."""
    if inbound.released_by_id is not None or not inbound.sender:
        return False
    earlier = InboundEmail.objects.filter(
        mailbox_id=inbound.mailbox_id,
        sender=inbound.sender,
        received_at__gte=inbound.received_at - timedelta(minutes=1),
        received_at__lte=inbound.received_at,
        id__lt=inbound.pk,
    )
    return earlier.count() >= settings.EMAIL_INTAKE_SENDER_PER_MINUTE


def handle(inbound: InboundEmail) -> None:
    """Called by email_intake.processing with `inbound` claimed (status processing), inside a
    transaction the caller opened. Sets the final status, outcome, reason, ticket, comment and
    processed_at, and saves. Raises on an unexpected failure (the caller rolls back, counts the
    attempt and quarantines after EMAIL_INTAKE_MAX_ATTEMPTS)."""
    _finish(inbound, _outcome(inbound))


def _refused(inbound: InboundEmail, parsed: ParsedMessage | None, code: str, text: str) -> _Result:
    tell_sender(inbound, code, text, headers=parsed.headers if parsed else None)
    return _Result(InboundStatus.REFUSED, reason=text)


def _outcome(inbound: InboundEmail) -> _Result:
    limit = settings.EMAIL_INTAKE_MAX_MESSAGE_BYTES
    if inbound.size > limit:
        text = f"The message is larger than {limit / (1024 * 1024):g} MB."
        return _refused(inbound, None, "too_large", text)
    with inbound.raw.open("rb") as source:
        parsed = parse_message(source.read())
    report = bounces.bounce_of(parsed.message)
    if report is not None:
        if bounces.record_bounce(report, inbound):
            return _Result(InboundStatus.DONE, InboundOutcome.BOUNCE, reason=report.summary)
        return _Result(
            InboundStatus.IGNORED,
            reason=f"A delivery report about no email of the desk's (or a delay): {report.summary}",
        )
    noise = noise_reason(parsed.headers, parsed.sender)
    if noise is not None:
        return _Result(InboundStatus.IGNORED, reason=noise)
    if is_over_rate(inbound):
        per_minute = settings.EMAIL_INTAKE_SENDER_PER_MINUTE
        return _Result(
            InboundStatus.HELD,
            reason=f"{parsed.sender} sent more than {per_minute} messages in a minute.",
        )
    match = find_thread(parsed.in_reply_to, parsed.references, parsed.subject)
    user = user_for_address(parsed.sender) if parsed.sender else None
    note = mention = ""
    if match is not None and user is not None:
        acknowledged = _page_ack(inbound, parsed, match, user)
        if acknowledged is not None:
            return acknowledged
    if match is not None and user is not None:
        # Approvers often cannot see the request through the kind's selector (it is not
        # theirs): their answer is scoped by the approve action's own permission instead.
        answer = _approval(inbound, parsed, match, user)
        if answer is not None:
            return answer
    if match is not None and user is not None and sender_may_see(user, match):
        result = _reply(inbound, parsed, match, user)
        if result is not None:
            return result
        note = mention = f"Reply to {match.ticket.number}, which can no longer be replied on."
    elif match is not None:
        note = (
            f"Refers to {match.ticket.number}, which {parsed.sender or 'the sender'} may not "
            "see: not attached to it."
        )
    result = _new_ticket(inbound, parsed, user, previous=mention)
    if note:
        result.reason = " ".join(t for t in (note, result.reason) if t)
    return result


def _texts(parsed: ParsedMessage, *, reply: bool) -> str:
    body = body_text(parsed.text, parsed.html, inline_names(parsed.parts), reply=reply)
    return reply_text(body) if reply else body


def _approval(
    inbound: InboundEmail, parsed: ParsedMessage, match: ThreadMatch, user: User
) -> _Result | None:
    """The approver's decision, run or refused; None when the message is no approval answer
    (it is then handled as any other reply)."""
    if not is_approval_thread(match, user):
        return None
    answer = parse_answer(_texts(parsed, reply=True))
    if answer is None:
        if is_approver(match, user) and not sender_may_see(user, match):
            # An approver who cannot write on the request: tell them how to answer rather
            # than open a ticket of their words.
            return _refused(inbound, parsed, "approval", HOW_TO_ANSWER)
        return None
    refusal = answer_approval(match, user, answer)
    if refusal is not None:
        return _refused(inbound, parsed, "approval", refusal)
    remember_message(match.ticket, parsed.message_id, parsed.sender)
    return _Result(InboundStatus.DONE, InboundOutcome.APPROVAL, ticket=match.ticket)


def _page_ack(
    inbound: InboundEmail, parsed: ParsedMessage, match: ThreadMatch, user: User
) -> _Result | None:
    """A paged agent's "ack" acknowledging the ticket's page, or its refusal told to them;
    None when the message is no acknowledgement (it is then handled as any other reply)."""
    if not wants_page_ack(user, _texts(parsed, reply=True)):
        return None
    refusal = answer_page_ack(match, user)
    if refusal is not None:
        return _refused(inbound, parsed, "page_ack", refusal)
    remember_message(match.ticket, parsed.message_id, parsed.sender)
    return _Result(
        InboundStatus.DONE,
        InboundOutcome.PAGE_ACK,
        reason=f"{user} acknowledged the page for {match.ticket.number}.",
        ticket=match.ticket,
    )


def _reply(
    inbound: InboundEmail, parsed: ParsedMessage, match: ThreadMatch, user: User
) -> _Result | None:
    """The reply on its ticket; None when the requester can no longer reply there (the caller
    opens a new ticket instead)."""
    ticket = match.ticket
    text = _texts(parsed, reply=True)
    body = within_limit(text or ("(no text; see the attached files)" if parsed.parts else ""))
    try:
        with transaction.atomic():
            comment = ticket_comment(
                ticket, author=user, body=body, is_internal=False, source=Source.EMAIL
            )
            store_parts(ticket, parsed.parts, uploaded_by=user)
            remember_message(ticket, parsed.message_id, parsed.sender)
            reason = _reopen_if_resolved(ticket, user, text)
    except TransitionError as exc:
        if user.pk == ticket.requester_id and not is_agent(user):
            return None
        return _refused(inbound, parsed, "reply", domain_message(exc))
    except DomainError as exc:
        return _refused(inbound, parsed, "reply", domain_message(exc))
    return _Result(
        InboundStatus.DONE, InboundOutcome.REPLY, reason=reason, ticket=ticket, comment=comment
    )


def _reopen_if_resolved(ticket: Any, user: User, text: str) -> str:
    """Reopen the requester's resolved ticket through its action table when its kind has a
    reopen the requester may take now (the window is the lifecycle's guard)."""
    if user.pk != ticket.requester_id:
        return ""
    ticket.refresh_from_db()
    try:
        table = actions_of(ticket)
    except LookupError:
        return ""
    legal = {action.name: action for action, _ in table.legal_now(user, ticket)}
    reopen = legal.get("reopen")
    if reopen is None:
        return ""
    line = single_line_normalise(first_line(text))[:200] or "(no text)"
    reopen.run(
        ticket,
        actor=user,
        source=Source.EMAIL,
        expected_version=ticket.version,
        data={"reason": f"Replied by email: {line}"},
    )
    return f"Reopened {ticket.number}."


def _new_ticket(
    inbound: InboundEmail, parsed: ParsedMessage, user: User | None, *, previous: str = ""
) -> _Result:
    mailbox = inbound.mailbox
    if user is None or not sender_may_open(user):
        refusal = refusal_of(mailbox, parsed.sender)
        if refusal is not None:
            return _refused(inbound, parsed, *refusal)
    try:
        kind = kind_named(mailbox.ticket_kind)
    except LookupError:
        kind = None
    if kind is None or kind.email is None:
        text = f"The mailbox opens {mailbox.ticket_kind!r} tickets, which cannot come by email."
        return _Result(InboundStatus.REFUSED, reason=text)
    description = _texts(parsed, reply=False)
    if previous:
        description = f"{previous}\n\n{description}"
    title = single_line_normalise(parsed.subject).strip()[:TITLE_LIMIT]
    try:
        with transaction.atomic():
            requester = user or sender_account(parsed.sender, parsed.sender_name, looked_up=True)
            # The acknowledgement replies to the sender's own mail (it threads under it).
            with thread_started_by(parsed.message_id):
                ticket = kind.email.open_ticket(
                    requester=requester,
                    title=title,
                    description=within_limit(description),
                    service=mailbox.service,
                    support_group=mailbox.support_group,
                    catalog_item=mailbox.catalog_item,
                    source=Source.EMAIL,
                )
            store_parts(ticket, parsed.parts, uploaded_by=requester)
            remember_message(ticket, parsed.message_id, parsed.sender)
    except DomainError as exc:
        return _Result(InboundStatus.REFUSED, reason=domain_message(exc))
    return _Result(InboundStatus.DONE, InboundOutcome.NEW_TICKET, ticket=ticket)


def sender_may_open(user: User) -> bool:
    """Agents may open tickets by mail whatever the mailbox's domain list."""
    return is_agent(user)
