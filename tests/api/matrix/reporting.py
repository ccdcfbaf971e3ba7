"""Permission matrix: the report endpoints are for managers and admins (token `read` scope);
agents and end users get 403."""

from typing import Any

from django.utils import timezone

from reporting.models import ReportSubscription
from tests.api.matrix import Case, MatrixContext, statuses

METRICS = (
    "mttr",
    "mtta",
    "mtbf",
    "compliance",
    "backlog",
    "volume",
    "reopen-rate",
    "first-contact",
    "escalation-rate",
    "satisfaction",
    "summary",
    "oncall-review",
)

CASES = [
    Case(f"reports-{metric}", "get", statuses(end_user=403, agent=403, manager=200, admin=200))
    for metric in METRICS
]


def own_subscription(ctx: MatrixContext) -> dict[str, Any]:
    owner = ctx.user or ctx.users["manager"]
    assert owner is not None
    subscription = ReportSubscription.objects.create(
        user=owner, weekday=0, hour=7, created_at=timezone.now()
    )
    return {"pk": subscription.pk}


def new_subscription(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"weekday": 0, "hour": 7, "filters": {"priority": 1}}


MANAGERS_ONLY = statuses(end_user=403, agent=403, manager=200, admin=200)

CASES += [
    Case("report-subscriptions-list", "get", MANAGERS_ONLY),
    Case(
        "report-subscriptions-list",
        "post",
        statuses(end_user=403, agent=403, manager=201, admin=201),
        body=new_subscription,
    ),
    Case(
        "report-subscriptions-detail",
        "delete",
        statuses(end_user=403, agent=403, manager=204, admin=204),
        setup=own_subscription,
    ),
]
