"""The problem page's counts of linked incidents, in one statement kept per viewer's scope
(issue 18): how many links the viewer may see, and how many linked incidents are still open.

One pass over the problem's links joined to their incidents, each row flagged: seen by the
viewer (the linked kind's restriction for an agent, core.tickets.visibility), and open (the
kind's open statuses). The open count is of every linked incident, seen or not: it is how many
the resolve action resolves with the fix (problems.services). Two statements, one with the
viewer's scope as a subquery over every incident, had cost the page 18 ms of the database's
time at 2,155 links; the pass costs 8 ms.

Both counts stop at LIST_COUNT_CAP + 1 links (core.capped_counts): past it they read "10,000+".
One statement serves every problem (core.kept_statements.kept_by: compiled with a stand-in for
the problem's id, each problem's id filled in where it sits among the parameters), kept under
every other input of its SQL: the database, the cap and the viewer's scope
(problems.selectors.linked_scope_key).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import router
from django.db.models import Q

from core.capped_counts import CappedCount, capped_counts_of, capped_window_statement
from core.kept_statements import Statement, kept_by
from core.keyset import CappedCount as CappedTotal
from core.models import User
from problems.linked_kind import linked_kind, linked_tickets
from problems.models import Problem
from problems.selectors import linked_scope_key, linked_seen_condition


@dataclass(frozen=True)
class LinkCounts:
    """`visible`: the problem's links `user` may see (the linked panel's total); `open`: its
    linked incidents still open, seen by the viewer or not."""

    visible: CappedTotal
    open: CappedCount


def _counts_statement(problem_id: int, user: User) -> Statement:
    linked = linked_tickets().filter(problem_links__problem_id=problem_id)
    opened = Q(status__in=sorted(linked_kind().lifecycle.open))
    sql, params = capped_window_statement(
        linked, {"visible": linked_seen_condition(user), "open": opened}
    )
    return Statement(sql, params)


def link_counts(problem: Problem, user: User) -> LinkCounts:
    alias = router.db_for_read(linked_kind().model)
    key = ("link_counts", alias, linked_scope_key(user), settings.LIST_COUNT_CAP)
    kept = kept_by(key, lambda value: _counts_statement(value, user), lambda s: s, problem.pk)
    statement = kept[1] if kept is not None else _counts_statement(problem.pk, user)
    counts = capped_counts_of(alias, (statement.sql, statement.params), ["visible", "open"])
    visible = counts["visible"]
    return LinkCounts(CappedTotal(int(visible), visible.capped), counts["open"])
