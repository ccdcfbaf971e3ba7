"""Post-incident reviews of major incidents: start, edit, action items, complete.

Which incidents get a review, and recording its completion on the incident (what lets a major
incident be closed: the incident lifecycle refuses `close` before), are the incident kind's
declaration in the kind registry (`Review`); problems only call it. A completed review is
read-only, except that its action items can still be ticked off as they get done.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, router, transaction
from django.db.models import Count
from django.utils import timezone

from core.choices import Source
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.kept_statements import kept_rows_by
from core.models import TicketBase, TimelineEvent, User
from core.roles import is_agent
from core.tickets.describe import EventView, choice_label, describe
from core.tickets.events import review_event
from core.tickets.kinds import kind_of
from problems.choices import ReviewStatus
from problems.linked_kind import LINKED_KIND, LinkedTicket, review_rules
from problems.models import PostIncidentReview, ReviewActionItem
from problems.permissions import require_problem_worker

# The blameless template, in the order the document shows it.
REVIEW_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("summary", "Summary", "What happened, in two or three sentences."),
    ("impact", "Impact", "Who and what was affected, for how long, how badly."),
    ("detection", "Detection", "How and when we found out; could we have known sooner?"),
    ("response", "Response", "What was done to contain and restore, and how it went."),
    ("root_cause", "Root cause", "Why it happened: systems and conditions, not people."),
    ("went_well", "What went well", "What helped, so we keep doing it."),
    ("to_improve", "What to improve", "What we change; each change becomes an action item."),
)
REVIEW_FIELDS = tuple(name for name, _, _ in REVIEW_SECTIONS)
# Everything but "what went well" must be written before the review can be completed.
REQUIRED_TO_COMPLETE = tuple(name for name in REVIEW_FIELDS if name != "went_well")


def review_start(
    incident: LinkedTicket, *, actor: User, source: str = Source.WEB
) -> PostIncidentReview:
    """Open the review of a major incident (or return the one already open). The root cause is
    pre-filled from what the incident records about the cause (its diagnosis notes)."""
    require_problem_worker(actor)
    rules = review_rules()
    if not rules.is_needed(incident):
        raise TransitionError(f"{incident.number} is not a major incident; it needs no review.")
    existing = PostIncidentReview.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            review = PostIncidentReview.objects.create(
                incident=incident,
                root_cause=rules.findings(incident),
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            review_event(
                incident, actor=actor, source=source, message="Post-incident review started."
            )
    except IntegrityError:
        # Two agents started it at the same moment; the other one's review is the review.
        return PostIncidentReview.objects.get(incident=incident)
    return review


def _lock(review: PostIncidentReview, expected_version: int | None) -> PostIncidentReview:
    locked = PostIncidentReview.objects.select_for_update(of=("self",)).get(pk=review.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            "The review was changed by someone else since you opened it "
            f"(version {expected_version}, now {locked.version}). Reload and try again."
        )
    if locked.is_completed:
        raise TransitionError("The review is completed; it cannot change anymore.")
    return locked


def review_update(
    review: PostIncidentReview,
    *,
    actor: User,
    values: dict[str, str],
    expected_version: int | None = None,
) -> PostIncidentReview:
    """Save the template's sections (`values` maps section names to text)."""
    require_problem_worker(actor)
    unknown = set(values) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationFailed(dict.fromkeys(sorted(unknown), "Not a section of the review."))
    cleaned = {name: (text or "").strip() for name, text in values.items()}
    too_long = {
        n: "Keep this under 50,000 characters." for n, t in cleaned.items() if len(t) > 50_000
    }
    if too_long:
        raise ValidationFailed(too_long)
    with transaction.atomic():
        locked = _lock(review, expected_version)
        changed = [name for name, text in cleaned.items() if getattr(locked, name) != text]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, cleaned[name])
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changed, "version", "updated_at"])
    return locked


def review_add_action_item(
    review: PostIncidentReview,
    *,
    actor: User,
    description: str,
    owner: User,
    due_date: date,
) -> ReviewActionItem:
    """Add an action item with an owner (an active agent) and a due date."""
    require_problem_worker(actor)
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = "Say what will be done."
    elif len(description) > 300:
        errors["description"] = "Keep it under 300 characters."
    if not (owner.is_active and is_agent(owner)):
        errors["owner"] = f"{owner} is not an active agent."
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        locked = _lock(review, None)
        item = ReviewActionItem.objects.create(
            review=locked,
            description=description,
            owner=owner,
            due_date=due_date,
            created_at=timezone.now(),
        )
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])
    return item


