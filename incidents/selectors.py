"""Reads of incidents, always scoped to the viewer: agents see every incident but the security
incidents they may not see (incidents.visibility: those are for the security team, their
assignee, their requester and managers), requesters only their own. Something out of scope is a
404, never a 403.

The triage queue's tabs (unassigned / mine / my groups / all) narrow an already scoped and
filtered queryset; `incident_queue_counts` counts every tab, from the open incidents' tally when
nothing but "open" filters the queue, else up to a cap in one pass, so the tab bar costs the
same whatever the page size; the tab's count doubles as the paginator's.
"""

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Q, QuerySet

from core.capped_counts import CappedCount, capped_counts_of, capped_window_statement
from core.kept_statements import Statement, fetch, rows_statement
from core.models import SupportGroup, User
from core.process_memos import process_memo
from core.roles import is_agent
from core.selectors import kept_ticket_numbered
from core.tickets.paging_hooks import live_page_tier
from core.tickets.visibility import hides_restricted, restricted_condition
from incidents.alerts.state import with_alert_state
from incidents.models import Incident
from incidents.open_tally import tally_counts, tally_counts_statement
from incidents.queue_statements import StatementKey, kept_statement
from incidents.visibility import SECURITY_INCIDENTS

# The queue's tabs, in the order the page shows them; "all" applies no condition.
QUEUE_TABS: dict[str, str] = {
    "unassigned": "Unassigned",
    "mine": "Mine",
    "groups": "My groups",
    "all": "All",
}
DEFAULT_QUEUE_TAB = "all"


@cache
def _incidents() -> QuerySet[Incident]:
    return with_alert_state(
        Incident.objects.select_related(
            "requester", "assignee", "support_group", "service", "configuration_item"
        )
    )


# An agent's scope (the restriction's condition resolved into a query) by user id. Building it
# (two correlated subqueries, the restriction's EXISTS) was a tenth of the queue's refresh
# (issue 18); it depends on nothing but the user's id, since membership and the rows' state
# are read by the statement itself, so it is built once per agent and process and cloned.
_AGENT_SCOPES: dict[int, QuerySet[Incident]] = process_memo({})
_AGENT_SCOPES_KEPT = 1024


def incident_list_for_user(user: User) -> QuerySet[Incident]:
    if is_agent(user):
        if not hides_restricted(SECURITY_INCIDENTS, user):
            return _incidents().all()
        scope = _AGENT_SCOPES.get(user.pk)
        if scope is None:
            if len(_AGENT_SCOPES) >= _AGENT_SCOPES_KEPT:
                _AGENT_SCOPES.clear()
            hidden = restricted_condition(SECURITY_INCIDENTS, user)
            scope = _AGENT_SCOPES[user.pk] = _incidents().filter(hidden)
        return scope.all()
    return _incidents().filter(requester=user)


def incident_scope_key(user: User) -> tuple[int, bool, bool]:
    """What `incident_list_for_user(user)`'s statement depends on (incidents.queue_statements):
    the user's id, whether they are an agent and whether anything is hidden from them."""
    agent = is_agent(user)
    return user.pk, agent, agent and not hides_restricted(SECURITY_INCIDENTS, user)


def incident_get_for_user(user: User, number: str) -> Incident:
    """The incident numbered `number` that `user` may see (else a 404). Its statement is kept
    (core.kept_objects) under the viewer's scope, the number filled in: building and compiling
    its five joins cost more CPU than running it, and a kept statement is prepared by
    PostgreSQL, where planning them cost more than running them too (issue 18)."""
    incident: Incident = kept_ticket_numbered(
        Incident, incident_scope_key(user), lambda: incident_list_for_user(user), number, "incident"
    )
    return incident


def incident_list_by_numbers_for_user(user: User, numbers: Iterable[str]) -> list[Incident]:
    """The incidents with these numbers that `user` may see, in the order given (one query).
    Unknown and out-of-scope numbers are simply absent: callers report them as not found."""
    wanted = list(dict.fromkeys(numbers))
    found = {i.number: i for i in incident_list_for_user(user).filter(number__in=wanted)}
    return [found[number] for number in wanted if number in found]


def queue_tab_or_default(tab: str | None) -> str:
    return tab if tab in QUEUE_TABS else DEFAULT_QUEUE_TAB


def _tab_condition(user: User, tab: str) -> Q | None:
    if tab == "unassigned":
        return Q(assignee__isnull=True)
    if tab == "mine":
        return Q(assignee_id=user.pk)
    if tab == "groups":
        # A subquery, not a join through the members table: a join would repeat each incident
        # once per member of its group and inflate the counts.
        memberships = SupportGroup.members.through.objects.filter(user_id=user.pk)
        return Q(support_group_id__in=memberships.values("supportgroup_id"))
    return None


def incident_queue_tab(queryset: QuerySet[Incident], *, user: User, tab: str) -> QuerySet[Incident]:
    """`queryset` narrowed to one queue tab for `user` (an unknown tab is "all")."""
    condition = _tab_condition(user, queue_tab_or_default(tab))
    return queryset if condition is None else queryset.filter(condition)


