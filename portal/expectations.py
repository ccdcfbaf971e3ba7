"""What the requester can expect next on each of their tickets, one line per ticket.

The algorithm is the portal's; the words are the kind's (PortalSpec): the kind's status line
first, else the first running SLA target ("We aim to respond by ..." or, once missed, "we aimed
to ..."), else a pause, else that the desk is on it.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime

from core.tickets.portal_spec import ON_IT, Expectation
from portal.selectors import ClockLine, MyTicket
from sla.choices import ClockState, Metric


def _running_promise(
    clocks: Sequence[ClockLine], now: datetime, aims: Mapping[str, str]
) -> Expectation | None:
    # Clocks come response first: until someone picks the ticket up, that is the promise that
    # matters.
    for clock in clocks:
        if clock.state != ClockState.RUNNING or clock.due_at is None:
            continue
        aim = aims.get(clock.metric, aims[Metric.RESOLUTION])
        if clock.due_at > now:
            return Expectation(f"We aim to {aim} by", clock.due_at)
        return Expectation(f"we aimed to {aim} by", clock.due_at, tone="late")
    return None


def expectation(item: MyTicket, now: datetime) -> Expectation:
    """The line "My tickets" shows under `item`'s title, as of `now`."""
    spec = item.portal
    step = spec.next_step(item.ticket)
    if step is not None:
        return step
    promise = _running_promise(item.clocks, now, spec.sla_aims)
    if promise is not None:
        return promise
    if any(clock.state == ClockState.PAUSED for clock in item.clocks):
        return Expectation(spec.paused(item.ticket))
    return ON_IT