def review_set_action_item_done(item: ReviewActionItem, *, actor: User, is_done: bool) -> None:
    """Tick an action item off (or on again); allowed after the review is completed too."""
    require_problem_worker(actor)
    ReviewActionItem.objects.filter(pk=item.pk).update(is_done=is_done)


def review_complete(
    review: PostIncidentReview,
    *,
    actor: User,
    expected_version: int | None = None,
    source: str = Source.WEB,
) -> PostIncidentReview:
    """Complete the review: every section but "what went well" must be written, and the incident
    must be resolved (or already closed). Records the completion on the incident, which may
    then be closed."""
    require_problem_worker(actor)
    with transaction.atomic():
        locked = _lock(review, expected_version)
        missing = {
            name: "Write this section before completing the review."
            for name in REQUIRED_TO_COMPLETE
            if not getattr(locked, name).strip()
        }
        if missing:
            raise ValidationFailed(missing)
        review_rules().mark_completed(
            locked.incident,
            actor=actor,
            summary=f"Post-incident review completed.\n\n{locked.summary}",
            source=source,
        )
        now = timezone.now()
        locked.status = ReviewStatus.COMPLETED
        locked.completed_by = actor
        locked.completed_at = now
        locked.version += 1
        locked.updated_at = now
        locked.save(
            update_fields=["status", "completed_by", "completed_at", "version", "updated_at"]
        )
    return locked


def review_close_refusal(ticket: TicketBase) -> str | None:
    """Installed as a close blocker (core.tickets.closing) from ProblemsConfig.ready(): a major
    incident stays open while its review has action items not done, as DESIGN.md §4 says
    ("major incidents need a review first" — the review's outcome is its action items)."""
    if kind_of(ticket).name != LINKED_KIND:
        return None
    # Counted through a statement kept for every incident (core.kept_statements.kept_rows_by):
    # every page of an incident asks which actions are legal, closing among them.
    counted = kept_rows_by(
        ("review_open_items", router.db_for_read(ReviewActionItem)),
        lambda pk: (
            ReviewActionItem.objects.filter(review__incident_id=pk, is_done=False)
            .order_by()
            .values("review__incident_id")
            .annotate(open_items=Count("pk"))
            .values_list("open_items")
        ),
        ticket.pk,
    )
    open_items = counted[0][0] if counted else 0
    if not open_items:
        return None
    items = "action item" if open_items == 1 else "action items"
    return (
        f"{ticket.number} can be closed once its post-incident review's {items} "
        f"{'is' if open_items == 1 else 'are'} done ({open_items} open)."
    )


@dataclass(frozen=True)
class TimelineRow:
    """One line of the review's timeline: when (and how long after the report), who, what."""

    at: datetime
    offset_seconds: float
    actor: str
    what: str
    detail: str


def review_timeline(incident: LinkedTicket, events: list[TimelineEvent]) -> list[TimelineRow]:
    """The incident's story for the review, assembled from its timeline events as
    core.tickets.describe reads them (the one reading every timeline uses): a status change
    shows its route, anything else what was done, with the text the event carries."""
    kind = kind_of(incident)
    started = getattr(incident, kind.reporting.started) if kind.reporting else None
    start = started or incident.created_at
    rows = []
    for event in events:
        view = describe(event, incident)
        if event.from_status and event.to_status:
            what = " → ".join(
                choice_label(type(incident), "status", status)
                for status in (event.from_status, event.to_status)
            )
        else:
            what = view.verb[:1].upper() + view.verb[1:]
        rows.append(
            TimelineRow(
                at=event.created_at,
                offset_seconds=(event.created_at - start).total_seconds(),
                actor=event.actor.display_name if event.actor else "System",
                what=what,
                detail=_detail(event, view),
            )
        )
    return rows


def _detail(event: TimelineEvent, view: EventView) -> str:
    # Comments and files have no body in the view: their own rendering shows them.
    if event.comment is not None:
        text = event.comment.body
    elif event.attachment is not None:
        text = event.attachment.original_name
    else:
        text = view.body
    return "\n\n".join(part for part in (text, view.note) if part)
