"""Escalation of incidents between support tiers (L1 -> L2 -> L3), by hand or by the SLA engine.

An escalation moves the incident to a group of the next tier (the service's owner if it works at
that tier, else the first active group of it), unassigned, bumps `version`, and appends an event
with the reason and the time spent in the previous tier. `incident_escalate_many` does the same
set-wise for the sweeper: one lock query, one update, one insert for a whole batch.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from core.choices import EventKind, Source, Tier
from core.exceptions import TransitionError
from core.models import Service, SupportGroup, TimelineEvent, User
from core.roles import is_agent
from core.services import event_append, event_build
from incidents.models import Incident
from sla.registry import EscalationOutcome

_MOVES = (EventKind.ESCALATED, EventKind.DEESCALATED)


class GroupFinder:
    """The group an escalation to a tier lands in, with one query per tier per batch."""

    def __init__(self) -> None:
        self._first_of_tier: dict[int, SupportGroup | None] = {}

    def for_tier(self, tier: int, service: Service | None) -> SupportGroup | None:
        owner = service.owner_group if service is not None else None
        if owner is not None and owner.tier == tier and owner.is_active:
            return owner
        if tier not in self._first_of_tier:
            self._first_of_tier[tier] = (
                SupportGroup.objects.filter(tier=tier, is_active=True).order_by("name").first()
            )
        return self._first_of_tier[tier]


def next_tier_group(tier: int, service: Service | None) -> SupportGroup | None:
    return GroupFinder().for_tier(tier, service)


def _last_moves(ids: list[int]) -> dict[int, datetime]:
    rows = (
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident),
            ticket_id__in=ids,
            kind__in=_MOVES,
        )
        .values("ticket_id")
        .annotate(at=Max("created_at"))
        .values_list("ticket_id", "at")
    )
    return dict(rows)


def _refusal(incident: Incident, to_tier: int, group: SupportGroup | None) -> str | None:
    if not incident.is_open:
        return f"{incident.number} is {incident.get_status_display().lower()}."
    if to_tier > Tier.L3:
        return f"{incident.number} is already at L3, the top tier."
    if to_tier < Tier.L1:
        return f"{incident.number} is already at L1."
    if group is None:
        return f"There is no active L{to_tier} support group."
    return None


def _apply_move(
    incident: Incident,
    *,
    group: SupportGroup,
    to_tier: int,
    since: datetime,
    now: datetime,
) -> dict[str, Any]:
    """Move the (locked) incident in memory and return the event's changes."""
    changes = {
        "from_tier": incident.tier,
        "to_tier": to_tier,
        "from_group": incident.support_group.name if incident.support_group else None,
        "to_group": group.name,
        "time_in_tier_seconds": int((now - since).total_seconds()),
    }
    incident.support_group = group
    incident.tier = to_tier
    incident.assignee = None
    incident.version += 1
    incident.updated_at = now
    return changes


def _move_tier(
    incident: Incident,
    *,
    step: int,
    actor: User | None,
    reason: str,
    source: str,
    expected_version: int | None,
) -> EscalationOutcome:
    from incidents.services import _lock, _require

    reason = (reason or "").strip()
    if actor is not None and not is_agent(actor):
        raise TransitionError("Only agents can escalate or de-escalate incidents.")
    _require({"reason": reason}, ("reason",))
    with transaction.atomic():
        locked = _lock(incident, expected_version)
        from_tier = locked.tier
        to_tier = from_tier + step
        group = GroupFinder().for_tier(to_tier, locked.service)
        refusal = _refusal(locked, to_tier, group)
        if refusal or group is None:
            raise TransitionError(refusal or "No group.")
        now = timezone.now()
        since = _last_moves([locked.pk]).get(locked.pk, locked.created_at)
        changes = _apply_move(locked, group=group, to_tier=to_tier, since=since, now=now)
        locked.save(update_fields=["support_group", "tier", "assignee", "version", "updated_at"])
        event_append(
            ticket=locked,
            kind=EventKind.ESCALATED if step > 0 else EventKind.DEESCALATED,
            actor=actor,
            source=source,
            changes=changes,
            message=reason,
            is_public=False,
        )
    verb = "Escalated" if step > 0 else "De-escalated"
    return EscalationOutcome(
        escalated=True,
        from_tier=from_tier,
        to_tier=to_tier,
        message=f"{verb} from L{from_tier} to L{to_tier} ({group.name}).",
    )


