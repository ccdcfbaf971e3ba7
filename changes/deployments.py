"""Deployments reported by CI/CD: "version X of service Y deployed at T", recorded as an
implemented standard change (DESIGN.md §4), and read back by agents.

`deployment_record` is the one write. It validates everything before it touches the database,
then, in one transaction, opens the standard change through the kernel (number, creation event,
SLA clocks, webhooks), walks it through its lifecycle to implemented with the kernel's executor
(scheduled, implementing, implemented, all at the deployment's time; the last event says it was
deployed by CI/CD), and inserts the Deployment row that carries the pipeline's idempotency key.

Idempotency: the key is unique in the database. A report whose key is already stored returns
the stored deployment and changes nothing, provided it says the same thing; the same key with
other content is refused (DeploymentKeyReusedError). Two reports with the same key at the same time:
the second INSERT waits on the unique index until the first transaction ends (PostgreSQL;
SQLite serialises writers), fails, rolls back to its savepoint and returns the first one.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from changes.choices import ChangeType
from changes.models import Change, Deployment
from changes.permissions import can_work_changes, require_change_worker
from core.choices import Source
from core.exceptions import DomainError, ValidationFailed
from core.models import Service, User
from core.single_line import CONTROL_CHARACTERS
from core.tickets.executor import transition_run
from core.tickets.opening import ticket_open

# How far in the future a deployment time may lie: the pipeline's clock may run a little ahead.
CLOCK_SKEW = timedelta(minutes=5)
DEPLOYMENT_WINDOW = timedelta(minutes=1)
MAX_KEY = 200
MAX_VERSION = 120
MAX_ENVIRONMENT = 40
MAX_URL = 500
_ENVIRONMENT = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_HTTP_URL = URLValidator(schemes=["http", "https"])


class DeploymentKeyReusedError(DomainError):
    """The idempotency key belongs to a deployment that says something else."""

    def __init__(self, key: str, deployment: Deployment, differs: list[str]) -> None:
        self.deployment = deployment
        self.differs = differs
        super().__init__(
            f"The idempotency key '{key}' was already used for {deployment.change.number} "
            f"with a different {', '.join(differs)}. Use a new key for a new deployment."
        )


@dataclass(frozen=True)
class DeploymentReport:
    """What a pipeline reports, validated (see `deployment_report_clean`)."""

    idempotency_key: str
    service: Service
    version: str
    environment: str
    deployed_at: datetime
    committed_at: datetime | None
    commit_sha: str
    url: str

    def differences(self, deployment: Deployment) -> list[str]:
        """The fields in which a stored deployment says something else than this report."""
        mine = self.comparable()
        return [name for name, value in mine.items() if getattr(deployment, name) != value]

    def comparable(self) -> dict[str, Any]:
        return {
            "service_id": self.service.pk,
            "version": self.version,
            "environment": self.environment,
            "deployed_at": self.deployed_at,
            "committed_at": self.committed_at,
            "commit_sha": self.commit_sha,
            "url": self.url,
        }


@dataclass(frozen=True)
class DeploymentRecorded:
    deployment: Deployment
    created: bool


def _single_line(value: str | None, field: str, limit: int, errors: dict[str, str]) -> str:
    text = (value or "").strip()
    if CONTROL_CHARACTERS.search(text):
        errors[field] = "Keep it on one line, without control characters."
    elif len(text) > limit:
        errors[field] = f"Keep it under {limit} characters."
    return text


def deployment_report_clean(
    *,
    idempotency_key: str | None,
    service: Service | None,
    version: str | None,
    deployed_at: datetime | None,
    environment: str | None = None,
    committed_at: datetime | None = None,
    commit_sha: str | None = None,
    url: str | None = None,
    now: datetime | None = None,
) -> DeploymentReport:
    """The report, or ValidationFailed naming every bad field (nothing is read or written)."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    key = (idempotency_key or "").strip()
    if not key:
        errors["idempotency_key"] = "Give an idempotency key, e.g. the pipeline's run id and sha."
    elif len(key) > MAX_KEY or not all(33 <= ord(char) <= 126 for char in key):
        errors["idempotency_key"] = f"Use 1 to {MAX_KEY} visible ASCII characters."
    if service is None:
        errors["service"] = "Name the service that was deployed."
    elif not service.is_active:
        errors["service"] = f"The service {service.name} is retired."
    version = _single_line(version, "version", MAX_VERSION, errors)
    if not version and "version" not in errors:
        errors["version"] = "Give the version that was deployed."
    environment = _single_line(environment or "production", "environment", MAX_ENVIRONMENT, errors)
    environment = environment.lower()
    if "environment" not in errors and not _ENVIRONMENT.match(environment):
        errors["environment"] = "Use letters, digits, dots, dashes and underscores (production)."
    if deployed_at is None:
        errors["deployed_at"] = "Give the time of the deployment."
    elif timezone.is_naive(deployed_at):
        errors["deployed_at"] = "Give the time with its offset (2026-03-01T10:00:00Z)."
    elif deployed_at > now + CLOCK_SKEW:
        errors["deployed_at"] = "The deployment cannot be in the future."
    if committed_at is not None:
        if timezone.is_naive(committed_at):
            errors["committed_at"] = "Give the time with its offset (2026-03-01T09:00:00Z)."
        elif "deployed_at" not in errors and deployed_at and committed_at > deployed_at:
            errors["committed_at"] = "The commit cannot be later than its deployment."
    sha = (commit_sha or "").strip().lower()
    if sha and not _SHA.match(sha):
        errors["commit_sha"] = "Give the commit's hexadecimal id (7 to 64 characters)."
    link = (url or "").strip()
    if link:
        try:
            if len(link) > MAX_URL:
                raise ValidationError("too long")
            _HTTP_URL(link)
        except ValidationError:
            errors["url"] = f"Give an http(s) link of at most {MAX_URL} characters."
    if errors:
        raise ValidationFailed(errors)
    assert service is not None and deployed_at is not None
    return DeploymentReport(
        idempotency_key=key,
        service=service,
        version=version,
        environment=environment,
        deployed_at=deployed_at,
        committed_at=committed_at,
        commit_sha=sha,
        url=link,
    )


