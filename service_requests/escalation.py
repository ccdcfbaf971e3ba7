"""Escalation of service requests to the next support tier, for the SLA sweeper.

`request_escalate_many` moves each request to a group of the next tier (the service's owner if it
works at that tier, else the first active group of it), unassigned, bumps `version`, and appends
an event with the reason and the time spent in the previous tier: one lock query, one UPDATE per
target group, one insert of events for the whole batch.
"""

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Max
from django.utils import timezone

from core.choices import EventKind, Source, Tier
from core.models import TimelineEvent
from core.services import event_build
from incidents.escalation import GroupFinder
from service_requests.models import ServiceRequest
from sla.registry import EscalationOutcome


def request_escalate_many(items: list[tuple[int, str]]) -> list[EscalationOutcome]:
    """Escalate each (request id, reason) one tier as the system; outcomes in the same order.

    Call inside a transaction. Requests are locked in primary-key order (no deadlock between
    concurrent sweepers). A refusal (closed, already at L3, no group) is an outcome with
    escalated=False and an SLA event saying why, for the caller to notify managers.
    """
    ids = sorted({request_id for request_id, _ in items})
    locked = {
        request.pk: request
        for request in ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("service__owner_group", "support_group")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    original_versions = {pk: request.version for pk, request in locked.items()}
    since = dict(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(ServiceRequest),
            ticket_id__in=ids,
            kind=EventKind.ESCALATED,
        )
        .values("ticket_id")
        .annotate(at=Max("created_at"))
        .values_list("ticket_id", "at")
    )
    groups = GroupFinder()
    now = timezone.now()
    outcomes: list[EscalationOutcome] = []
    events: list[TimelineEvent] = []
    moved: set[int] = set()
    for request_id, reason in items:
        request = locked[request_id]
        from_tier = request.tier
        group = groups.for_tier(from_tier + 1, request.service)
        refusal = None
        if not request.is_open:
            refusal = f"{request.number} is {request.get_status_display().lower()}."
        elif from_tier >= Tier.L3:
            refusal = f"{request.number} is already at L3, the top tier."
        elif group is None:
            refusal = f"There is no active L{from_tier + 1} support group."
        if refusal or group is None:
            events.append(
                event_build(
                    ticket=request,
                    kind=EventKind.SLA,
                    actor=None,
                    source=Source.SYSTEM,
                    message=f"{reason} {refusal} Managers notified.",
                    is_public=False,
                )
            )
            outcomes.append(EscalationOutcome(False, from_tier, from_tier, refusal or ""))
            continue
        changes = {
            "from_tier": from_tier,
            "to_tier": from_tier + 1,
            "from_group": request.support_group.name if request.support_group else None,
            "to_group": group.name,
            "time_in_tier_seconds": int(
                (now - since.get(request_id, request.created_at)).total_seconds()
            ),
        }
        request.support_group = group
        request.tier = from_tier + 1
        request.assignee = None
        request.version += 1
        since[request_id] = now
        moved.add(request_id)
        events.append(
            event_build(
                ticket=request,
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
    by_target: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for request_id in moved:
        request = locked[request_id]
        assert request.support_group_id is not None
        steps = request.version - original_versions[request_id]
        by_target[(request.support_group_id, request.tier, steps)].append(request_id)
    for (group_id, tier, steps), target_ids in by_target.items():
        ServiceRequest.objects.filter(pk__in=target_ids).update(
            support_group_id=group_id,
            tier=tier,
            assignee=None,
            version=F("version") + steps,
            updated_at=now,
        )
    TimelineEvent.objects.bulk_create(events)
    return outcomes
