"""What another app holds against closing a ticket: the hook a kind's close guard reads.

Some things that block closing live in an app the ticket's kind may not import (a major
incident's post-incident review and its action items are the problems app's). That app
installs a blocker here from its AppConfig.ready(), as the SLA engine installs its clock
keeper (core.tickets.clocks); the kind's guard context asks `close_refusal` and its lifecycle
guard refuses `close` with the blocker's words.
"""

from collections.abc import Callable

from core.models import TicketBase

CloseBlocker = Callable[[TicketBase], str | None]

_BLOCKERS: dict[str, CloseBlocker] = {}


def close_blocker_install(name: str, blocker: CloseBlocker) -> None:
    """Install (or replace, by name: ready() may run twice in tests) a blocker."""
    _BLOCKERS[name] = blocker


def close_refusal(ticket: TicketBase) -> str | None:
    """The first reason an installed blocker gives against closing the ticket, or None."""
    for blocker in _BLOCKERS.values():
        reason = blocker(ticket)
        if reason:
            return reason
    return None