def incident_escalate(
    incident: Incident,
    *,
    actor: User | None,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> EscalationOutcome:
    """Move an open incident to the next tier's group (L1 -> L2 -> L3), unassigned, with the
    reason and the time spent in the previous tier on the timeline. Refused at L3."""
    return _move_tier(
        incident,
        step=1,
        actor=actor,
        reason=reason,
        source=source,
        expected_version=expected_version,
    )


def incident_deescalate(
    incident: Incident,
    *,
    actor: User,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> EscalationOutcome:
    """Move an open incident back to the previous tier's group. Refused at L1."""
    return _move_tier(
        incident,
        step=-1,
        actor=actor,
        reason=reason,
        source=source,
        expected_version=expected_version,
    )


def incident_escalate_many(items: list[tuple[int, str]]) -> list[EscalationOutcome]:
    """Escalate each (incident id, reason) one tier as the system; outcomes in the same order.

    Call inside a transaction. Incidents are locked in primary-key order (no deadlock between
    concurrent sweepers). A refusal (at L3, closed, no group) is an outcome with
    escalated=False and its reason is recorded as an SLA event, for the caller to notify
    managers. An incident listed twice escalates twice (two breaches, two levels).
    """
    ids = sorted({incident_id for incident_id, _ in items})
    locked = {
        incident.pk: incident
        for incident in Incident.objects.select_for_update(of=("self",))
        .select_related("service__owner_group", "support_group")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    original_versions = {pk: incident.version for pk, incident in locked.items()}
    since = _last_moves(ids)
    groups = GroupFinder()
    now = timezone.now()
    outcomes: list[EscalationOutcome] = []
    events: list[TimelineEvent] = []
    moved: dict[int, Incident] = {}
    for incident_id, reason in items:
        incident = locked[incident_id]
        from_tier = incident.tier
        group = groups.for_tier(from_tier + 1, incident.service)
        refusal = _refusal(incident, from_tier + 1, group)
        if refusal or group is None:
            events.append(
                event_build(
                    ticket=incident,
                    kind=EventKind.SLA,
                    actor=None,
                    source=Source.SYSTEM,
                    message=f"{reason} {refusal} Managers notified.",
                    is_public=False,
                )
            )
            outcomes.append(EscalationOutcome(False, from_tier, from_tier, refusal or ""))
            continue
        changes = _apply_move(
            incident,
            group=group,
            to_tier=from_tier + 1,
            since=since.get(incident_id, incident.created_at),
            now=now,
        )
        since[incident_id] = now
        moved[incident_id] = incident
        events.append(
            event_build(
                ticket=incident,
                kind=EventKind.ESCALATED,
                actor=None,
                source=Source.SYSTEM,
                changes=changes,
                message=reason,
                is_public=False,
            )
        )
        outcomes.append(
            EscalationOutcome(
                True,
                from_tier,
                from_tier + 1,
                f"Escalated from L{from_tier} to L{from_tier + 1} ({group.name}).",
            )
        )
    # One UPDATE per target (group, tier, number of moves): a backlog escalates thousands of
    # incidents to the same L2 group, and per-row CASE updates cost more than the rest together.
    by_target: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for incident_id, incident in moved.items():
        steps = incident.version - original_versions[incident_id]
        assert incident.support_group_id is not None
        by_target[(incident.support_group_id, incident.tier, steps)].append(incident_id)
    for (group_id, tier, steps), target_ids in by_target.items():
        Incident.objects.filter(pk__in=target_ids).update(
            support_group_id=group_id,
            tier=tier,
            assignee=None,
            version=F("version") + steps,
            updated_at=now,
        )
    TimelineEvent.objects.bulk_create(events)
    return outcomes
