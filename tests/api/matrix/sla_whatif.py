"""Permission matrix: /api/v1/sla-what-if/ (managers and admins; format in
tests/api/matrix/__init__.py)."""

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from sla.models_whatif import WhatIfScenario, WhatIfStatus
from tests.api.matrix import Case, MatrixContext, statuses

MANAGERS = statuses(end_user=403, agent=403, manager=200, admin=200)


def scenario(status: str = WhatIfStatus.DRAFT) -> Any:
    def setup(ctx: MatrixContext) -> dict[str, Any]:
        now = timezone.now()
        found = WhatIfScenario.objects.create(
            name="Matrix",
            created_by=ctx.users["manager"],
            created_at=now,
            updated_at=now,
            since=datetime(2026, 1, 1, tzinfo=UTC),
            until=datetime(2027, 1, 1, tzinfo=UTC),
            kinds=["incident"],
            draft={"overrides": []},
            status=status,
        )
        return {"pk": found.pk}

    return setup


def body(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "Matrix scenario",
        "since": "2026-01-01T00:00:00Z",
        "until": "2027-01-01T00:00:00Z",
        "kinds": ["incident"],
        "draft": {"overrides": []},
    }


CASES = [
    Case("sla-what-if-list", "get", MANAGERS),
    Case(
        "sla-what-if-list",
        "post",
        statuses(end_user=403, agent=403, manager=201, admin=201),
        body=body,
    ),
    Case("sla-what-if-detail", "get", MANAGERS, setup=scenario()),
    Case(
        "sla-what-if-run",
        "post",
        statuses(end_user=403, agent=403, manager=202, admin=202),
        setup=scenario(),
    ),
    Case(
        "sla-what-if-cancel",
        "post",
        MANAGERS,
        setup=scenario(WhatIfStatus.RUNNING),
    ),
    Case("sla-what-if-results", "get", MANAGERS, setup=scenario(WhatIfStatus.DONE)),
    Case("sla-what-if-flips", "get", MANAGERS, setup=scenario(WhatIfStatus.DONE)),
]
