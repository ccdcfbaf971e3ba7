"""Links between problems and incidents, made from either side, with an event on both
timelines. Linking changes nothing on the incident itself: no hold, no SLA pause."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.choices import Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import User
from core.tickets.events import linked_events
from core.tickets.executor import refuse_final, ticket_lock
from problems.linked_kind import LinkedTicket, linked_kind
from problems.models import Problem, ProblemIncident
from problems.permissions import require_problem_worker


def problem_link_incident(
    problem: Problem, *, incident: LinkedTicket, actor: User, source: str = Source.WEB
) -> ProblemIncident:
    """Link an incident to an open problem, with an event on both timelines. The incident's status
    and SLA are left alone: putting it on hold "awaiting problem" is a separate choice."""
    require_problem_worker(actor)
    with transaction.atomic():
        locked = ticket_lock(problem)
        if not locked.is_open:
            raise TransitionError(
                f"{locked.number} is {locked.get_status_display().lower()}; link incidents to "
                "an open problem."
            )
        if incident.status in linked_kind().lifecycle.cancelled:
            raise TransitionError(f"{incident.number} is cancelled; it cannot be linked.")
        try:
            with transaction.atomic():
                link = ProblemIncident.objects.create(
                    problem=locked, incident=incident, linked_by=actor, linked_at=timezone.now()
                )
        except IntegrityError as exc:
            raise ValidationFailed(
                {"incident": f"{incident.number} is already linked to {locked.number}."}
            ) from exc
        linked_events(
            locked,
            incident,
            actor=actor,
            source=source,
            messages=(
                f"Linked {incident.number}: {incident.title}",
                f"Linked to problem {locked.number}: {locked.title}",
            ),
        )
    return link


def problem_unlink_incident(
    problem: Problem, *, incident: LinkedTicket, actor: User, source: str = Source.WEB
) -> None:
    """Remove a link (a mistaken one), with an event on both timelines."""
    require_problem_worker(actor)
    with transaction.atomic():
        locked = ticket_lock(problem)
        refuse_final(locked)
        deleted, _ = ProblemIncident.objects.filter(problem=locked, incident=incident).delete()
        if not deleted:
            raise ValidationFailed(
                {"incident": f"{incident.number} is not linked to {locked.number}."}
            )
        linked_events(
            locked,
            incident,
            actor=actor,
            source=source,
            messages=(f"Unlinked {incident.number}.", f"Unlinked from problem {locked.number}."),
            linked=False,
        )
