"""A service with outages and incidents placed at hand-chosen instants before NOW."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.choices import Role
from core.models import Service, SupportGroup, User
from incidents.choices import Impact, IncidentStatus
from incidents.models import Incident
from slo.choices import ObjectiveKind
from slo.models import Objective
from tests.factories import IncidentFactory, ServiceFactory, SupportGroupFactory, UserFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def slo_manager(db: None) -> User:
    return UserFactory(username="slo-manager", role=Role.MANAGER)


@pytest.fixture
def owner_group(db: None) -> SupportGroup:
    return SupportGroupFactory(name="Platform L2", email="platform@example.com")


@pytest.fixture
def mail_service(owner_group: SupportGroup) -> Service:
    return ServiceFactory(name="Mail", owner_group=owner_group)


def outage(service: Service, start: datetime, restored: datetime | None) -> Incident:
    """A high-impact incident: down from `start` until `restored` (None: still down)."""
    fields = {
        "status": IncidentStatus.RESOLVED if restored else IncidentStatus.LOGGED,
        "resolved_at": restored,
        "service_restored_at": restored,
    }
    return IncidentFactory(
        service=service,
        impact=Impact.HIGH,
        identified_at=start,
        logged_at=start,
        **fields,
    )


def incident(
    service: Service,
    *,
    priority: int,
    identified: datetime,
    logged: datetime | None,
    status: str = IncidentStatus.LOGGED,
) -> Incident:
    return IncidentFactory(
        service=service,
        impact=Impact.LOW,
        priority=priority,
        identified_at=identified,
        logged_at=logged,
        status=IncidentStatus.IDENTIFIED if logged is None and status == "logged" else status,
    )


def availability(service: Service, author: User, target: str = "99.9", days: int = 28) -> Objective:
    return Objective.objects.create(
        service=service,
        kind=ObjectiveKind.AVAILABILITY,
        target=Decimal(target),
        window_days=days,
        created_by=author,
        created_at=NOW,
        updated_at=NOW,
    )


def response(
    service: Service,
    author: User,
    *,
    target: str = "90",
    days: int = 7,
    priorities: tuple[int, ...] = (1, 2),
    minutes: int = 5,
) -> Objective:
    return Objective.objects.create(
        service=service,
        kind=ObjectiveKind.RESPONSE,
        target=Decimal(target),
        window_days=days,
        priorities=list(priorities),
        threshold_minutes=minutes,
        created_by=author,
        created_at=NOW,
        updated_at=NOW,
    )
