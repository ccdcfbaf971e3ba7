"""Links between problems and incidents, made from either side, with an event on both
timelines. Linking changes nothing on the incident itself: no hold, no SLA pause."""

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.choices import Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import User
from core.tickets.events import events_record, linked_events, linked_events_build
from core.tickets.executor import refuse_final, ticket_lock
from problems.linked_kind import LinkedTicket, linked_kind
from problems.models import Problem, ProblemIncident
from problems.permissions import require_problem_worker


def problem_link_incident(
    problem: Problem, *, incident: LinkedTicket, actor: User, source: str = Source.WEB
) -> ProblemIncident:
    """Link an incident to an open problem, with an event on both timelines. The incident's status
    and SLA are left alone: putting it on hold "awaiting problem" is a separate choice."""
    [link] = problem_link_incidents(problem, incidents=[incident], actor=actor, source=source)
    return link


def problem_link_incidents(
    problem: Problem,
    *,
    incidents: Sequence[LinkedTicket],
    actor: User,
    source: str = Source.WEB,
) -> list[ProblemIncident]:
    """Link incidents to an open problem at once: the links in one INSERT and their events (one
    on each timeline per link) in another, whatever their number (accepting a recurrence
    proposal links a cluster of thousands on a big desk). All or none: a cancelled incident or
    one linked already refuses the whole call, naming it."""
    require_problem_worker(actor)
    incidents = list({incident.pk: incident for incident in incidents}.values())
    with transaction.atomic():
        locked = ticket_lock(problem)
        if not locked.is_open:
            raise TransitionError(
                f"{locked.number} is {locked.get_status_display().lower()}; link incidents to "
                "an open problem."
            )
        cancelled = linked_kind().lifecycle.cancelled
        for incident in incidents:
            if incident.status in cancelled:
                raise TransitionError(f"{incident.number} is cancelled; it cannot be linked.")
        now = timezone.now()
        try:
            with transaction.atomic():
                links = ProblemIncident.objects.bulk_create(
                    ProblemIncident(
                        problem=locked, incident=incident, linked_by=actor, linked_at=now
                    )
                    for incident in incidents
                )
        except IntegrityError as exc:
            raise ValidationFailed({"incident": _linked_already(locked, incidents)}) from exc
        events_record(
            pair
            for incident in incidents
            for pair in linked_events_build(
                locked,
                incident,
                actor=actor,
                source=source,
                messages=(
                    f"Linked {incident.number}: {incident.title}",
                    f"Linked to problem {locked.number}: {locked.title}",
                ),
            )
        )
    return links


def _linked_already(problem: Problem, incidents: Sequence[LinkedTicket]) -> str:
    """What refused a link: the incidents (or the one) linked to the problem already."""
    linked = set(
        ProblemIncident.objects.filter(
            problem=problem, incident_id__in=[incident.pk for incident in incidents]
        ).values_list("incident_id", flat=True)
    )
    numbers = [incident.number for incident in incidents if incident.pk in linked]
    if not numbers:  # not visible yet to this transaction: another one is linking them
        return f"Some of these incidents are being linked to {problem.number} already."
    if len(numbers) == 1:
        return f"{numbers[0]} is already linked to {problem.number}."
    shown = ", ".join(numbers[:5]) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
    return f"{shown} are already linked to {problem.number}."


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
