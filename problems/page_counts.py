"""The problem page's two counts of linked incidents (those the viewer may see, and the open
ones), their statements compiled once per problem and kept (issue 18).

Building and compiling them (the links' visibility condition, the capped window) cost more CPU
than running them, yet for the same inputs they are the same SQL with the same parameters. The
key names every input: the database, the problem, the cap and, for the links the viewer may
see, their scope (problems.selectors.linked_scope_key). Each statement still runs on every
request; COUNTS_KEPT of each per process.
"""

from collections.abc import Hashable
from typing import Any

from django.conf import settings
from django.db import router

from core import keyset
from core.capped_counts import CappedCount, capped_counts_of, capped_window_statement
from core.keyset import CappedCount as CappedTotal
from core.keyset import capped_count_statement, run_capped_count
from core.models import User
from problems.linked_kind import linked_kind
from problems.models import ProblemIncident
from problems.selectors import linked_scope_key, open_linked_incidents, problem_links

COUNTS_KEPT = 512
_LINK_COUNTS: dict[Hashable, tuple[str, str, tuple[Any, ...]] | None] = {}
_OPEN_COUNTS: dict[Hashable, tuple[str, tuple[Any, ...]]] = {}


def link_count(problem: Any, user: User) -> CappedTotal:
    """How many of the problem's links `user` may see, as
    core.keyset.capped_count([problem_links(problem, user=user)]) counts them."""
    # Read when called: the cap is core.keyset's to change.
    cap = keyset.COUNT_CAP
    key = (router.db_for_read(ProblemIncident), problem.pk, linked_scope_key(user), cap)
    if key not in _LINK_COUNTS:
        if len(_LINK_COUNTS) >= COUNTS_KEPT:
            _LINK_COUNTS.clear()
        _LINK_COUNTS[key] = capped_count_statement(problem_links(problem, user=user), cap)
    return run_capped_count(_LINK_COUNTS[key], cap)


def open_incident_count(problem: Any) -> CappedCount:
    """How many of the problem's linked incidents are open, up to LIST_COUNT_CAP, as
    core.capped_counts.capped_window_counts(open_linked_incidents(problem), ...) counts them."""
    alias = router.db_for_read(linked_kind().model)
    key = (alias, problem.pk, settings.LIST_COUNT_CAP)
    statement = _OPEN_COUNTS.get(key)
    if statement is None:
        if len(_OPEN_COUNTS) >= COUNTS_KEPT:
            _OPEN_COUNTS.clear()
        statement = capped_window_statement(open_linked_incidents(problem), {"open": None})
        _OPEN_COUNTS[key] = statement
    return capped_counts_of(alias, statement, ["open"])["open"]
