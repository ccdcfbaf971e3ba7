"""Permission matrix: /api/v1/sla-policies/, /api/v1/sla-calendars/ (agents) and
/api/v1/sla-clocks/{number}/ (whoever may see the ticket; format in tests/api/matrix/__init__.py).
"""

from datetime import timedelta
from typing import Any

from sla.models import Calendar, SlaPolicy
from tests.api.matrix import Case, MatrixContext, statuses


def calendar(ctx: MatrixContext) -> dict[str, Any]:
    return {"pk": Calendar.objects.create(name="Matrix 24x7", is_24x7=True).pk}


def policy(ctx: MatrixContext) -> dict[str, Any]:
    found = SlaPolicy.objects.create(
        name="Matrix P3",
        ticket_kind="incident",
        priority=3,
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
        calendar=Calendar.objects.create(name="Matrix 24x7", is_24x7=True),
    )
    return {"pk": found.pk}


def incident(mine: bool) -> Any:
    def setup(ctx: MatrixContext) -> dict[str, Any]:
        requester = ctx.users["end_user"] if mine else ctx.other_end_user
        return {"number": ctx.incident(requester=requester).number}

    return setup


AGENTS = statuses(end_user=403, agent=200)

CASES = [
    Case("sla-policies-list", "get", AGENTS),
    Case("sla-policies-detail", "get", AGENTS, setup=policy),
    Case("sla-calendars-list", "get", AGENTS),
    Case("sla-calendars-detail", "get", AGENTS, setup=calendar),
    Case("sla-clocks-detail", "get", statuses(end_user=200, agent=200), setup=incident(True)),
    Case(
        "sla-clocks-detail",
        "get",
        statuses(end_user=404, agent=200),
        setup=incident(False),
        note="someone else's incident",
    ),
]
