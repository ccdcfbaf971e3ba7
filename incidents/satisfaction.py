"""The requester's rating of how an incident was handled (satisfaction 1-5 with a comment).

Rules (the same for service requests, see service_requests.satisfaction):

- only the requester rates, and only once the work is done: a resolved or closed incident;
- one rating per ticket. While the incident is still resolved the requester may change it (they
  often rate first and confirm the fix after); once it is closed a given rating is final. A closed
  incident nobody rated can still be rated, once;
- a reopened incident keeps the rating it had; when it is resolved again the requester may change
  it, since it is resolved and not closed;
- every rating bumps `version` and appends a timeline event (agents only: the requester sees
  their rating on the page, and the timeline shows what the service desk did).

The score labels and the input checks live here and are shared with service requests.
"""

from django.db import transaction
from django.utils import timezone

from core.choices import EventKind, Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import TicketBase, User
from core.services import event_append
from incidents.choices import IncidentStatus
from incidents.models import Incident

# What each score means, in the words the rating form shows next to the stars.
SCORE_LABELS: dict[int, str] = {
    1: "Very poor",
    2: "Poor",
    3: "OK",
    4: "Good",
    5: "Excellent",
}
COMMENT_MAX_LENGTH = 2000

RATEABLE_STATUSES = frozenset({IncidentStatus.RESOLVED, IncidentStatus.CLOSED})


def rating_clean(score: object, comment: str | None) -> tuple[int, str]:
    """The score as an int in 1..5 and the stripped comment, or ValidationFailed naming the
    field (`score`, `comment`)."""
    errors: dict[str, str] = {}
    value = 0
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        errors["score"] = "Choose from 1 (very poor) to 5 (excellent) stars."
    else:
        if value not in SCORE_LABELS:
            errors["score"] = "Choose from 1 (very poor) to 5 (excellent) stars."
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX_LENGTH:
        errors["comment"] = f"Keep the comment under {COMMENT_MAX_LENGTH:,} characters."
    if errors:
        raise ValidationFailed(errors)
    return value, text


def rating_event_append(
    *,
    ticket: TicketBase,
    actor: User,
    source: str,
    score: int,
    comment: str,
    previous: int | None,
) -> None:
    """The timeline entry of a rating (call inside the rating's transaction)."""
    label = SCORE_LABELS[score]
    if previous is None:
        message = f"Rated the outcome {score} of 5 ({label})."
    else:
        message = f"Changed the rating from {previous} to {score} of 5 ({label})."
    if comment:
        quoted = "\n".join(f"> {line}" if line else ">" for line in comment.splitlines())
        message = f"{message}\n\n{quoted}"
    event_append(
        ticket=ticket,
        kind=EventKind.RATED,
        actor=actor,
        source=source,
        changes={"satisfaction_score": score},
        message=message,
        is_public=False,
    )


def incident_rating_refusal(user: User, incident: Incident) -> str | None:
    """Why this user may not rate this incident now, or None when they may."""
    if user.pk != incident.requester_id:
        return "Only the person who reported an incident can rate it."
    if incident.status not in RATEABLE_STATUSES:
        return (
            f"{incident.number} is {incident.get_status_display().lower()}; "
            "you can rate it once it is resolved."
        )
    if incident.status == IncidentStatus.CLOSED and incident.satisfaction_score is not None:
        return f"{incident.number} is closed and already rated; a rating is final once closed."
    return None


def can_rate_incident(user: User, incident: Incident) -> bool:
    return incident_rating_refusal(user, incident) is None


def incident_rate(
    incident: Incident,
    *,
    actor: User,
    score: object,
    comment: str = "",
    source: str = Source.WEB,
) -> Incident:
    """Record (or, while resolved, change) the requester's satisfaction rating.

    Guarantees: the row is locked and the rules above are checked on the locked row; a refusal
    (TransitionError) or bad input (ValidationFailed on `score` / `comment`) changes nothing.
    On success the three satisfaction fields are set, `version` is bumped and one timeline event
    is appended, in one transaction. Returns the saved incident.
    """
    value, text = rating_clean(score, comment)
    with transaction.atomic():
        # of=("self",): lock the incident only, not the joined requester row.
        locked = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        refusal = incident_rating_refusal(actor, locked)
        if refusal:
            raise TransitionError(refusal)
        previous = locked.satisfaction_score
        now = timezone.now()
        locked.satisfaction_score = value
        locked.satisfaction_comment = text
        locked.satisfaction_at = now
        locked.version += 1
        locked.updated_at = now
        locked.save(
            update_fields=[
                "satisfaction_score",
                "satisfaction_comment",
                "satisfaction_at",
                "version",
                "updated_at",
            ]
        )
        rating_event_append(
            ticket=locked,
            actor=actor,
            source=source,
            score=value,
            comment=text,
            previous=previous,
        )
    return locked
