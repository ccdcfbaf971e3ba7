"""Recurring-incident detection and what problem managers do with its proposals.

`proposals_detect` finds clusters in the database: incidents reported within the window
(PROBLEM_RECURRENCE_WINDOW_DAYS), grouped by service and category, not cancelled, not linked to
any problem and not part of an earlier proposal, with at least PROBLEM_RECURRENCE_MIN_INCIDENTS
in a group. Each cluster is stored once under a stable key (service, category, oldest incident):
the key is unique, and incidents of a proposal (open, accepted or dismissed) never count again,
so a run repeated or run twice at once proposes nothing new, and a dismissed cluster stays
dismissed. New matching incidents join the open proposal of their service and category.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from core.choices import Category
from core.exceptions import ConflictError
from core.models import User
from problems.choices import ProposalStatus
from problems.linked_kind import linked_kind, linked_tickets
from problems.models import Problem, ProblemIncident, RecurrenceProposal
from problems.permissions import require_problem_worker
from problems.services import problem_create, problem_link_incidents

ProposalIncident = RecurrenceProposal.incidents.through


def recurrence_candidates(*, now: datetime, window_days: int) -> QuerySet[Any]:
    """Incidents that may still form a cluster: recent, classified by service and category,
    not cancelled, not linked to a problem, not in any proposal yet."""
    return (
        linked_tickets()
        .filter(
            created_at__gt=now - timedelta(days=window_days),
            created_at__lte=now,
            service__isnull=False,
        )
        .exclude(category="")
        .exclude(status__in=sorted(linked_kind().lifecycle.cancelled))
        .exclude(Exists(ProblemIncident.objects.filter(incident_id=OuterRef("pk"))))
        .exclude(Exists(ProposalIncident.objects.filter(incident_id=OuterRef("pk"))))
    )


def cluster_key(service_id: int, category: str, first_incident_id: int) -> str:
    return f"{service_id}:{category}:{first_incident_id}"


def proposals_detect(
    *,
    now: datetime | None = None,
    min_incidents: int | None = None,
    window_days: int | None = None,
) -> list[RecurrenceProposal]:
    """Store a proposal for every new cluster; return the proposals created."""
    now = now or timezone.now()
    threshold = min_incidents or settings.PROBLEM_RECURRENCE_MIN_INCIDENTS
    window = window_days or settings.PROBLEM_RECURRENCE_WINDOW_DAYS
    candidates = recurrence_candidates(now=now, window_days=window)
    _grow_open_proposals(candidates)
    clusters = list(
        candidates.values("service_id", "category")
        .annotate(
            n=Count("id"),
            first_id=Min("id"),
            first_at=Min("created_at"),
            last_at=Max("created_at"),
        )
        .filter(n__gte=threshold)
        .order_by("service_id", "category")
    )
    created = []
    for cluster in clusters:
        members = candidates.filter(service_id=cluster["service_id"], category=cluster["category"])
        try:
            with transaction.atomic():
                proposal = RecurrenceProposal.objects.create(
                    cluster_key=cluster_key(
                        cluster["service_id"], cluster["category"], cluster["first_id"]
                    ),
                    service_id=cluster["service_id"],
                    category=cluster["category"],
                    incident_count=cluster["n"],
                    first_seen_at=cluster["first_at"],
                    last_seen_at=cluster["last_at"],
                    created_at=timezone.now(),
                )
                ProposalIncident.objects.bulk_create(
                    [
                        ProposalIncident(recurrenceproposal_id=proposal.pk, incident_id=pk)
                        for pk in members.values_list("pk", flat=True)
                    ]
                )
        except IntegrityError:
            # Another run stored this cluster a moment ago.
            continue
        created.append(proposal)
    return created


def _grow_open_proposals(candidates: QuerySet[Any]) -> None:
    """Attach new matching incidents to the open proposal of their service and category."""
    open_proposals = RecurrenceProposal.objects.filter(status=ProposalStatus.OPEN).values_list(
        "pk", "service_id", "category"
    )
    for pk, service_id, category in open_proposals:
        with transaction.atomic():
            joining = list(
                candidates.filter(service_id=service_id, category=category).values_list(
                    "pk", "created_at"
                )
            )
            if not joining:
                continue
            ProposalIncident.objects.bulk_create(
                [ProposalIncident(recurrenceproposal_id=pk, incident_id=i) for i, _ in joining],
                ignore_conflicts=True,
            )
            count = ProposalIncident.objects.filter(recurrenceproposal_id=pk).count()
            RecurrenceProposal.objects.filter(pk=pk, status=ProposalStatus.OPEN).update(
                incident_count=count, last_seen_at=max(at for _, at in joining)
            )


def _decide(proposal: RecurrenceProposal, *, actor: User, status: str) -> None:
    """Compare-and-set from open: of two managers deciding at once, one wins."""
    won = RecurrenceProposal.objects.filter(pk=proposal.pk, status=ProposalStatus.OPEN).update(
        status=status, decided_by=actor, decided_at=timezone.now()
    )
    if not won:
        raise ConflictError("Someone else already decided on this proposal. Reload the page.")


def proposal_accept(proposal: RecurrenceProposal, *, actor: User, title: str = "") -> Problem:
    """Create a problem from the proposal and link its incidents (cancelled ones are skipped)."""
    require_problem_worker(actor)
    with transaction.atomic():
        _decide(proposal, actor=actor, status=ProposalStatus.ACCEPTED)
        cancelled = sorted(linked_kind().lifecycle.cancelled)
        incidents = list(
            proposal.incidents.exclude(status__in=cancelled).order_by("created_at", "id")
        )
        category_label = (
            Category(proposal.category).label
            if proposal.category in Category.values
            else proposal.category
        )
        problem = problem_create(
            actor=actor,
            title=(title or "").strip()
            or f"Recurring {category_label.lower()} incidents on {proposal.service.name}",
            description=(
                f"Proposed by recurrence detection: {proposal.incident_count} incidents on "
                f"{proposal.service.name} ({category_label.lower()}) between "
                f"{timezone.localtime(proposal.first_seen_at):%d %b %Y} and "
                f"{timezone.localtime(proposal.last_seen_at):%d %b %Y}."
            ),
            service=proposal.service,
            category=proposal.category,
            priority=min((i.priority for i in incidents), default=3),
        )
        problem_link_incidents(problem, incidents=incidents, actor=actor)
        RecurrenceProposal.objects.filter(pk=proposal.pk).update(problem=problem)
    return problem


def proposal_dismiss(proposal: RecurrenceProposal, *, actor: User) -> None:
    """Dismiss the proposal; its incidents are never proposed again."""
    require_problem_worker(actor)
    with transaction.atomic():
        _decide(proposal, actor=actor, status=ProposalStatus.DISMISSED)
