"""The kind problems link, as problems reach it: through the kind registry, never by import
(DESIGN.md §3). The incident app declares what closing the loop and a post-incident review mean
for its tickets (incidents/kind.py); problems only call what it declares.

Looked up when called, not at import: the registry is filled in the apps' ready().
"""

from typing import Any, TypeAlias

from core.tickets.kinds import ClosedLoop, Review, TicketKind, kind_named

# Problems link incidents (the links' foreign keys name "incidents.Incident" by string).
LINKED_KIND = "incident"

# An incident. Problems cannot name its model, and the type checker checks lookups and foreign
# keys against the model it knows: typed loosely on purpose.
LinkedTicket: TypeAlias = Any


def linked_kind() -> TicketKind:
    return kind_named(LINKED_KIND)


def linked_tickets() -> Any:
    """The linked kind's model manager, for lookups on its own fields (status, category)."""
    return linked_kind().model._default_manager


def closed_loop() -> ClosedLoop:
    """How a problem's fix resolves its linked tickets."""
    loop = linked_kind().closed_loop
    if loop is None:
        raise LookupError(f"the {LINKED_KIND} kind declares no closed loop")
    return loop


def review_rules() -> Review:
    """Which linked tickets get a post-incident review, and how its completion is recorded."""
    review = linked_kind().review
    if review is None:
        raise LookupError(f"the {LINKED_KIND} kind declares no post-incident review")
    return review


def resolution_choices() -> list[tuple[str, str]]:
    """The resolution codes a problem's fix may resolve its linked tickets with (forms, API)."""
    return list(closed_loop().resolution_codes)
