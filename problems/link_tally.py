"""The problems' link tally (problems.LinkTally): what folds it. Its triggers are in
problems/link_tally_sql.py; the problem page reads it (problems.page_counts)."""

from core.tallies import fold_tally
from problems.models import LinkTally

KEYS = ("problem_id", "restricted", "open", "assignee_id", "requester_id")


def compact_link_tally() -> tuple[int, int]:
    """Fold the tally into one row per problem and kind of link (core.tallies); the rows
    before and after."""
    return fold_tally(LinkTally, KEYS)
