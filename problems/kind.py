"""The problem kind, as the kernel's registry knows it (registered in ProblemsConfig.ready)."""

from core.tickets.kinds import TicketKind
from problems.models import Problem
from problems.selectors import problem_get_for_user, problem_list_for_user
from problems.transitions import LIFECYCLE

PROBLEM = TicketKind(
    name="problem",
    model=Problem,
    lifecycle=LIFECYCLE,
    label="Problem",
    plural="problems",
    url_namespace="problems",
    api_basename="problems",
    list_for_user=problem_list_for_user,
    get_for_user=problem_get_for_user,
    has_portal=False,
)
