"""Permission matrix: paging in /api/v1/oncall/ — policies (agents read; admins and the L1
group's manager write), contact methods and rules (one's own: someone else's is a 404; admins
everyone's), pages (agents, of tickets they can see). The matrix's manager is made the L1
group's manager. Format in tests/api/matrix/__init__.py."""

from typing import Any

from django.utils import timezone

from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageReason,
    StepTarget,
)
from tests.api.matrix import Case, MatrixContext, statuses

READ = statuses(end_user=403, agent=200)
MANAGE = statuses(end_user=403, agent=403, manager=200, admin=200)


def policy(ctx: MatrixContext) -> dict[str, Any]:
    group = ctx.groups[1]
    group.manager = ctx.users["manager"]
    group.save()
    made = EscalationPolicy.objects.create(support_group=group, name="Matrix")
    EscalationStep.objects.create(policy=made, position=1, target=StepTarget.GROUP, wait_minutes=5)
    return {"pk": made.pk}


def with_manager(ctx: MatrixContext) -> dict[str, Any]:
    group = ctx.groups[1]
    group.manager = ctx.users["manager"]
    group.save()
    return {}


def new_policy(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "support_group": ctx.groups[1].pk,
        "name": "New",
        "steps": [{"target": "group", "wait_minutes": 5}],
    }


def agent_l1_method(ctx: MatrixContext) -> dict[str, Any]:
    """agent_l1's method: theirs (and admins') to read and change; 404 for other agents."""
    method = ContactMethod.objects.create(
        person=ctx.users["agent_l1"], kind="email", label="Work", address="l1@example.com"
    )
    rule = NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    ctx.extra["method"], ctx.extra["rule"] = method, rule
    return {"pk": method.pk}


def agent_l1_webhook(ctx: MatrixContext) -> dict[str, Any]:
    method = ContactMethod.objects.create(
        person=ctx.users["agent_l1"],
        kind="webhook",
        label="SMS",
        address="https://sms.example.com/in",
        secret="s" * 40,
    )
    return {"pk": method.pk}


def agent_l1_rule(ctx: MatrixContext) -> dict[str, Any]:
    agent_l1_method(ctx)
    return {"pk": ctx.extra["rule"].pk}


def with_method(ctx: MatrixContext) -> dict[str, Any]:
    agent_l1_method(ctx)
    return {}


def new_method(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "email", "label": "Mine", "address": f"{ctx.role}@example.com"}


def new_rule(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"contact_method": ctx.extra["method"].pk, "delay_minutes": 5}


def live_page(ctx: MatrixContext) -> dict[str, Any]:
    incident = ctx.incident(status="classified")
    now = timezone.now()
    page = Page.objects.create(
        ticket_type=ctx.content_type(type(incident)),
        ticket_id=incident.pk,
        ticket_number=incident.number,
        ticket_title=incident.title,
        support_group=ctx.groups[1],
        reason=PageReason.MANUAL,
        step_started_at=now,
        created_at=now,
        next_at=now,
        policy_snapshot=[
            {
                "tier": 1,
                "group_id": ctx.groups[1].pk,
                "group": ctx.groups[1].name,
                "policy_id": 0,
                "policy": "Matrix",
                "repeat": 0,
                "steps": [{"target": "group", "people": [], "wait_minutes": 5}],
            }
        ],
    )
    return {"pk": page.pk}


def paged_ticket(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"ticket": ctx.extra["ticket"].number, "message": "Help"}


def with_policy_and_ticket(ctx: MatrixContext) -> dict[str, Any]:
    policy(ctx)
    ctx.extra["ticket"] = ctx.incident(status="classified")
    return {}


OWN = statuses(end_user=403, agent=404, agent_l1=200, manager=404, admin=200)

CASES = [
    Case("oncall-policies-list", "get", READ),
    Case(
        "oncall-policies-list",
        "post",
        statuses(end_user=403, agent=403, manager=201, admin=201),
        setup=with_manager,
        body=new_policy,
    ),
    Case("oncall-policies-detail", "get", READ, setup=policy),
    Case(
        "oncall-policies-detail",
        "patch",
        MANAGE,
        setup=policy,
        body=lambda c, k: {"repeat": 2},
    ),
    Case(
        "oncall-policies-detail",
        "delete",
        statuses(end_user=403, agent=403, manager=204, admin=204),
        setup=policy,
    ),
    Case("oncall-contact-methods-list", "get", READ),
    Case(
        "oncall-contact-methods-list",
        "post",
        statuses(end_user=403, agent=201),
        body=new_method,
        note="everyone adds their own",
    ),
    Case("oncall-contact-methods-detail", "get", OWN, setup=agent_l1_method),
    Case(
        "oncall-contact-methods-detail",
        "patch",
        OWN,
        setup=agent_l1_method,
        body=lambda c, k: {"label": "Renamed"},
    ),
    Case(
        "oncall-contact-methods-detail",
        "delete",
        statuses(end_user=403, agent=404, agent_l1=204, manager=404, admin=204),
        setup=agent_l1_method,
    ),
    Case("oncall-contact-methods-rotate-secret", "post", OWN, setup=agent_l1_webhook),
    Case(
        "oncall-notification-rules-list",
        "post",
        statuses(end_user=403, agent=404, agent_l1=201, manager=404, admin=201),
        setup=with_method,
        body=new_rule,
    ),
    Case("oncall-notification-rules-detail", "get", OWN, setup=agent_l1_rule),
    Case(
        "oncall-notification-rules-detail",
        "delete",
        statuses(end_user=403, agent=404, agent_l1=204, manager=404, admin=204),
        setup=agent_l1_rule,
    ),
    Case("oncall-pages-list", "get", READ),
    Case(
        "oncall-pages-list",
        "post",
        statuses(end_user=403, agent=201),
        setup=with_policy_and_ticket,
        body=paged_ticket,
    ),
    Case("oncall-pages-detail", "get", READ, setup=live_page),
    Case("oncall-pages-acknowledge", "post", READ, setup=live_page),
    Case("oncall-pages-resolve", "post", READ, setup=live_page),
]
