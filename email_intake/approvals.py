"""Approval answers by email: "approve" / "approved" / "yes" (an optional comment after it) or
"reject: reason" / "rejected: reason" on the first line of the reply, run through the kind's
action table exactly as the approvals page runs it (same permission, same service, same
refusals)."""

import re
from dataclasses import dataclass

from django.db import transaction

from core.choices import Source
from core.exceptions import DomainError, ValidationFailed
from core.models import User
from core.tickets.actions import actions_of
from email_intake.threading import ThreadMatch

_APPROVE = re.compile(r"^(approve|approved|yes)\b[\s:,.!-]*(?P<rest>.*)$", re.IGNORECASE)
_REJECT = re.compile(r"^(reject|rejected)\b[\s:,.!-]*(?P<rest>.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class ApprovalAnswer:
    action: str  # "approve" or "reject"
    text: str  # the comment, or the reason


def parse_answer(reply: str) -> ApprovalAnswer | None:
    """The decision on the reply's first line (what follows it, and the next lines, are the
    comment or reason), or None when the first line is no decision."""
    lines = [line.strip() for line in reply.strip().splitlines()]
    if not lines or not lines[0]:
        return None
    following = "\n".join(lines[1:]).strip()
    for action, pattern in (("approve", _APPROVE), ("reject", _REJECT)):
        match = pattern.match(lines[0])
        if match:
            text = "\n".join(t for t in (match.group("rest").strip(), following) if t)
            return ApprovalAnswer(action, text)
    return None


def is_approval_thread(match: ThreadMatch, user: User) -> bool:
    """Whether the message answers an approval request: it replies to the approval email, or
    names in its subject a request awaiting this sender's approval."""
    if match.purpose == "approval":
        return True
    try:
        table = actions_of(match.ticket)
    except LookupError:
        return False
    return any(action.name == "approve" for action, _ in table.legal_now(user, match.ticket))


def is_approver(match: ThreadMatch, user: User) -> bool:
    """Whether `user` is who may approve this ticket (the approve action's own permission)."""
    try:
        action = actions_of(match.ticket).get("approve")
    except LookupError:
        return False
    return action is not None and action.refusal(match.kind, user, match.ticket) is None


HOW_TO_ANSWER = (
    'Answer an approval request with "approve" (a comment may follow) or "reject: reason" '
    "on the first line of your reply."
)


def domain_message(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return " ".join(exc.errors.values())
    return str(exc)


def answer_approval(match: ThreadMatch, user: User, answer: ApprovalAnswer) -> str | None:
    """Run the answer; None when done, else the refusal (nothing changed)."""
    try:
        table = actions_of(match.ticket)
    except LookupError:
        table = None
    action = table.get(answer.action) if table is not None else None
    if action is None:
        return f"{match.ticket.number} cannot be approved or rejected."
    refusal = action.refusal(match.kind, user, match.ticket)
    if refusal:
        return refusal
    data = {"comment": answer.text} if answer.action == "approve" else {"reason": answer.text}
    try:
        with transaction.atomic():
            action.run(
                match.ticket,
                actor=user,
                source=Source.EMAIL,
                expected_version=match.ticket.version,
                data=data,
            )
    except DomainError as exc:
        return domain_message(exc)
    return None