def _existing(report: DeploymentReport) -> DeploymentRecorded | None:
    deployment = (
        Deployment.objects.select_related("change", "service")
        .filter(idempotency_key=report.idempotency_key)
        .first()
    )
    if deployment is None:
        return None
    differs = report.differences(deployment)
    if differs:
        raise DeploymentKeyReusedError(report.idempotency_key, deployment, differs)
    return DeploymentRecorded(deployment, created=False)


def _title(report: DeploymentReport) -> str:
    return f"Deploy {report.service.name} {report.version}"[:200]


def _description(report: DeploymentReport) -> str:
    lines = [f"Reported by CI/CD: {report.version} deployed to {report.environment}."]
    if report.commit_sha:
        lines.append(f"Commit {report.commit_sha}.")
    if report.url:
        lines.append(f"Pipeline: {report.url}")
    return "\n\n".join(lines)


def _open_implemented(report: DeploymentReport, actor: User) -> Deployment:
    group = report.service.owner_group
    at = report.deployed_at
    change = ticket_open(
        Change,
        fields={
            "title": _title(report),
            "description": _description(report),
            "requester": actor,
            "support_group": group,
            "tier": group.tier,
            "service": report.service,
            "source": Source.API,
            "change_type": ChangeType.STANDARD,
            # The change window is the minute of the deployment.
            "planned_start": at,
            "planned_end": at + DEPLOYMENT_WINDOW,
        },
        actor=actor,
        source=Source.API,
        event_fields={"change_type": ChangeType.STANDARD},
        message=f"Reported by CI/CD: {report.service.name} {report.version}.",
        is_public=False,
    )
    # The standard change's own walk (draft -> scheduled -> implementing -> implemented), each
    # step through the kernel's executor (lock, table, event, SLA clocks, webhooks), its
    # milestones at the deployment's time rather than now.
    for action, milestone in (
        ("schedule_standard", "scheduled_at"),
        ("start", "implementing_at"),
    ):
        change = transition_run(
            change,
            action=action,
            actor=actor,
            source=Source.API,
            values={milestone: at},
            is_public=False,
        )
    change = transition_run(
        change,
        action="complete",
        actor=actor,
        source=Source.API,
        values={"implemented_at": at},
        message=f"Deployed by CI/CD: {report.service.name} {report.version} "
        f"to {report.environment}.",
        is_public=False,
    )
    return Deployment.objects.create(
        change=change,
        idempotency_key=report.idempotency_key,
        service=report.service,
        version=report.version,
        environment=report.environment,
        deployed_at=report.deployed_at,
        committed_at=report.committed_at,
        commit_sha=report.commit_sha,
        url=report.url,
    )


def deployment_record(*, actor: User, report: DeploymentReport) -> DeploymentRecorded:
    """Record the report as an implemented standard change, once per idempotency key.

    Returns the deployment and whether it was created now. A key already used for another
    report raises DeploymentKeyReusedError; only agents record (TransitionError otherwise).
    Opens its own transaction; nothing is stored when anything fails.
    """
    require_change_worker(actor)
    known = _existing(report)
    if known is not None:
        return known
    with transaction.atomic():
        try:
            with transaction.atomic():
                deployment = _open_implemented(report, actor)
        except IntegrityError:
            # Another report with this key committed meanwhile (the only unique column we
            # write besides the number, which a sequence hands out).
            known = _existing(report)
            if known is None:
                raise
            return known
    return DeploymentRecorded(deployment, created=True)


# --- Reads --------------------------------------------------------------------------------------


def deployment_list_for_user(user: User) -> QuerySet[Deployment]:
    """Every deployment for agents, newest first, with its change and service; none for others."""
    if not can_work_changes(user):
        return Deployment.objects.none()
    return Deployment.objects.select_related("change", "service", "service__owner_group")


def deployment_get_for_user(user: User, pk: int) -> Deployment:
    """One deployment, or Deployment.DoesNotExist (a 404) when missing or out of scope."""
    return deployment_list_for_user(user).get(pk=pk)
