"""How a ticket kind shows itself to its requester in the portal (the home and "My tickets").

The portal lists every kind registered with a `PortalSpec` and reads from it everything that
differs between kinds: which statuses are closed for the requester, which tickets wait on them,
the line that says what happens next, and the words of the SLA promise. The kind declares it in
its own app (its callables may use the app's choices), so the portal imports no domain app and a
new kind appears in "My tickets" by declaring one.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db.models import Q

# info: what the desk does next; action: the requester's move; late: a missed target;
# done: the ticket's story is over.
Tone = Literal["info", "action", "late", "done"]


@dataclass(frozen=True)
class Expectation:
    """What the requester can expect next, as one line: text, then the instant (if any) in the
    viewer's time zone, styled by `tone`."""

    text: str
    when: datetime | None = None
    tone: Tone = "info"


# The lines every kind says the same way.
REPLY_NEEDED = Expectation("We need your reply to go on.", tone="action")
CANCELLED = Expectation("Cancelled.", tone="done")
ON_IT = Expectation("The service desk is on it; updates appear here.")


def closed_on(when: datetime | None) -> Expectation:
    return Expectation("Closed on", when, tone="done")


@dataclass(frozen=True, eq=False)
class PortalSpec:
    """A kind's portal declaration (TicketKind.portal).

    `filter_label` names the kind in the "My tickets" kind filter ("Incidents"), whose value is
    the kind's url_namespace. `closed_statuses` are listed under "Closed" and every other status
    under "Open" (for requests this includes rejected, which the lifecycle can still close).
    `waiting_on_requester` selects the tickets whose next move is the requester's (confirm a
    fix, answer a question); `next_step` must give those an "action" line.

    What to expect, in order: `next_step(ticket)` when the status alone decides the line (their
    move, an approval, on hold, the end); otherwise the first running SLA clock, as "We aim to
    <sla_aims[metric]> by <due>"; otherwise, while a clock is paused, `paused(ticket)`;
    otherwise ON_IT.
    """

    filter_label: str
    closed_statuses: frozenset[str]
    waiting_on_requester: Q
    next_step: Callable[[Any], Expectation | None]
    sla_aims: Mapping[str, str]
    paused: Callable[[Any], str]
    # The ticket's fields `next_step` and `paused` read besides its status: "My tickets" reads
    # a line's values, not the ticket (portal.kept_page).
    line_fields: tuple[str, ...] = ("status",)
