"""The problem kind, as the kernel's registry knows it (registered in ProblemsConfig.ready)."""

from core.models import User
from core.tickets.kinds import TicketKind
from problems.choices import ProblemStatus as S
from problems.models import Problem
from problems.permissions import can_work_problems
from problems.selectors import problem_get_for_user, problem_list_for_user
from problems.transitions import LIFECYCLE


def _permission(actor: User | None, problem: Problem, action: str) -> str | None:
    # Only agents work problems; not even the system changes one on its own.
    return None if can_work_problems(actor) else "Only agents can work on problems."


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
)
