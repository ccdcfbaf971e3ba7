"""Reads of problems, proposals and reviews, scoped to the viewer. Agents see every problem;
anyone else sees none (a 404). The one exception is `known_errors_for_incident`, which the
incident pages use to show a requester the published workaround for their own incident."""

from collections.abc import Hashable
from typing import Any

from django.db import router
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from core.kept_objects import kept_objects_by
from core.models import User
from core.roles import is_agent, is_manager
from core.selectors import kept_ticket_numbered
from core.tickets.visibility import restricted_condition
from problems.choices import ProblemStatus, ProposalStatus
from problems.linked_kind import LinkedTicket, linked_kind, linked_tickets, review_rules
from problems.models import PostIncidentReview, Problem, ProblemIncident, RecurrenceProposal
from problems.permissions import can_work_problems


def _problems(user: User) -> QuerySet[Problem]:
    if not can_work_problems(user):
        return Problem.objects.none()
    return Problem.objects.select_related(
        "requester", "assignee", "support_group", "service", "configuration_item"
    )


def problem_list_for_user(user: User) -> QuerySet[Problem]:
    return _problems(user).annotate(incident_count=Count("links"))


def problem_get_for_user(user: User, number: str, *, counted: bool = True) -> Problem:
    """The problem numbered `number` (out of sight: a 404), with its `incident_count` unless
    not `counted`: the page shows a capped count instead, as counting every link grows with
    them."""
    if counted:
        try:
            return problem_list_for_user(user).get(number=number)
        except Problem.DoesNotExist as exc:
            raise Http404(f"No problem {number}.") from exc
    # The problem page's read, its statement kept (core.kept_objects): building and compiling
    # its five joins cost more CPU than running it. Numbers are unique. It also reads how many
    # incidents the recurrence proposal the problem was raised from had (`proposal_incidents`,
    # None without one), which the page names: a statement of its own before.
    problem: Problem = kept_ticket_numbered(
        Problem,
        ("proposal", can_work_problems(user)),
        lambda: _problems(user).annotate(proposal_incidents=_proposal_incidents()),
        number,
        "problem",
    )
    return problem


