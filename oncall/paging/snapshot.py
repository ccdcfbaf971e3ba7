"""The escalation a page follows, taken when it starts (DESIGN.md §5b): editing a policy never
changes a page already under way.

The snapshot is plain JSON, a list of tiers from the ticket's own tier up to L3, each the
policy in force for the group a ticket would land in at that tier (the same rule as the SLA
escalation: core.tickets.escalation.GroupFinder), with its steps. Tiers whose group has no
active policy with steps are left out.

    [{"tier": 1, "group_id": 3, "group": "Service Desk", "policy_id": 7, "policy": "L1 day",
      "repeat": 1,
      "steps": [{"target": "schedule", "schedule_id": 2, "schedule": "L1 primary",
                 "people": [], "wait_minutes": 5},
                {"target": "people", "schedule_id": null, "schedule": "", "people": [4, 9],
                 "wait_minutes": 10},
                {"target": "group", "schedule_id": null, "schedule": "", "people": [],
                 "wait_minutes": 15}]}]

Who is on call for a schedule step is decided when the step runs (the shift may change during
a long page); the people of a "people" step and the group of a "group" step are fixed here.
"""

from typing import Any

from django.db.models import Prefetch, Q

from core.choices import Tier
from core.models import Service, SupportGroup, TicketBase
from core.tickets.escalation import GroupFinder
from core.tickets.visibility import is_restricted
from oncall.models import EscalationPolicy, EscalationStep

TierSnapshot = dict[str, Any]


def policy_for(group: SupportGroup, service: Service | None) -> EscalationPolicy | None:
    """The group's active policy for the service (one naming it wins over the general one),
    with its steps and their people loaded."""
    wanted = Q(service__isnull=True)
    if service is not None:
        wanted |= Q(service=service)
    steps = EscalationStep.objects.select_related("schedule").prefetch_related("people")
    candidates = (
        EscalationPolicy.objects.filter(wanted, support_group=group, is_active=True)
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("service_id")
    )
    found = list(candidates)
    found.sort(key=lambda policy: policy.service_id is None)
    return found[0] if found else None


def tier_snapshot(group: SupportGroup, policy: EscalationPolicy) -> TierSnapshot:
    return {
        "tier": group.tier,
        "group_id": group.pk,
        "group": group.name,
        "policy_id": policy.pk,
        "policy": policy.name,
        "repeat": policy.repeat,
        "steps": [
            {
                "target": step.target,
                "schedule_id": step.schedule_id,
                "schedule": step.schedule.name if step.schedule else "",
                "people": sorted(person.pk for person in step.people.all()),
                "wait_minutes": step.wait_minutes,
            }
            for step in policy.steps.all()
        ],
    }


def snapshot_for(ticket: TicketBase, group: SupportGroup | None) -> list[TierSnapshot]:
    """Every tier's policy from `group` (the ticket's group, or the one chosen by hand) up."""
    if group is None:
        return []
    tiers: list[TierSnapshot] = []
    finder = GroupFinder()
    restricted = is_restricted(ticket)
    current: SupportGroup | None = group
    tier = group.tier
    while tier <= Tier.L3:
        if current is not None:
            policy = policy_for(current, ticket.service)
            if policy is not None and policy.steps.all():
                tiers.append(tier_snapshot(current, policy))
        tier += 1
        current = finder.for_tier(tier, ticket.service, restricted=restricted)
    return tiers
