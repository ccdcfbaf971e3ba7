"""Fixtures for the manager dashboard: a manager's client and a desk of incidents stored
directly in given states (open breached / at risk / on track, resolved in the period), enough
for every tile to have something to show."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from core.choices import Role, Tier
from core.models import Service, SupportGroup, User
from incidents.choices import IncidentStatus
from incidents.models import Incident
from tests.factories import IncidentFactory, UserFactory

# The reporting engineer's hand-computed desk (real services, real SLA clocks), reused to hold
# the dashboard's own compliance trend to reporting.metrics.compliance.
from tests.reporting.conftest import berlin_policies, desk  # noqa: F401


@pytest.fixture(autouse=True)
def _no_tile_cache(settings: Any) -> Iterator[None]:
    """Tiles computed fresh in every test (tests/dashboard/test_cache.py turns the cache on);
    the local-memory cache is emptied around each test so no key outlives its database."""
    settings.DASHBOARD_CACHE_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def manager_client(manager: User, client_for: Callable[[User], Client]) -> Client:
    return client_for(manager)


@dataclass
class Seeder:
    group: SupportGroup
    service: Service
    agents: list[User]

    def open(self, *, state: str = "on_track", agent: int | None = 0, **fields: object) -> Incident:
        """An open incident whose nearest running clock is breached, at risk or on track."""
        now = timezone.now()
        due = {
            "breached": (now - timedelta(hours=2), now - timedelta(hours=3)),
            "at_risk": (now + timedelta(hours=1), now - timedelta(minutes=10)),
            "on_track": (now + timedelta(hours=6), now + timedelta(hours=4)),
        }[state]
        values: dict[str, object] = {
            "status": IncidentStatus.CLASSIFIED,
            "support_group": self.group,
            "service": self.service,
            "tier": Tier.L1,
            "priority": 2,
            "assignee": self.agents[agent] if agent is not None else None,
            "identified_at": now - timedelta(days=2),
            "logged_at": now - timedelta(days=2) + timedelta(minutes=20),
            "sla_due_at": due[0],
            "sla_warn_at": due[1],
        }
        values.update(fields)
        return IncidentFactory(**values)

    def resolved(self, *, days_ago: int = 1, **fields: object) -> Incident:
        now = timezone.now()
        identified = now - timedelta(days=days_ago, hours=5)
        values: dict[str, object] = {
            "status": IncidentStatus.RESOLVED,
            "support_group": self.group,
            "service": self.service,
            "assignee": self.agents[0],
            "identified_at": identified,
            "logged_at": identified + timedelta(minutes=30),
            "resolved_at": now - timedelta(days=days_ago),
        }
        values.update(fields)
        return IncidentFactory(**values)

    def desk(self, count: int) -> list[Incident]:
        """`count` incidents spread over every tile: a third open (breached, at risk, on track),
        the rest resolved over the last days, across the agents."""
        made = []
        states = ("breached", "at_risk", "on_track")
        for index in range(count):
            if index % 3 == 0:
                made.append(
                    self.open(state=states[index % 9 // 3], agent=index // 3 % len(self.agents))
                )
            else:
                made.append(self.resolved(days_ago=index % 20 + 1))
        return made


@pytest.fixture
def seeder(l1_group: SupportGroup, service: Service) -> Seeder:
    agents = []
    for index in range(3):
        agent = UserFactory(username=f"dash-agent{index}", role=Role.AGENT)
        l1_group.members.add(agent)
        agents.append(agent)
    return Seeder(group=l1_group, service=service, agents=agents)