def with_live_page(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotate `paged_tier_index`: for an incident with a page nobody has acknowledged yet,
    how many tiers that page has climbed (0: still its first), else None (the queue's "Paged"
    marker). A subquery from the kernel's paging registry, inside the page's own query rather
    than one more query, which would take the queue past its budget (DESIGN.md §7); a desk
    without the on-call app marks nothing."""
    return queryset.annotate(paged_tier_index=live_page_tier("incident"))


# What a queue row shows (incidents/views/queue_rows.py), and its clocks need: the page's query
# reads these columns and joins only these tables, not every column of six tables.
QUEUE_ROW_FIELDS = (
    "number",
    "title",
    "status",
    "priority",
    "tier",
    "is_major",
    "created_at",
    "version",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
    "support_group__name",
    "service__name",
)
# What the refresh's marker reads of each row (incidents/views/queue_marker.py): the keys, the
# row's columns, the paging annotation (with_live_page) and with_alert_state's annotations
# (incident_list_for_user reads them with every incident): an alert firing again or
# recovering changes a row's badge without touching the incident's own columns.
QUEUE_STATE_FIELDS = (
    "id",
    "assignee_id",
    *QUEUE_ROW_FIELDS,
    "paged_tier_index",
    "alert_firing_since",
    "alert_last_recovered_at",
)


class QueueItem(NamedTuple):
    """One queue row as the page's query reads it, as values (QUEUE_ITEM_FIELDS, in order).

    Model instances for a page cost about 160 objects (the incident and three related rows
    each) and their descriptors, a tenth of the queue's CPU (issue 18); a row needs none of
    their behaviour. Its fields are also the marker's (QUEUE_STATE_FIELDS)."""

    pk: int
    assignee_id: int | None
    number: str
    title: str
    status: str
    priority: int
    tier: int
    is_major: bool
    created_at: datetime
    version: int
    assignee_first_name: str | None
    assignee_last_name: str | None
    assignee_username: str | None
    support_group_name: str | None
    service_name: str | None
    paged_tier_index: int | None
    alert_firing_since: datetime | None
    alert_last_recovered_at: datetime | None


QUEUE_ITEM_FIELDS = QUEUE_STATE_FIELDS


def _values(
    page_rows: QuerySet[Incident], fields: tuple[str, ...], key: StatementKey | None
) -> list[tuple[Any, ...]]:
    """The page's rows as `fields`; the statement kept under `key` (incidents.queue_statements)."""
    statement = None
    if key is not None:
        marks = (page_rows.query.low_mark, page_rows.query.high_mark)
        statement = kept_statement(
            (*key, fields, marks), lambda: rows_statement(page_rows.values_list(*fields))
        )
    if statement is None:
        return list(page_rows.values_list(*fields))
    return fetch(page_rows.db, statement)


def incident_queue_items(
    page_rows: QuerySet[Incident], key: StatementKey | None = None
) -> list[QueueItem]:
    """The queue's page of incidents (its sliced page query, annotated by with_live_page), in
    order, as QueueItems; one query."""
    return [QueueItem._make(row) for row in _values(page_rows, QUEUE_ITEM_FIELDS, key)]


def incident_queue_states(
    page_rows: QuerySet[Incident], key: StatementKey | None = None
) -> list[tuple[Any, ...]]:
    """The same rows as only what the refresh's marker reads (QUEUE_STATE_FIELDS); one query."""
    return _values(page_rows, QUEUE_STATE_FIELDS, key)


def incident_queue_counts(
    queryset: QuerySet[Incident],
    *,
    user: User,
    key: StatementKey | None = None,
    tallied: bool = False,
) -> dict[str, CappedCount]:
    """How many incidents of `queryset` each tab holds; the statement kept under `key`
    (incidents.queue_statements).

    `tallied`: `queryset` is every open incident `user` may see, unfiltered, so the counts are
    read from the open incidents' tally, exact (incidents.open_tally). Otherwise in one pass
    over at most LIST_COUNT_CAP + 1 of them: past the cap each count says it is a lower bound."""

    # Built only when a statement is compiled: a kept one needs none (a tab's condition is a
    # queryset of its own, a fifth of a millisecond per page).
    def conditions() -> dict[str, Q | None]:
        return {tab: _tab_condition(user, tab) for tab in QUEUE_TABS}

    if tallied:
        statement = kept_statement(
            None if key is None else (*key, "tally-counts"),
            lambda: tally_counts_statement(user, conditions()),
        )
        assert statement is not None
        return tally_counts(queryset.db, statement, list(QUEUE_TABS), settings.LIST_COUNT_CAP)

    def compiled() -> Statement:
        return Statement(*capped_window_statement(queryset, conditions()))

    statement = kept_statement(None if key is None else (*key, "counts"), compiled)
    assert statement is not None
    return capped_counts_of(queryset.db, (statement.sql, statement.params), QUEUE_TABS)
