"""Permission matrix: /api/v1/oncall/ (agents read; admins and the group's manager change
schedules and layers; the group's agents, its manager and admins write overrides). The matrix's
manager is made the L1 group's manager; agent_l1 is in that group, agent_l2 and agent_l3 are not.
Format in tests/api/matrix/__init__.py."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from oncall.models import LayerMember, Override, RotationLayer, Schedule
from tests.api.matrix import Case, MatrixContext, statuses

READ = statuses(end_user=403, agent=200)
MANAGE_OK = statuses(end_user=403, agent=403, manager=200, admin=200)


def schedule(ctx: MatrixContext) -> dict[str, Any]:
    group = ctx.groups[1]
    group.manager = ctx.users["manager"]
    group.save()
    made = Schedule.objects.create(support_group=group, name="Matrix", time_zone="Europe/Berlin")
    layer = RotationLayer.objects.create(
        schedule=made, level=1, shift_hours=24, handoff_at=datetime(2026, 1, 5, 8, tzinfo=UTC)
    )
    LayerMember.objects.create(layer=layer, person=ctx.users["agent_l1"], position=0)
    ctx.extra["schedule"], ctx.extra["layer"] = made, layer
    return {"pk": made.pk}


def layer(ctx: MatrixContext) -> dict[str, Any]:
    schedule(ctx)
    return {"pk": ctx.extra["layer"].pk}


def override(ctx: MatrixContext) -> dict[str, Any]:
    schedule(ctx)
    now = timezone.now()
    found = Override.objects.create(
        schedule=ctx.extra["schedule"],
        person=ctx.users["agent_l1"],
        start=now,
        end=now + timedelta(hours=1),
        created_by=ctx.users["manager"],
    )
    return {"pk": found.pk}


def with_schedule(ctx: MatrixContext) -> dict[str, Any]:
    schedule(ctx)
    return {}


def new_schedule(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"support_group": ctx.groups[1].pk, "name": "New", "time_zone": "UTC"}


def new_layer(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "schedule": ctx.extra["schedule"].pk,
        "level": 2,
        "shift_hours": 8,
        "handoff_at": "2026-01-05T08:00:00Z",
        "member_ids": [ctx.users["agent_l1"].pk],  # type: ignore[union-attr]
    }


def new_override(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    start = timezone.now() + timedelta(hours=1)
    return {
        "schedule": ctx.extra["schedule"].pk,
        "person": ctx.users["agent_l1"].pk,  # type: ignore[union-attr]
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
    }


GROUP_WRITE = statuses(end_user=403, agent=403, agent_l1=201, manager=201, admin=201)

CASES = [
    Case("oncall-schedules-list", "get", READ),
    Case(
        "oncall-schedules-list",
        "post",
        statuses(end_user=403, agent=403, manager=201, admin=201),
        setup=with_schedule,
        body=new_schedule,
    ),
    Case("oncall-schedules-detail", "get", READ, setup=schedule),
    Case(
        "oncall-schedules-detail",
        "patch",
        MANAGE_OK,
        setup=schedule,
        body=lambda c, k: {"description": "x"},
    ),
    Case(
        "oncall-schedules-detail",
        "delete",
        statuses(end_user=403, agent=403, manager=204, admin=204),
        setup=schedule,
    ),
    Case(
        "oncall-layers-list",
        "post",
        statuses(end_user=403, agent=403, manager=201, admin=201),
        setup=with_schedule,
        body=new_layer,
    ),
    Case("oncall-layers-detail", "get", READ, setup=layer),
    Case(
        "oncall-layers-detail",
        "patch",
        MANAGE_OK,
        setup=layer,
        body=lambda c, k: {"shift_hours": 12},
    ),
    Case(
        "oncall-layers-detail",
        "delete",
        statuses(end_user=403, agent=403, manager=204, admin=204),
        setup=layer,
    ),
    Case("oncall-overrides-list", "get", READ),
    Case("oncall-overrides-list", "post", GROUP_WRITE, setup=with_schedule, body=new_override),
    Case("oncall-overrides-detail", "get", READ, setup=override),
    Case(
        "oncall-overrides-detail",
        "delete",
        statuses(end_user=403, agent=403, agent_l1=204, manager=204, admin=204),
        setup=override,
        note="the person on the override, the group's manager, admins",
    ),
    Case("oncall-now-list", "get", READ),
]
