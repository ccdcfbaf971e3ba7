"""The problems' link tally (problems.LinkTally): what folds and audits it. Its triggers are in
problems/link_tally_sql.py; the problem page reads it (problems.page_counts)."""

from django.db import connections, router

from core.tallies import fold_tally, rebuild_tally, tally_drift
from problems import link_tally_sql
from problems.linked_kind import linked_kind
from problems.models import LinkTally

KEYS = ("problem_id", "restricted", "open", "assignee_id", "requester_id")


def compact_link_tally() -> tuple[int, int]:
    """Fold the tally into one row per problem and kind of link (core.tallies); the rows
    before and after."""
    return fold_tally(LinkTally, KEYS)


def audit_link_tally() -> int:
    """Compare the tally with the links it counts; when they differ, make it again
    (core.tallies). How many keys differed."""
    connection = connections[router.db_for_write(LinkTally)]
    drift = tally_drift(LinkTally, KEYS, link_tally_sql.counted(connection))
    if drift:
        sources = (link_tally_sql.LINKS, linked_kind().model._meta.db_table)
        rebuild_tally(LinkTally, link_tally_sql.rebuild(connection), sources)
    return drift
