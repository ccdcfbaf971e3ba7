"""Permission matrix: /api/v1/change-freeze-windows/ (agents read; managers and admins add,
change and delete freeze windows). Format in tests/api/matrix/__init__.py."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from changes.models import FreezeWindow
from tests.api.matrix import Case, MatrixContext, statuses

READ = statuses(end_user=403, agent=200)


def freeze_window(ctx: MatrixContext) -> dict[str, Any]:
    start = timezone.now() + timedelta(days=10)
    made = FreezeWindow.objects.create(
        name="Matrix freeze",
        starts_at=start,
        ends_at=start + timedelta(days=1),
        created_at=timezone.now(),
    )
    return {"pk": made.pk}


def new_window(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    start = timezone.now() + timedelta(days=20)
    return {
        "name": "New freeze",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
        "services": [ctx.service.pk],
    }


def renamed(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Renamed freeze"}


CASES = [
    Case("change-freeze-windows-list", "get", READ),
    Case(
        "change-freeze-windows-list",
        "post",
        statuses(end_user=403, agent=403, manager=201, admin=201),
        body=new_window,
    ),
    Case("change-freeze-windows-detail", "get", READ, setup=freeze_window),
    Case(
        "change-freeze-windows-detail",
        "patch",
        statuses(end_user=403, agent=403, manager=200, admin=200),
        setup=freeze_window,
        body=renamed,
    ),
    Case(
        "change-freeze-windows-detail",
        "delete",
        statuses(end_user=403, agent=403, manager=204, admin=204),
        setup=freeze_window,
    ),
]
