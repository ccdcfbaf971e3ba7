"""Writes for many incidents at once (the triage queue's bulk bar): assign, change priority,
change status.

Each incident goes through its own single-ticket service, one after the other, each in its own
transaction: one refusal (an illegal transition, a conflict, a missing field) changes nothing on
that incident and does not stop or undo the others. The outcome names every incident that was
changed, left as it was, or refused, with the reason, so the page can report them one by one.

Call these outside any transaction (a surrounding atomic block would make a late failure roll
back the earlier successes). The incidents must come from a scoped selector.

Also here: `incident_change_priority`, the single-ticket service behind "change priority"
(incidents.services has none), and `transition_perform`, the one mapping from an action name and
its form's cleaned data to the lifecycle service, shared by the incident page and the bulk bar.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core.choices import Priority, Source
from core.exceptions import DomainError, TransitionError, ValidationFailed
from core.lifecycle import Transition
from core.models import SupportGroup, User
from core.roles import is_agent
from core.tickets import clocks
from core.tickets.events import details_edited_event
from core.tickets.executor import refuse_unless_open, ticket_lock, ticket_save
from incidents import services
from incidents.choices import Impact, Urgency
from incidents.kind import INCIDENT, transition_context
from incidents.models import Incident
from incidents.permissions import can_perform
from incidents.priority import priority_for
from incidents.transitions import LIFECYCLE, legal_actions

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
        clocks.retarget(locked, INCIDENT, actor=actor, source=source)
    return locked


# --- One incident: a lifecycle action from form data ----------------------------------------


def transition_perform(
    incident: Incident,
    *,
    actor: User,
    action: str,
    data: dict[str, Any],
    expected_version: int | None,
    source: str = Source.WEB,
) -> Incident:
    """Call the one service for `action` with the cleaned data of its form (incidents.forms
    TRANSITION_FORMS). An unknown action is a TransitionError."""
    common: dict[str, Any] = {
        "actor": actor,
        "source": source,
        "expected_version": expected_version,
    }
    match action:
        case "accept":
            return services.incident_accept(incident, **common)
        case "classify":
            return services.incident_classify(
                incident,
                category=data["category"],
                impact=data["impact"],
                urgency=data["urgency"],
                service=data["service"],
                configuration_item=data.get("configuration_item"),
                support_group=data.get("support_group"),
                is_major=bool(data.get("is_major")),
                **common,
            )
        case "contain":
            return services.incident_contain(
                incident, containment_notes=data["containment_notes"], **common
            )
        case "diagnose":
            return services.incident_diagnose(
                incident, diagnosis_notes=data["diagnosis_notes"], **common
            )
        case "resolve":
            return services.incident_resolve(
                incident,
                resolution_code=data["resolution_code"],
                resolution_notes=data["resolution_notes"],
                **common,
            )
        case "close":
            return services.incident_close(incident, **common)
        case "reopen":
            return services.incident_reopen(incident, reason=data["reason"], **common)
        case "hold":
            return services.incident_hold(
                incident,
                on_hold_reason=data["on_hold_reason"],
                note=data.get("note", ""),
                **common,
            )
        case "resume":
            return services.incident_resume(incident, **common)
        case "cancel":
            return services.incident_cancel(
                incident,
                cancel_reason=data["cancel_reason"],
                note=data.get("note", ""),
                **common,
            )
    raise TransitionError(f"Unknown action '{action}'.")


# --- Many incidents -------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkRefusal:
    number: str
    reason: str


@dataclass
class BulkOutcome:
    """What a bulk action did, incident by incident (numbers in the order they were given)."""

    label: str
    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[BulkRefusal] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.unchanged) + len(self.refused)

    @property
    def refused_numbers(self) -> list[str]:
        return [refusal.number for refusal in self.refused]

    def refuse(self, number: str, error: Exception | str) -> None:
        if isinstance(error, ValidationFailed):
            reason = " ".join(error.errors.values())
        else:
            reason = str(error)
        self.refused.append(BulkRefusal(number, reason))


def _changed(before: Incident, after: Incident) -> bool:
    return after.version != before.version


def bulk_common_actions(user: User, incidents: Sequence[Incident]) -> list[Transition]:
    """The lifecycle actions legal right now for every one of `incidents` and allowed to
    `user`, in table order (pure: no query). Empty for an empty selection."""
    if not incidents:
        return []
    ctx = transition_context()
    common: set[str] | None = None
    for incident in incidents:
        actions = {
            t.action for t in legal_actions(incident, ctx) if can_perform(user, incident, t.action)
        }
        common = actions if common is None else common & actions
        if not common:
            return []
    return [t for t in LIFECYCLE.transitions if common and t.action in common]


def incident_bulk_assign(
    incidents: Sequence[Incident],
    *,
    actor: User,
    assignee: User | None,
    keep_assignee: bool,
    support_group: SupportGroup | None,
) -> BulkOutcome:
    """Assign each incident to `assignee` (None: unassigned) or keep its assignee, and/or move
    it to `support_group` (None: keep), through incidents.services.incident_assign. An incident
    changed by someone else since it was read is refused, not overwritten."""
    target = "its current assignee" if keep_assignee else (assignee or "nobody")
    label = f"Assign to {target}" + (f" in {support_group.name}" if support_group else "")
    outcome = BulkOutcome(label=label)
    for incident in incidents:
        try:
            updated = services.incident_assign(
                incident,
                actor=actor,
                assignee=incident.assignee if keep_assignee else assignee,
                support_group=support_group,
                expected_version=incident.version,
            )
        except DomainError as exc:
            outcome.refuse(incident.number, exc)
            continue
        (outcome.done if _changed(incident, updated) else outcome.unchanged).append(incident.number)
    return outcome


def incident_bulk_change_priority(
    incidents: Sequence[Incident], *, actor: User, priority: int, reason: str
) -> BulkOutcome:
    """Give each incident `priority` with the same reason (`incident_change_priority`)."""
    outcome = BulkOutcome(label=f"Change priority to {Priority(priority).label}")
    for incident in incidents:
        try:
            updated = incident_change_priority(
                incident,
                actor=actor,
                priority=priority,
                reason=reason,
                expected_version=incident.version,
            )
        except DomainError as exc:
            outcome.refuse(incident.number, exc)
            continue
        (outcome.done if _changed(incident, updated) else outcome.unchanged).append(incident.number)
    return outcome


def incident_bulk_transition(
    incidents: Sequence[Incident], *, actor: User, action: str, data: dict[str, Any]
) -> BulkOutcome:
    """Run one lifecycle action on each incident with the same fields. The transition table is
    checked again for each incident under its lock, so one that moved on since the selection
    was made is refused with the table's reason."""
    transition = LIFECYCLE.table.get(action)
    if transition is None:
        raise TransitionError(f"Unknown action '{action}'.")
    outcome = BulkOutcome(label=transition.label)
    for incident in incidents:
        try:
            transition_perform(
                incident, actor=actor, action=action, data=data, expected_version=None
            )
        except DomainError as exc:
            outcome.refuse(incident.number, exc)
            continue
        outcome.done.append(incident.number)
    return outcome
