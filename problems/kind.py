"""The problem kind, as the kernel's registry knows it (registered in ProblemsConfig.ready)."""

from dataclasses import replace
from typing import Any

from django.db import transaction

from core.choices import Source
from core.models import User
from core.tickets.actions import actions_of
from core.tickets.kinds import ClosedLoop, TicketKind
from problems.choices import ProblemStatus as S
from problems.models import Problem
from problems.permissions import can_work_problems
from problems.selectors import problem_get_for_user, problem_list_for_user
from problems.transitions import LIFECYCLE


def _permission(actor: User | None, problem: Problem, action: str) -> str | None:
    # Only agents work problems; not even the system changes one on its own.
    return None if can_work_problems(actor) else "Only agents can work on problems."


def _resolve_with_fix(
    problem: Problem,
    *,
    actor: User,
    resolution_code: str,
    notes: str,
    source: str = Source.WEB,
) -> Any:
    """Resolve an open problem with another ticket's fix (a change that fixes it): `notes` is
    its permanent fix. All or nothing for the problem (one still new, or without a root cause,
    is refused and left unchanged); then its open incidents are resolved with it, each on its
    own. Returns the ProblemResolution, with the incidents' outcomes.

    The services are the problem's action-table rows `resolve` and `resolve_linked`
    (problems.services imports this declaration, so it cannot import them)."""
    table = actions_of(problem)
    resolve, resolve_linked = table.get("resolve"), table.get("resolve_linked")
    assert resolve is not None and resolve_linked is not None
    with transaction.atomic():
        resolution = resolve.service(problem, actor=actor, permanent_fix=notes, source=source)
    outcomes = resolve_linked.service(resolution.problem, actor=actor, source=source)
    return replace(resolution, outcomes=outcomes)


PROBLEM = TicketKind(
    name="problem",
    model=Problem,
    lifecycle=LIFECYCLE,
    list_for_user=problem_list_for_user,
    get_for_user=problem_get_for_user,
    created_verb="raised the problem",
    created_description="A problem was raised.",
    has_portal=False,
    permission=_permission,
    lock_related=(),
    required_messages={
        "root_cause": "Record the root cause first.",
        "workaround": "A known error needs a workaround that agents and requesters can apply.",
        "permanent_fix": "Describe the permanent fix.",
        "cancel_reason": "Say why the problem is cancelled.",
        "reason": "Say why the problem is reopened.",
    },
    note_fields=frozenset(
        {"symptoms", "root_cause", "workaround", "permanent_fix", "cancel_reason"}
    ),
    resolved_status=S.RESOLVED,
    milestone_labels={S.NEW: "Raised"},
    # Problems are worked by whoever investigates them; no tier moves, by hand or by SLA.
    escalates=False,
    # A change that fixes a problem resolves it when it closes implemented (the change's
    # number and implementation are the permanent fix), and the problem then its incidents.
    closed_loop=ClosedLoop(
        resolve_with_fix=_resolve_with_fix,
        resolution_codes=(("fixed", "Fixed by the change"),),
    ),
)
