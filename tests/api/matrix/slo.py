"""Permission matrix: /api/v1/slos/ (agents read; managers and admins define objectives).
Format in tests/api/matrix/__init__.py."""

from typing import Any

from django.utils import timezone

from slo.models import Objective
from tests.api.matrix import Case, MatrixContext, statuses

READ = statuses(end_user=403, agent=200)


def objective(ctx: MatrixContext) -> dict[str, Any]:
    now = timezone.now()
    made = Objective.objects.create(
        service=ctx.service,
        kind="availability",
        target="99.9",
        window_days=28,
        created_by=ctx.users["manager"],
        created_at=now,
        updated_at=now,
    )
    return {"pk": made.pk}


def new_objective(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "service": ctx.service.pk,
        "kind": "response",
        "target": "95",
        "window_days": 28,
        "priorities": [1, 2],
        "threshold_minutes": 5,
    }


CASES = [
    Case("slos-list", "get", READ),
    Case(
        "slos-list",
        "post",
        statuses(end_user=403, agent=403, manager=201, admin=201),
        body=new_objective,
    ),
    Case("slos-detail", "get", READ, setup=objective),
    Case("slos-history", "get", READ, setup=objective),
    Case(
        "slos-detail",
        "patch",
        statuses(end_user=403, agent=403, manager=200, admin=200),
        setup=objective,
        body=lambda c, k: {"target": "99.5"},
    ),
    Case(
        "slos-detail",
        "delete",
        statuses(end_user=403, agent=403, manager=204, admin=204),
        setup=objective,
    ),
]
