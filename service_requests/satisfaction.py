"""The requester's rating of how a service request was fulfilled (satisfaction 1-5, comment).

The same rules as incidents (incidents.satisfaction, which also holds the score labels and the
input checks): only the requester; only once the request is fulfilled, or closed after being
fulfilled (a request closed after a rejection was never fulfilled, so there is nothing to rate);
the rating may change while the request is fulfilled and is final once it is closed; every
rating bumps `version` and appends a timeline event.
"""

from django.db import transaction
from django.utils import timezone

from core.choices import Source
from core.exceptions import TransitionError
from core.models import User
from incidents.satisfaction import rating_clean, rating_event_append
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest


def request_rating_refusal(user: User, request: ServiceRequest) -> str | None:
    """Why this user may not rate this request now, or None when they may."""
    if user.pk != request.requester_id:
        return "Only the person who asked for a request can rate it."
    fulfilled = request.status == RequestStatus.FULFILLED or (
        request.status == RequestStatus.CLOSED and request.fulfilled_at is not None
    )
    if not fulfilled:
        return (
            f"{request.number} is {request.get_status_display().lower()}; "
            "you can rate a request once it is fulfilled."
        )
    if request.status == RequestStatus.CLOSED and request.satisfaction_score is not None:
        return f"{request.number} is closed and already rated; a rating is final once closed."
    return None


def can_rate_request(user: User, request: ServiceRequest) -> bool:
    return request_rating_refusal(user, request) is None


def request_rate(
    request: ServiceRequest,
    *,
    actor: User,
    score: object,
    comment: str = "",
    source: str = Source.WEB,
) -> ServiceRequest:
    """Record (or, while fulfilled, change) the requester's satisfaction rating.

    Guarantees: the row is locked and the rules are checked on the locked row; a refusal
    (TransitionError) or bad input (ValidationFailed on `score` / `comment`) changes nothing.
    On success the three satisfaction fields are set, `version` is bumped and one timeline event
    is appended, in one transaction. Returns the saved request.
    """
    value, text = rating_clean(score, comment)
    with transaction.atomic():
        # of=("self",): lock the request only, not the joined requester row.
        locked = ServiceRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        refusal = request_rating_refusal(actor, locked)
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
