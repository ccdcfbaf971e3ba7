"""Permission matrix: /api/v1/deployments/ and /api/v1/reports/dora/ (format in
tests/api/matrix/__init__.py).

Agents, managers and admins read deployments; end users get 403. Reporting one needs a token
with the `deployments` scope, which the matrix's read+write tokens lack: 403 for every role
(tests/changes/deployments/ covers the scope itself). The DORA report is a report: managers and
admins only."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from changes.deployments import deployment_record, deployment_report_clean
from tests.api.matrix import Case, MatrixContext, statuses


def deployment(ctx: MatrixContext) -> dict[str, Any]:
    agent = ctx.users["agent_l1"]
    assert agent is not None
    report = deployment_report_clean(
        idempotency_key=f"matrix-{ctx.role}",
        service=ctx.service,
        version="1.0.0",
        deployed_at=timezone.now() - timedelta(hours=1),
    )
    return {"pk": deployment_record(actor=agent, report=report).deployment.pk}


def report_body(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "idempotency_key": f"matrix-post-{ctx.role}",
        "service": ctx.service.pk,
        "version": "1.0.1",
        "deployed_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
    }


CASES = [
    Case("deployments-list", "get", statuses(end_user=403, agent=200)),
    Case("deployments-detail", "get", statuses(end_user=403, agent=200), setup=deployment),
    Case(
        "deployments-list",
        "post",
        statuses(end_user=403, agent=403),
        body=report_body,
        note="a read+write token lacks the deployments scope",
    ),
    Case("reports-dora", "get", statuses(end_user=403, agent=403, manager=200, admin=200)),
]
