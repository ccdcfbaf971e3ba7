"""The triage queue's tab counts from the open incidents' tally (incidents.OpenTally), for the
queue as it opens: open incidents, no other filter.

Counting the open incidents of each tab read a window of 10,001 of them on every page and
refresh, 4-5 ms of the database's time at a million incidents, and past that window the tabs
were lower bounds (issue 18). The tally holds a few rows per support group and assignee, which
the database's own triggers keep in step with every change (incidents.open_tally_sql), so the
counts are exact and cost the same at any size. A filtered queue still counts its window
(incidents.selectors.incident_queue_counts).

What a viewer may see is applied as the incidents' selectors apply it (core.tickets.visibility):
an agent who is no manager sees the tally's restricted rows only as a member of a group that
handles security (an EXISTS in the statement) or as their assignee; the restricted incidents
such an agent sees as their requester are counted from the incidents themselves, in the same
statement (a handful: the window of core.capped_counts, over a partial index of them).
"""

from django.db import connections, router
from django.db.models import Q, QuerySet

from core.capped_counts import CappedCount, capped_window_statement
from core.kept_statements import Statement, kept_cursor
from core.models import User
from core.tallies import fold_tally, rebuild_tally, tally_drift, tally_sums_statement
from core.tickets.visibility import hides_restricted, reads_every_restricted
from incidents import open_tally_sql
from incidents.choices import Category
from incidents.models import Incident, OpenTally
from incidents.transitions import OPEN_STATUSES
from incidents.visibility import SECURITY_INCIDENTS

TabConditions = dict[str, Q | None]


def _tally_statement(user: User, conditions: TabConditions) -> tuple[str, tuple[object, ...]]:
    tally: QuerySet[OpenTally] = OpenTally.objects.all()
    if hides_restricted(SECURITY_INCIDENTS, user):
        tally = tally.filter(
            Q(restricted=False) | Q(assignee_id=user.pk) | reads_every_restricted(user)
        )
    return tally_sums_statement(tally, conditions)


def _seen_restricted(user: User) -> QuerySet[Incident]:
    """The open restricted incidents `user` sees only as their requester (none for a member of
    a group that handles security, nor those assigned to them: the tally's rows count those),
    read through the index of such incidents by requester (incident_open_restricted)."""
    # The restriction (SECURITY_INCIDENTS.rows) and the open statuses written into the SQL
    # (core.constant_in): as parameters, PostgreSQL cannot match the partial index to a generic
    # plan and planned the statement again on every page (about 2 ms).
    return (
        Incident.objects.filter(category__in_constants=[Category.SECURITY])
        .filter(status__in_constants=OPEN_STATUSES)
        .filter(requester_id=user.pk)
        .exclude(assignee_id=user.pk)
        .exclude(reads_every_restricted(user))
    )


def tally_counts_statement(user: User, conditions: TabConditions) -> Statement:
    """One statement: each tab's count from the tally, then, for a viewer from whom restricted
    incidents are hidden, each tab's count of those they see anyway and how many were read."""
    sql, params = _tally_statement(user, conditions)
    if not hides_restricted(SECURITY_INCIDENTS, user):
        return Statement(sql, params)
    extra_sql, extra_params = capped_window_statement(_seen_restricted(user), conditions)
    return Statement(
        f"SELECT * FROM ({sql}) AS tally CROSS JOIN ({extra_sql}) AS seen",  # noqa: S608
        (*params, *extra_params),
    )


def tally_counts(
    alias: str, statement: Statement, tabs: list[str], cap: int
) -> dict[str, CappedCount]:
    """Run a `tally_counts_statement`: each tab's count, exact unless the restricted incidents
    the viewer sees as their requester were more than `cap` (then a lower bound)."""
    with kept_cursor(alias) as cursor:
        cursor.execute(statement.sql, statement.params)
        row = cursor.fetchone()
    sums = [int(value) for value in row[: len(tabs)]]
    extra = row[len(tabs) :]
    if not extra:
        return {tab: CappedCount(total) for tab, total in zip(tabs, sums, strict=True)}
    *seen, read = (int(value) for value in extra)
    capped = read > cap
    return {
        tab: CappedCount(total + min(more, cap), capped)
        for tab, total, more in zip(tabs, sums, seen, strict=True)
    }


KEYS = ("support_group_id", "assignee_id", "restricted")


def compact_open_tally() -> tuple[int, int]:
    """Fold the tally into one row per support group, assignee and restriction (core.tallies);
    the rows before and after."""
    return fold_tally(OpenTally, KEYS)


def audit_open_tally() -> int:
    """Compare the tally with the open incidents it counts; when they differ, make it again
    (core.tallies). How many keys differed."""
    vendor = connections[router.db_for_write(OpenTally)].vendor
    drift = tally_drift(OpenTally, KEYS, open_tally_sql.counted(vendor))
    if drift:
        rebuild_tally(OpenTally, open_tally_sql.rebuild(vendor), (open_tally_sql.SOURCE,))
    return drift
