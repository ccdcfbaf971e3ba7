"""Demo problems for `manage.py seed_demo`: known errors with published workarounds, problems in
other states with linked incidents, recurrence proposals (one accepted, one dismissed, the rest
open) and a completed post-incident review of a closed major incident.

Everything goes through the services, so timelines, links and numbers are as in real use.
Idempotent: nothing is added when problems exist already.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.choices import Category, Role
from core.models import Service, User
from core.roles import ROLE_GROUP_NAMES
from core.tickets.kinds import kind_named
from demo.walks import Walks
from problems import reviews, services
from problems.choices import ProblemStatus
from problems.linked_kind import linked_kind, linked_tickets
from problems.models import PostIncidentReview, Problem
from problems.recurrence import proposal_accept, proposal_dismiss, proposals_detect


@dataclass(frozen=True)
class DemoProblem:
    service: str
    status: str
    title: str
    category: str
    priority: int
    symptoms: str
    root_cause: str = ""
    workaround: str = ""
    permanent_fix: str = ""


DEMO_PROBLEMS: tuple[DemoProblem, ...] = (
    DemoProblem(
        service="Email",
        status=ProblemStatus.KNOWN_ERROR,
        title="Outlook keeps asking for the password after the mail certificate rotation",
        category=Category.SOFTWARE,
        priority=2,
        symptoms="Outlook shows the password prompt every few minutes; webmail works.",
        root_cause=(
            "The mail gateway's certificate was rotated; Outlook keeps the old cached "
            "credential token and rejects the new chain until the cache is cleared."
        ),
        workaround=(
            "1. Close Outlook.\n2. Open **Credential Manager** → *Windows Credentials* and remove "
            "the entries starting with `MicrosoftOffice16`.\n3. Start Outlook and sign in once.\n\n"
            "Webmail at https://mail.example.com works in the meantime."
        ),
    ),
    DemoProblem(
        service="Identity & SSO",
        status=ProblemStatus.KNOWN_ERROR,
        title="Single sign-on loops back to the login page for expired MFA registrations",
        category=Category.ACCESS,
        priority=2,
        symptoms="After entering the password the browser returns to the login page.",
        root_cause="Users whose MFA registration is older than 12 months get no MFA prompt.",
        workaround=(
            "Re-register your second factor at https://mfa.example.com, then sign in from a "
            "private browser window."
        ),
    ),
    DemoProblem(
        service="VPN",
        status=ProblemStatus.INVESTIGATING,
        title="VPN drops every 60 minutes on client version 5.2",
        category=Category.NETWORK,
        priority=3,
        symptoms="The tunnel drops exactly one hour after connecting; reconnecting works.",
    ),
    DemoProblem(
        service="Printing",
        status=ProblemStatus.CLOSED,
        title="Print jobs stuck in the queue after the spooler update",
        category=Category.SOFTWARE,
        priority=3,
        symptoms="Jobs stay 'Printing' on the server and never reach the printer.",
        root_cause="The spooler update reset the port timeout to 0 on every queue.",
        workaround="Restart the print spooler service on the print server.",
        permanent_fix="Port timeouts restored by policy; the update is pinned on the servers.",
    ),
    DemoProblem(
        service="ERP",
        status=ProblemStatus.NEW,
        title="ERP month-end close runs three times longer than last quarter",
        category=Category.SOFTWARE,
        priority=4,
        symptoms="The month-end batch took 9 hours instead of 3.",
    ),
)

REVIEW_TEXT = {
    "summary": "A major outage of the service; users could not work until it was restored.",
    "impact": "Most users of the service were affected during business hours.",
    "detection": "Reported by users first; monitoring alerted 12 minutes later.",
    "response": "The on-call engineer failed over to the standby and restored service.",
    "root_cause": "A configuration change was applied to production without a staged rollout.",
    "went_well": "Failover worked as documented; updates to users went out every 30 minutes.",
    "to_improve": "Stage configuration changes; alert on error rates, not only on availability.",
}


def _demo_agent() -> User | None:
    agents = User.objects.filter(is_active=True, groups__name=ROLE_GROUP_NAMES[Role.AGENT])
    return agents.filter(username="agent2").first() or agents.order_by("pk").first()


def _incidents() -> Any:
    return linked_tickets().all()


def _closed_statuses() -> list[str]:
    """Final, but not cancelled: the incidents that were real and are over."""
    lifecycle = linked_kind().lifecycle
    return sorted(lifecycle.final - lifecycle.cancelled)


def _link_incidents(problem: Problem, service: Service, actor: User, *, open_ones: int) -> int:
    """Link the newest open incidents of the service, and its latest closed one."""
    base = _incidents().filter(service=service).order_by("-created_at")
    chosen = list(base.filter(status__in=sorted(linked_kind().lifecycle.open))[:open_ones])
    chosen += list(base.filter(status__in=_closed_statuses())[:1])
    services.problem_link_incidents(problem, incidents=chosen, actor=actor)
    return len(chosen)


def _resolve(problem: Problem, spec: DemoProblem, actor: User) -> Problem:
    # The analysis is recorded first, so the resolved problem keeps its workaround too.
    problem = services.problem_record_analysis(
        problem,
        actor=actor,
        symptoms=spec.symptoms,
        root_cause=spec.root_cause,
        workaround=spec.workaround,
        permanent_fix="",
    )
    return services.problem_resolve(problem, actor=actor, permanent_fix=spec.permanent_fix).problem


# How the demo takes each problem action on the way to a demo status.
ACTIONS: dict[str, Callable[[Problem, DemoProblem, User], Problem]] = {
    "investigate": lambda problem, spec, actor: services.problem_investigate(problem, actor=actor),
    "known_error": lambda problem, spec, actor: services.problem_record_known_error(
        problem, actor=actor, root_cause=spec.root_cause, workaround=spec.workaround
    ),
    "resolve": _resolve,
    "close": lambda problem, spec, actor: services.problem_close(problem, actor=actor),
}


def _make_problem(spec: DemoProblem, service: Service, actor: User) -> Problem:
    """Create the problem and take it to its demo status by the actions of the problem
    lifecycle's walk there (demo.walks)."""
    problem = services.problem_create(
        actor=actor,
        title=spec.title,
        symptoms=spec.symptoms,
        description=f"Raised from recurring incidents on {service.name}.",
        service=service,
        category=spec.category,
        priority=spec.priority,
    )
    walk = Walks(kind_named("problem").lifecycle).to(spec.status, start=problem.status)
    for step in walk.steps:
        if step.action not in ACTIONS:
            raise RuntimeError(f"The demo cannot take the problem action '{step.action}'.")
        problem = ACTIONS[step.action](problem, spec, actor)
    return problem


