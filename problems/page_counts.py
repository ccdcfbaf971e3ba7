"""The problem page's counts of linked incidents, in one statement kept per problem and viewer
(issue 18): how many links the viewer may see, and how many linked incidents are still open.

One pass over the problem's links joined to their incidents, each row flagged: seen by the
viewer (the linked kind's restriction for an agent, core.tickets.visibility), and open (the
kind's open statuses). The open count is of every linked incident, seen or not: it is how many
the resolve action resolves with the fix (problems.services). Two statements, one with the
viewer's scope as a subquery over every incident, had cost the page 18 ms of the database's
time at 2,155 links; the pass costs 8 ms.

Both counts stop at LIST_COUNT_CAP + 1 links (core.capped_counts): past it they read "10,000+".
The key names every input of the statement: the database, the problem, the cap and the viewer's
scope (problems.selectors.linked_scope_key). COUNTS_KEPT per process.
"""

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import router
from django.db.models import Q

from core.capped_counts import CappedCount, capped_counts_of, capped_window_statement
from core.keyset import CappedCount as CappedTotal
from core.models import User
from core.roles import is_agent
from core.tickets.visibility import restricted_condition
from problems.linked_kind import linked_kind, linked_tickets
from problems.models import Problem
from problems.selectors import linked_scope_key

COUNTS_KEPT = 512
_COUNTS: dict[Hashable, tuple[str, tuple[Any, ...]]] = {}


@dataclass(frozen=True)
class LinkCounts:
    """`visible`: the problem's links `user` may see (the linked panel's total); `open`: its
    linked incidents still open, seen by the viewer or not."""

    visible: CappedTotal
    open: CappedCount


def _seen_condition(user: User) -> Q | None:
    """Which linked tickets `user` sees, as a condition on the ticket (None: all of them), as the
    linked kind's selector decides: for an agent its restriction; anyone else, the selector."""
    kind = linked_kind()
    if is_agent(user):
        return restricted_condition(kind.restriction, user)
    return Q(pk__in=kind.list_for_user(user).values("pk"))


def link_counts(problem: Problem, user: User) -> LinkCounts:
    alias = router.db_for_read(linked_kind().model)
    cap = settings.LIST_COUNT_CAP
    key = (alias, problem.pk, linked_scope_key(user), cap)
    statement = _COUNTS.get(key)
    if statement is None:
        if len(_COUNTS) >= COUNTS_KEPT:
            _COUNTS.clear()
        linked = linked_tickets().filter(problem_links__problem_id=problem.pk)
        opened = Q(status__in=sorted(linked_kind().lifecycle.open))
        statement = capped_window_statement(
            linked, {"visible": _seen_condition(user), "open": opened}
        )
        _COUNTS[key] = statement
    counts = capped_counts_of(alias, statement, ["visible", "open"])
    visible = counts["visible"]
    return LinkCounts(CappedTotal(int(visible), visible.capped), counts["open"])
