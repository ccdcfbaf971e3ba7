"""Permission matrix: patch rollouts (/api/v1/patch-rollouts/<number>/ and its writes) and the
exposure report (/api/v1/reports/patch-exposure/): agents only. Format in
tests/api/matrix/__init__.py."""

from typing import Any

from django.utils import timezone

from changes.models import ChangeTemplate, PatchTarget
from changes.services import change_create_from_template
from core.models import ConfigurationItem
from tests.api.matrix import Case, MatrixContext, statuses

AGENTS = statuses(end_user=403, agent=200)


def rollout(ctx: MatrixContext) -> dict[str, Any]:
    template = ChangeTemplate.objects.create(
        name=f"Matrix patch rollout ({ctx.role})",
        implementation_plan="Patch and reboot.",
        test_plan="Health checks.",
        backout_plan="Uninstall.",
        is_patch=True,
        created_at=timezone.now(),
    )
    agent = ctx.users["agent_l1"]
    assert agent is not None
    change = change_create_from_template(template, actor=agent)
    server = ConfigurationItem.objects.create(
        service=ctx.service, name=f"matrix-{ctx.role}", kind="server"
    )
    PatchTarget.objects.create(change=change, configuration_item=server, updated_at=timezone.now())
    ctx.extra["server"] = server.pk
    return {"number": change.number}


def patches(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"patches": [{"vendor_id": "DSA-5660-1", "cve_ids": ["CVE-2024-3094"]}]}


def targets(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"configuration_items": [ctx.extra["server"]]}


def done(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"configuration_item": ctx.extra["server"], "status": "done"}


CASES = [
    Case("patch-exposure-list", "get", AGENTS),
    Case("patch-rollouts-detail", "get", AGENTS, setup=rollout),
    Case("patch-rollouts-patches", "put", AGENTS, setup=rollout, body=patches),
    Case("patch-rollouts-targets", "post", AGENTS, setup=rollout, body=targets),
    Case("patch-rollouts-target-status", "post", AGENTS, setup=rollout, body=done),
]
