"""The demo's deployments from CI/CD: about 60 over the last eight weeks across four services,
each with its commit time, sha and pipeline link, recorded through the same service as the API
(changes.deployments: an implemented standard change each). Four of them are followed by an
incident of their service that is recorded as caused by the deployment's change; those four are
demo incidents already restored, and the deployment is placed shortly before each started, so
the DORA page has failures and times to restore to show.

Idempotent: nothing is added once a demo deployment exists (their times are relative to the day
of the first run, so a second run could not repeat the same reports).
"""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from changes.deployments import deployment_record, deployment_report_clean
from changes.models import ChangeIncident, Deployment
from core.choices import Role
from core.models import Service, User
from core.roles import ROLE_GROUP_NAMES
from incidents.models import Incident

KEY_PREFIX = "demo-"
# Service name -> relative deployment rate (the website ships most often).
SERVICES = {"Website": 6, "ERP": 3, "Payroll": 2, "Email": 2}
DEPLOYMENTS = 60
FAILURES = 4
WEEKS = 8
SEED = 17


def _actor() -> User | None:
    agents = User.objects.filter(is_active=True, groups__name=ROLE_GROUP_NAMES[Role.AGENT])
    return agents.filter(username="agent2").first() or agents.order_by("pk").first()


def _working_time(rng: random.Random, start: datetime, span: timedelta) -> datetime:
    """A moment in the span on a weekday between 09:00 and 17:00 (UTC), as teams deploy."""
    while True:
        moment = start + timedelta(seconds=rng.uniform(0, span.total_seconds()))
        if moment.weekday() < 5 and 9 <= moment.hour < 17:
            return moment.replace(microsecond=0)


def _restored_incidents(
    services: list[Service], since: datetime, until: datetime
) -> list[Incident]:
    """Up to FAILURES demo incidents of these services, restored, not yet blamed on a change,
    spread over the period. A big desk restores tens of thousands in the period: only the
    chosen ones become model instances."""
    found = list(
        Incident.objects.filter(
            service__in=services,
            identified_at__gte=since,
            identified_at__lt=until,
            change_links__isnull=True,
        )
        .filter(Q(service_restored_at__isnull=False) | Q(resolved_at__isnull=False))
        .order_by("identified_at")
        .values_list("pk", "identified_at", "service_id")
    )
    if len(found) > FAILURES:
        step = len(found) / FAILURES
        found = [found[int(index * step)] for index in range(FAILURES)]
    chosen = Incident.objects.only("pk", "identified_at", "service_id").in_bulk(
        [pk for pk, _, _ in found]
    )
    return [chosen[pk] for pk, _, _ in found]


def seed_deployments_demo() -> dict[str, int]:
    """Add the demo deployments once. Returns how many demo deployments exist, how many were
    added now and how many are recorded as causing an incident."""
    existing = Deployment.objects.filter(idempotency_key__startswith=KEY_PREFIX)
    actor = _actor()
    services = list(Service.objects.filter(name__in=SERVICES, is_active=True).order_by("name"))
    if existing.exists() or actor is None or not services:
        return {
            "deployments": existing.count(),
            "added": 0,
            "caused": ChangeIncident.objects.filter(
                change__deployment__idempotency_key__startswith=KEY_PREFIX
            ).count(),
        }
    rng = random.Random(SEED)  # noqa: S311 — demo data, not secrets
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(weeks=WEEKS)
    failing = _restored_incidents(services, start + timedelta(days=1), now - timedelta(hours=1))
    by_id = {service.pk: service for service in services}
    # (service, deployed at, the incident it causes or None)
    plan: list[tuple[Service, datetime, Incident | None]] = []
    for incident in failing:
        before = timedelta(minutes=rng.randint(20, 150))
        service = by_id[int(incident.service_id or 0)]
        plan.append((service, incident.identified_at - before, incident))
    weights = [SERVICES[service.name] for service in services]
    while len(plan) < DEPLOYMENTS:
        service = rng.choices(services, weights=weights)[0]
        plan.append((service, _working_time(rng, start, now - start - timedelta(hours=1)), None))
    plan.sort(key=lambda item: item[1])
    releases: dict[int, int] = {}
    caused = 0
    with transaction.atomic():
        for number, (service, deployed_at, caused_incident) in enumerate(plan, start=1):
            releases[service.pk] = releases.get(service.pk, 0) + 1
            slug = service.name.lower().replace(" ", "-")
            lead = timedelta(minutes=rng.randint(25, 60 * 24 * 3))
            report = deployment_report_clean(
                idempotency_key=f"{KEY_PREFIX}{slug}-{number}",
                service=service,
                version=f"2.{releases[service.pk] // 5}.{releases[service.pk] % 5}",
                environment="production",
                deployed_at=deployed_at,
                committed_at=deployed_at - lead,
                commit_sha=f"{rng.getrandbits(160):040x}",
                url=f"https://ci.example.com/{slug}/pipelines/{4100 + number}",
                now=now,
            )
            deployment = deployment_record(actor=actor, report=report).deployment
            if caused_incident is not None:
                ChangeIncident.objects.create(
                    change=deployment.change,
                    incident=caused_incident,
                    linked_by=actor,
                    linked_at=min(now, caused_incident.identified_at + timedelta(minutes=30)),
                )
                caused += 1
    return {"deployments": existing.count(), "added": len(plan), "caused": caused}