def _complete_a_review(actor: User) -> int:
    """Review the latest closed major incident that has no review yet."""
    major = (
        _incidents()
        .filter(is_major=True, status__in=_closed_statuses())
        .filter(~Q(pk__in=PostIncidentReview.objects.values("incident_id")))
        .order_by("-closed_at")
        .first()
    )
    if major is None:
        return 0
    review = reviews.review_start(major, actor=actor)
    review = reviews.review_update(review, actor=actor, values=REVIEW_TEXT)
    today = timezone.localdate()
    reviews.review_add_action_item(
        review,
        actor=actor,
        description="Introduce a staged rollout for configuration changes",
        owner=actor,
        due_date=today + timedelta(days=30),
    )
    reviews.review_add_action_item(
        review,
        actor=actor,
        description="Alert on error rates above 2 % for five minutes",
        owner=actor,
        due_date=today + timedelta(days=14),
    )
    reviews.review_complete(review, actor=actor)
    return 1


def seed_problems_demo() -> dict[str, int]:
    """Create the demo problems, proposals and review (nothing when problems exist)."""
    counts = {"problems": 0, "links": 0, "proposals": 0, "reviews": 0}
    actor = _demo_agent()
    if actor is None or Problem.objects.exists():
        return counts
    with transaction.atomic():
        for spec in DEMO_PROBLEMS:
            service = Service.objects.filter(name=spec.service).first()
            if service is None:
                continue
            problem = _make_problem(spec, service, actor)
            counts["problems"] += 1
            if spec.status != ProblemStatus.CLOSED:
                open_ones = 3 if spec.status == ProblemStatus.KNOWN_ERROR else 2
                counts["links"] += _link_incidents(problem, service, actor, open_ones=open_ones)
        # Whatever recurs in the demo incidents; a small demo may have no cluster at all.
        proposals = proposals_detect()
        # Show every outcome: one accepted, one dismissed, the rest still open.
        if len(proposals) >= 3:
            proposal_accept(proposals[0], actor=actor)
            counts["problems"] += 1
            proposal_dismiss(proposals[1], actor=actor)
        elif len(proposals) == 2:
            proposal_dismiss(proposals[0], actor=actor)
        counts["proposals"] = len(proposals)
        counts["reviews"] = _complete_a_review(actor)
    return counts
