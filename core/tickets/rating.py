"""The requester's rating of how a ticket was handled (satisfaction 1-5 with a comment), for
every kind that declares `RatingRules`.

Rules: only the requester rates, and only once the work is done (the kind's done status, or
closed after reaching it); one rating per ticket, which the requester may change while the
ticket is still done and which is final once it is closed (a closed ticket nobody rated can be
rated once); a reopened ticket keeps its rating. Every rating bumps `version` and appends a
timeline event (agents only: the requester sees their rating on the page).
"""

from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from core.choices import Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import TicketBase, User
from core.tickets.events import rated_event
from core.tickets.executor import ticket_lock, ticket_save
from core.tickets.kinds import kind_of
from core.tickets.payloads import Rating

T = TypeVar("T", bound=TicketBase)

# What each score means, in the words the rating form shows next to the stars.
SCORE_LABELS: dict[int, str] = {1: "Very poor", 2: "Poor", 3: "OK", 4: "Good", 5: "Excellent"}
COMMENT_MAX_LENGTH = 2000
_SCORE_HELP = "Choose from 1 (very poor) to 5 (excellent) stars."


def rating_clean(score: object, comment: str | None) -> tuple[int, str]:
    """The score as an int in 1..5 and the stripped comment, or ValidationFailed naming the
    field (`score`, `comment`)."""
    errors: dict[str, str] = {}
    value = 0
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        errors["score"] = _SCORE_HELP
    else:
        if value not in SCORE_LABELS:
            errors["score"] = _SCORE_HELP
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX_LENGTH:
        errors["comment"] = f"Keep the comment under {COMMENT_MAX_LENGTH:,} characters."
    if errors:
        raise ValidationFailed(errors)
    return value, text


def rating_refusal(user: User, ticket: TicketBase) -> str | None:
    """Why this user may not rate this ticket now, or None when they may."""
    kind = kind_of(ticket)
    rules = kind.rating
    if rules is None:
        return f"{kind.label}s are not rated."
    if user.pk != ticket.requester_id:
        article = "an" if kind.noun[:1] in "aeiou" else "a"
        return f"Only the person who {rules.asked_verb} {article} {kind.noun} can rate it."
    status: str = getattr(ticket, "status", "")
    done = status == kind.resolved_status or (
        status == kind.closed_status and getattr(ticket, kind.resolved_field) is not None
    )
    if not done:
        label = ticket.get_status_display().lower()  # type: ignore[attr-defined]
        return f"{ticket.number} is {label}; {rules.wait_text}"
    if status == kind.closed_status and getattr(ticket, "satisfaction_score", None) is not None:
        return f"{ticket.number} is closed and already rated; a rating is final once closed."
    return None


def can_rate(user: User, ticket: TicketBase) -> bool:
    return kind_of(ticket).rating is not None and rating_refusal(user, ticket) is None


def ticket_rate(
    ticket: T, *, actor: User, score: object, comment: str = "", source: str = Source.WEB
) -> T:
    """Record (or, while done, change) the requester's satisfaction rating.

    The row is locked and the rules are checked on the locked row; a refusal (TransitionError)
    or bad input (ValidationFailed on `score` / `comment`) changes nothing. On success the three
    satisfaction fields are set, `version` is bumped and one event appended, in one transaction.
    """
    value, text = rating_clean(score, comment)
    with transaction.atomic():
        locked = ticket_lock(ticket)
        refusal = rating_refusal(actor, locked)
        if refusal:
            raise TransitionError(refusal)
        previous = getattr(locked, "satisfaction_score", None)
        now = timezone.now()
        locked.satisfaction_score = value  # type: ignore[attr-defined]
        locked.satisfaction_comment = text  # type: ignore[attr-defined]
        locked.satisfaction_at = now  # type: ignore[attr-defined]
        ticket_save(
            locked, {"satisfaction_score", "satisfaction_comment", "satisfaction_at"}, now=now
        )
        rated_event(
            locked,
            actor=actor,
            source=source,
            rating=Rating(value, previous),
            label=SCORE_LABELS[value],
            comment=text,
        )
    return locked
