"""Deployments recorded through the service, as CI/CD would report them."""

from datetime import datetime, timedelta
from typing import Any

from changes.deployments import deployment_record, deployment_report_clean
from changes.models import Deployment
from core.models import Service, User


def deploy(
    actor: User,
    service: Service,
    at: datetime,
    *,
    key: str | None = None,
    version: str = "1.0.0",
    lead: timedelta | None = None,
    environment: str = "production",
    **extra: Any,
) -> Deployment:
    report = deployment_report_clean(
        idempotency_key=key or f"{service.pk}-{at.isoformat()}-{environment}",
        service=service,
        version=version,
        deployed_at=at,
        committed_at=at - lead if lead is not None else None,
        environment=environment,
        **extra,
    )
    return deployment_record(actor=actor, report=report).deployment