def _proposal_incidents() -> Subquery:
    """The incident count of the problem's newest recurrence proposal (as
    `problem.proposals.first()` orders them), None without one."""
    newest = RecurrenceProposal.objects.filter(problem_id=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    return Subquery(newest.values("incident_count")[:1])


def problem_links(problem: Problem, *, user: User) -> QuerySet[ProblemIncident]:
    """The problem's links to incidents `user` may see (a security incident may be out of their
    sight: the incident kind's selector decides), with their incidents, oldest link first."""
    visible = linked_kind().list_for_user(user).values("pk")
    return (
        problem.links.filter(incident_id__in=visible)
        .select_related(
            "incident__requester", "incident__assignee", "incident__service", "linked_by"
        )
        .order_by("linked_at", "id")
    )


def linked_seen_condition(user: User) -> Q | None:
    """Which linked tickets `user` sees, as a condition on the ticket (None: all of them), as
    the linked kind's selector decides: for an agent its restriction (core.tickets.visibility);
    anyone else, the selector itself."""
    kind = linked_kind()
    if is_agent(user):
        return restricted_condition(kind.restriction, user)
    return Q(pk__in=kind.list_for_user(user).values("pk"))


def on_linked_ticket(condition: Q) -> Q:
    """`condition` on a link's ticket (`incident__...`). The restriction's Exists over the
    viewer's memberships names no column of the ticket and stays as it is."""
    moved = Q(_connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            moved.children.append(on_linked_ticket(child))
        elif isinstance(child, tuple):
            lookup, value = child
            moved.children.append((f"incident__{lookup}", value))
        elif isinstance(child, Exists):
            moved.children.append(child)
        else:
            raise TypeError(f"cannot move {child!r} onto a link's ticket")
    return moved


def page_links(problem_id: int, *, user: User) -> QuerySet[ProblemIncident]:
    """The links of `problem_links` for the problem page, read by the problem's id: the same
    rows in the same order, the viewer's scope a condition on each link's incident rather than a
    subquery over every incident (one join fewer to plan and run: PostgreSQL planned the
    subquery's statement on every request, its generic plan costed higher than a custom one)."""
    links = ProblemIncident.objects.filter(problem_id=problem_id)
    seen = linked_seen_condition(user)
    if seen is not None:
        links = links.filter(on_linked_ticket(seen))
    return links.order_by("linked_at", "id")


def linked_scope_key(user: User) -> Hashable:
    """What `problem_links(problem, user=user)`'s statement depends on besides the problem:
    the linked kind's selector for `user`, which names the user's id and differs between
    requesters, agents and managers (for an agent, a restriction condition names their id and
    reads their memberships in the statement; a manager sees everything)."""
    return (user.pk, is_agent(user), is_manager(user))


def open_linked_incidents(problem: Problem) -> QuerySet[Any]:
    """The problem's linked incidents still being worked on (the incident kind's open
    statuses), by number."""
    return (
        linked_tickets()
        .filter(problem_links__problem=problem, status__in=sorted(linked_kind().lifecycle.open))
        .order_by("number")
    )


def _problem_names(user: User) -> QuerySet[Problem]:
    """The problems `user` may see, as their number, title and status only: for the short
    lists an incident's page and review show (linked problems, the problems to link to),
    without the list's joins and link count, which cost more to plan than to run."""
    if not can_work_problems(user):
        return Problem.objects.none()
    return Problem.objects.only("id", "number", "title", "status")


def problems_for_incident(user: User, incident: LinkedTicket) -> QuerySet[Problem]:
    """The problems an incident is linked to (agents only): number, title and status."""
    return _problem_names(user).filter(links__incident=incident).order_by("number")


def linkable_problems(user: User) -> QuerySet[Problem]:
    """Problems an incident may be linked to, the open ones: number, title and status."""
    from problems.transitions import OPEN_STATUSES

    return (
        _problem_names(user).filter(status__in=sorted(OPEN_STATUSES)).order_by("-created_at", "-id")
    )


def known_errors_for_incident(
    incident: LinkedTicket, *, exclude_linked: bool = False
) -> QuerySet[Problem]:
    """Published known errors on the incident's service or configuration item.

    The caller has already read `incident` through a scoped selector; what this returns (title and
    workaround of a known error) is published to everyone who may see that incident.
    """
    match = Q()
    if incident.service_id:
        match |= Q(service_id=incident.service_id)
    if incident.configuration_item_id:
        match |= Q(configuration_item_id=incident.configuration_item_id)
    if not match:
        return Problem.objects.none()
    errors = Problem.objects.filter(match, status=ProblemStatus.KNOWN_ERROR).select_related(
        "service", "configuration_item"
    )
    if exclude_linked:
        errors = errors.exclude(links__incident=incident)
    return errors.order_by("-known_error_at", "-id")


def known_error_list_for_user(
    user: User, *, text: str = "", include_resolved: bool = False
) -> QuerySet[Problem]:
    """The known-error database: problems whose workaround is published, newest first."""
    statuses = [ProblemStatus.KNOWN_ERROR]
    if include_resolved:
        statuses.append(ProblemStatus.RESOLVED)
    errors = problem_list_for_user(user).filter(status__in=statuses, known_error_at__isnull=False)
    text = text.strip()
    if text:
        errors = errors.filter(
            Q(number__iexact=text)
            | Q(title__icontains=text)
            | Q(symptoms__icontains=text)
            | Q(workaround__icontains=text)
            | Q(root_cause__icontains=text)
            | Q(service__name__icontains=text)
        )
    return errors.order_by("-known_error_at", "-id")


def proposal_list_for_user(
    user: User, *, status: str = ProposalStatus.OPEN
) -> QuerySet[RecurrenceProposal]:
    if not can_work_problems(user):
        return RecurrenceProposal.objects.none()
    return (
        RecurrenceProposal.objects.filter(status=status)
        .select_related("service", "problem", "decided_by")
        .prefetch_related(
            Prefetch(
                "incidents",
                queryset=linked_kind()
                .list_for_user(user)
                .select_related(None)
                .select_related("requester")
                .order_by("created_at", "id"),
            )
        )
        .order_by("-created_at", "-id")
    )


def proposal_get_for_user(user: User, pk: int) -> RecurrenceProposal:
    try:
        return proposal_list_for_user(user, status=ProposalStatus.OPEN).get(pk=pk)
    except RecurrenceProposal.DoesNotExist as exc:
        raise Http404("No such open proposal.") from exc


def review_incident_for_user(user: User, number: str) -> LinkedTicket:
    """A major incident an agent may review (read through the incident kind's selector);
    anything else is a 404."""
    if not can_work_problems(user):
        raise Http404("Not found.")
    incident: LinkedTicket = linked_kind().get_for_user(user, number)
    if not review_rules().is_needed(incident):
        raise Http404(f"{number} is not a major incident.")
    return incident


def review_for_incident(incident: LinkedTicket) -> PostIncidentReview | None:
    """The incident's post-incident review, if any (as `.first()`: the oldest), its statement
    kept (core.kept_objects): a major incident's page asks on every request."""
    found = kept_objects_by(
        ("review_for_incident", router.db_for_read(PostIncidentReview)),
        lambda pk: (
            PostIncidentReview.objects.filter(incident_id=pk)
            .select_related("created_by", "completed_by")
            .order_by("pk")[:1]
        ),
        incident.pk,
    )
    return found[0] if found else None
