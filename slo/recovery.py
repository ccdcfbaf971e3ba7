"""When a fast burn ends: the incident it opened hears about it, and is resolved if nobody
worked on it — the rule alert intake follows when every alert on an incident recovered
(incidents.alerts.recovery), applied through the kernel's registry (`TicketKind.recovery`): no
domain app is imported.

The burn has ended once no page rule of the objective holds any more: while a second page rule
that joined the same incident still holds, the burn goes on. The evaluation calls this in the
transaction that ends the last page episode, under the episode's compare-and-set, so a second
run (or a racing one) finds no open episode and does nothing.
"""

import logging
from datetime import UTC, datetime

from core.choices import Source
from core.tickets.kinds import (
    RECOVERY_DONE,
    RECOVERY_RESOLVED,
    RECOVERY_TOUCHED,
    kind_for_number,
)
from slo.budget import ALERT_POLICIES, PAGE
from slo.events import BurnEnded, burn_ended_event
from slo.models import AlertEpisode
from slo.selectors import ObjectiveStatus

logger = logging.getLogger(__name__)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _burns(status: ObjectiveStatus) -> str:
    return "; ".join(
        f"{status.burns[policy.long]:.1f} over {policy.long} and "
        f"{status.burns[policy.short]:.1f} over {policy.short} (pages at {policy.burn:g})"
        for policy in ALERT_POLICIES
        if policy.severity == PAGE
    )


def burn_ended(*, ticket_number: str, status: ObjectiveStatus, now: datetime) -> str:
    """The fast burn of `status.objective` that opened `ticket_number` ended at `now`: resolve
    the ticket if nobody worked on it, and append the SLO's event saying so; returns the
    outcome (a RECOVERY_* value, or "" when no registered kind has that ticket)."""
    kind = kind_for_number(ticket_number)
    ticket = (
        kind.model._default_manager.filter(number=ticket_number).first()
        if kind is not None and kind.recovery is not None
        else None
    )
    if kind is None or kind.recovery is None or ticket is None:
        logger.warning("SLO fast burn ended: no ticket %s to recover", ticket_number)
        return ""
    objective = status.objective
    what = f"fast burn of the objective “{objective.describe()}” ended at {_instant(now)}"
    outcome = kind.recovery.resolve_recovered(
        ticket,
        notes=f"Recovered automatically: the {what} and nobody worked on this {kind.noun}, "
        "so the system resolved it.",
        source=Source.SYSTEM,
    )
    message = f"The {what}: burn rate now {_burns(status)}. "
    if outcome.result == RECOVERY_RESOLVED:
        message += f"Nobody worked on this {kind.noun}, so the system resolved it."
    elif outcome.result == RECOVERY_TOUCHED:
        message += (
            f"Agents worked on this {kind.noun}, so the system left it as it is: resolve it "
            "when you are done."
        )
    elif outcome.result == RECOVERY_DONE:
        message += f"The {kind.noun} is no longer open, so the system left it as it is."
    else:
        message += f"The {kind.noun} was not resolved automatically: {outcome.reason}"
    burn_ended_event(
        ticket, ended=BurnEnded(objective_id=objective.pk, outcome=outcome.result), message=message
    )
    return outcome.result


def ends_the_burn(episode: AlertEpisode, still_open: list[AlertEpisode]) -> bool:
    """Whether ending `episode` ends the fast burn: it paged through an incident, and no other
    open episode of its objective shares that incident."""
    return bool(episode.ticket_number) and not any(
        other.ticket_number == episode.ticket_number
        for other in still_open
        if other.objective_id == episode.objective_id and other.pk != episode.pk
    )
