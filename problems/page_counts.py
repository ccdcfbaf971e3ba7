"""The problem page's counts of linked incidents, in one statement kept per viewer's scope
(issue 18): how many links the viewer may see, and how many linked incidents are still open.

From the problems' link tally (problems.LinkTally, problems/link_tally_sql.py): a
few rows per problem that the database's own triggers keep in step with every link made or
removed and every linked incident that opens, closes or changes restriction. The counts are
exact and cost the same at ten links or ten thousand; one pass over the links joined to their
incidents had cost 4-5 ms of the database's time at 2,147 links. Which rows the viewer sees is
the linked kind's restriction as the selectors apply it (core.tickets.visibility): a restricted
incident's row names its assignee and requester. The open count is of every linked incident,
seen or not: it is how many the resolve action resolves with the fix (problems.services).

One statement serves every problem (core.kept_statements.kept_by: compiled with a stand-in for
the problem's id, each problem's id filled in where it sits among the parameters), kept under
every other input of its SQL: the database and the viewer's scope
(problems.selectors.linked_scope_key).
"""

from dataclasses import dataclass

from django.db import router
from django.db.models import Q

from core.capped_counts import CappedCount
from core.kept_statements import Statement, kept_by, kept_cursor
from core.keyset import CappedCount as CappedTotal
from core.models import User
from core.tallies import tally_sums_statement
from core.tickets.visibility import hides_restricted, reads_every_restricted
from problems.linked_kind import linked_kind
from problems.models import LinkTally, Problem
from problems.selectors import linked_scope_key


@dataclass(frozen=True)
class LinkCounts:
    """`visible`: the problem's links `user` may see (the linked panel's total); `open`: its
    linked incidents still open, seen by the viewer or not."""

    visible: CappedTotal
    open: CappedCount


def _tally_statement(problem_id: int, user: User) -> Statement:
    tally = LinkTally.objects.filter(problem_id=problem_id)
    restriction = linked_kind().restriction
    seen = None
    if hides_restricted(restriction, user):
        seen = (
            Q(restricted=False)
            | Q(assignee_id=user.pk)
            | Q(requester_id=user.pk)
            | reads_every_restricted(user)
        )
    return Statement(*tally_sums_statement(tally, {"visible": seen, "open": Q(open=True)}))


def link_counts(problem: Problem, user: User) -> LinkCounts:
    """The counts of `problem`'s links for agent `user` (only agents work on problems)."""
    alias = router.db_for_read(LinkTally)
    key = ("link_counts", alias, linked_scope_key(user))
    kept = kept_by(key, lambda value: _tally_statement(value, user), lambda s: s, problem.pk)
    statement = kept[1] if kept is not None else _tally_statement(problem.pk, user)
    with kept_cursor(alias) as cursor:
        cursor.execute(statement.sql, statement.params)
        visible, opened = (int(n) for n in cursor.fetchone())
    return LinkCounts(CappedTotal(visible, False), CappedCount(opened))
