"""Changing an incident's priority, alone or for many incidents at once (the triage queue's
bulk bar; assigning and changing status in bulk are the kernel's, core.tickets.bulk).

In bulk, each incident goes through `incident_change_priority` in its own transaction; a
refusal changes nothing on that incident and does not stop the others (core.tickets.bulk).
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from core.choices import Priority, Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import User
from core.roles import is_agent
from core.tickets import clocks
from core.tickets.bulk import BulkOutcome, tickets_bulk
from core.tickets.events import details_edited_event
from core.tickets.executor import refuse_unless_open, ticket_lock, ticket_save
from core.tickets.kinds import kind_of
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from incidents.priority import priority_for

# --- One incident: priority -----------------------------------------------------------------

_RANK: dict[str, int] = {Impact.HIGH: 0, Impact.MEDIUM: 1, Impact.LOW: 2}
_URGENCY_RANK: dict[str, int] = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}


def matrix_pair_for(priority: int, *, impact: str, urgency: str) -> tuple[str, str]:
    """The impact x urgency pair giving `priority` under the configured matrix that is closest
    to the current pair: fewest axes changed, then the smallest step, then keeping the impact
    (urgency is what an agent usually re-judges). Raises ValidationFailed when no pair gives it.
    """
    candidates = [
        (i, u) for i in Impact.values for u in Urgency.values if priority_for(i, u) == priority
    ]
    if not candidates:
        raise ValidationFailed({"priority": f"No impact and urgency give P{priority}."})

    def cost(pair: tuple[str, str]) -> tuple[int, int, int]:
        i, u = pair
        changed = (i != impact) + (u != urgency)
        step = abs(_RANK[i] - _RANK.get(impact, 1)) + abs(
            _URGENCY_RANK[u] - _URGENCY_RANK.get(urgency, 1)
        )
        return changed, step, int(i != impact)

    return min(candidates, key=cost)


def incident_change_priority(
    incident: Incident,
    *,
    actor: User,
    priority: int,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Give an open incident another priority, with a reason (agents only).

    The priority stays what the impact x urgency matrix says: the closest pair that gives the
    new priority is stored with it (`matrix_pair_for`). Locks the row, refuses a stale version
    (ConflictError) or a closed/cancelled/resolved incident (TransitionError), bumps `version`,
    appends an internal timeline event carrying the reason, and moves the SLA clocks to the new
    priority's policy. The same priority again changes nothing and appends nothing.
    """
    reason = (reason or "").strip()
    if not is_agent(actor):
        raise TransitionError("Only agents can change the priority of incidents.")
    if priority not in Priority.values:
        raise ValidationFailed({"priority": f"'{priority}' is not a priority (1 to 5)."})
    if not reason:
        raise ValidationFailed({"reason": "Say why the priority changes."})
    with transaction.atomic():
        locked = ticket_lock(incident, expected_version)
        refuse_unless_open(locked)
        if locked.priority == priority:
            return locked
        impact, urgency = matrix_pair_for(priority, impact=locked.impact, urgency=locked.urgency)
        changes: dict[str, Any] = {"priority": priority}
        if locked.impact != impact:
            changes["impact"] = impact
        if locked.urgency != urgency:
            changes["urgency"] = urgency
        locked.priority, locked.impact, locked.urgency = priority, impact, urgency
        ticket_save(locked, {"priority", "impact", "urgency"})
        details_edited_event(locked, actor=actor, source=source, fields=changes, message=reason)
        clocks.retarget(locked, kind_of(locked), actor=actor, source=source)
    return locked


def incident_bulk_change_priority(
    incidents: Sequence[Incident], *, actor: User, priority: int, reason: str
) -> BulkOutcome:
    """Give each incident `priority` with the same reason (`incident_change_priority`)."""
    return tickets_bulk(
        incidents,
        label=f"Change priority to {Priority(priority).label}",
        change=lambda incident: incident_change_priority(
            incident,
            actor=actor,
            priority=priority,
            reason=reason,
            expected_version=incident.version,
        ),
    )
