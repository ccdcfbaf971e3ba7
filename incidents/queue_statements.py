"""The triage queue's statements, compiled once per shape and kept (issue 18).

Building and compiling the queue's statements (the tab counts, the page's rows, the refresh's
row states) was about half of an unchanged refresh's CPU, yet for the same inputs they are
the same SQL with the same parameters. Those inputs are named here, not guessed
(`statement_key`): the database, the viewer's id and scope (incidents.selectors), the tab, the
paging hooks and the incident content type (the "Paged" subquery), the page size and count cap,
and the filters' cleaned values, only for filters whose SQL depends on nothing but their value
(PURE_FILTERS). A request with any other filter (the SLA state filter reads the clock), an
invalid filter form or a value of an unknown type is compiled as before. Each statement still
runs on every request; only its text, parameters and column converters are kept (the rows go
through the converters as the ORM would put them), STATEMENTS_KEPT per process. The querysets
they are compiled from are kept under the same keys (never evaluated; each request gets a
clone), so a request whose statements are all kept builds no filter either.
"""

from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from core.kept_statements import Statement
from core.process_memos import process_memo
from core.tickets.paging_hooks import paging_hooks
from core.web.kept_list import filters_key
from incidents.models import Incident

# Filters whose SQL is a function of their cleaned value alone (core.filtering.TicketFilterSet,
# incidents.filtersets.IncidentFilterSet). A filter added there is compiled every time until
# it is named here.
PURE_FILTERS = frozenset(
    {
        "q",
        "open",
        "status",
        "priority",
        "tier",
        "service",
        "impact",
        "urgency",
        "requester",
        "configuration_item",
        "created_after",
        "created_before",
        "resolved_after",
        "resolved_before",
        "support_group",
        "assignee",
        "ordering",
    }
)
STATEMENTS_KEPT = 512


StatementKey = tuple[Hashable, ...]
_STATEMENTS: dict[StatementKey, Statement] = process_memo({})
_QUERYSETS: dict[StatementKey, QuerySet[Any]] = process_memo({})


def statement_key(filterset: Any, *, alias: str, scope: Hashable, tab: str) -> StatementKey | None:
    """What the queue's statements for this request are made from; None: compile them."""
    filters = filters_key(filterset, PURE_FILTERS)
    if filters is None:
        return None
    return (
        alias,
        scope,
        tab,
        paging_hooks(),
        ContentType.objects.get_for_model(Incident).pk,
        settings.QUEUE_PAGE_SIZE,
        settings.LIST_COUNT_CAP,
        filters,
    )


def kept_statement(
    key: StatementKey | None, compile_statement: Callable[[], Statement | None]
) -> Statement | None:
    """The statement kept under `key`, else compiled now (and kept when `key` is not None);
    None when it cannot be run from the cursor."""
    if key is not None:
        kept = _STATEMENTS.get(key)
        if kept is not None:
            return kept
    statement = compile_statement()
    if key is not None and statement is not None:
        if len(_STATEMENTS) >= STATEMENTS_KEPT:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    return statement


def kept_queryset(
    key: StatementKey | None, part: str, build: Callable[[], QuerySet[Any]]
) -> QuerySet[Any]:
    """A clone of the queryset kept under `key` and `part`, else `build()` (kept when `key`
    is not None)."""
    if key is None:
        return build()
    kept = _QUERYSETS.get((*key, part))
    if kept is None:
        if len(_QUERYSETS) >= STATEMENTS_KEPT:
            _QUERYSETS.clear()
        # A clone: the caller's own queryset may still be evaluated in its request.
        kept = _QUERYSETS[(*key, part)] = build().all()
    return kept.all()
